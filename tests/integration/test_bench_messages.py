"""The message benchmark at a tiny scale: it runs on a redis-server of its own and
prints both ways; the messages of now take fewer bytes in Redis than before; and an
item's trip to a worker with the items in the message and with their records' keys."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_messages.py"


def test_bench_messages_prints_both_ways(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not on PATH: the benchmark starts its own")
    args = ["--items", "20", "--batch", "5", "--rounds", "1", "--no-write"]
    done = subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    sizes = {}
    for way in ("before", "now"):
        line = next(line for line in done.stdout.splitlines() if line.startswith(f"| {way}:"))
        sizes[way] = int(line.rsplit("|", 2)[1].strip().replace(",", ""))
    assert sizes["now"] < sizes["before"], done.stdout
    assert re.search(r"now/before: [\d.]+x the time", done.stdout)
    # the trip of an item to a worker, both ways (each checks it read every item back)
    assert "| the items (`process_items`) |" in done.stdout
    assert "| their records' keys (`process_queued`)" in done.stdout
    assert re.search(r"keys/items: [\d.]+x the time", done.stdout)
