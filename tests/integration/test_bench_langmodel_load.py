"""The language-model load benchmark at one run, on the compiled build (the one whose
identifier reads the walk cache): it times both ways in fresh interpreters, checks they
answer alike, and prints each way's row and the ratio."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "bench_langmodel_load.py"
COMPILED_PYTHON = ROOT / ".venv-compiled" / "bin" / "python"


def test_bench_langmodel_load_times_both_caches(tmp_path: Path) -> None:
    if not COMPILED_PYTHON.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("no compiled build (.venv-compiled): `make unit-compiled` makes it")
        pytest.skip("no compiled build (.venv-compiled) here")
    done = subprocess.run(
        [str(COMPILED_PYTHON), str(BENCH), "--runs", "1", "--no-write"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and "cache" in line]
    assert len(rows) == 2, done.stdout
    assert "From the walk cache over from the .npz cache:" in done.stdout
