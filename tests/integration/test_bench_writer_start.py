"""The writer start-up benchmark at one round: it runs on this build, starts a writer
each way on a real SQLite history, and prints each way's row and the ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_writer_start.py"


def test_bench_writer_start_prints_both_ways_and_their_ratio(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--rounds", "1", "--no-write"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {line.split(" | ")[0].lstrip("| "): line for line in done.stdout.splitlines()}
    for way in ("spawned", "forked"):
        assert way in rows and rows[way].count("|") == 5, done.stdout
    assert "Forked over spawned: first answer" in done.stdout
