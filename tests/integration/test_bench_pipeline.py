"""The pipeline benchmark at a tiny scale: it runs to the end on this build, prints
every figure of issue #11 with its ratio to the baseline, and writes its own section of
a results file without touching the other sections. Real parts throughout: the bench
starts its feed server, a redis-server and `monitor worker` / `monitor poller`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_pipeline.py"
FIGURES = (
    "baseline: feedparser + matcher loop",
    "(a) embedded `run --once`",
    "(a) the same, writer process spawned",
    "(a) the same, history written in the runner's process",
    "(a) 20 items",
    "(a) 20 items, history in the runner's process",
    "(b) distributed, 1 worker process(es)",
    "(b) distributed, 2 worker process(es)",
    "(d) publish-to-alert p50 at 10 items/s",
    "(d) publish-to-alert p99 at 10 items/s",
    "(e) every item matching, embedded",
    "(e) every item matching, distributed, 2 worker processes",
    "(f) `monitor match` start-up, example config",
    "(f) load + compile 200-term config",
)
STAGES = (
    *("fetch", "parse", "clean", "language", "match", "decide", "store", "deliver", "queue"),
    *("history", "history, in the writer process", "all, both processes' CPU"),
    # the worker's task bodies timed in the bench's process, beside (b)'s pool children
    *("all, the tasks here", "(b) pool children, two workers"),
    "Celery and the rest: pool children less the tasks here",
)


# Three worker and poller start-ups and a latency run: about a minute on an idle
# 2-core machine, several on a loaded one; the limit only catches a hang.
@pytest.mark.timeout(600)
def test_bench_pipeline_prints_every_figure_and_its_section(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not on PATH: the benchmark starts its own")
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## bench_match\n\nkept as it is\n")
    tiny = ["--feeds", "1", "--items", "10", "--rate", "10", "--seconds", "1", "--long", "2"]
    tiny += ["--terms", "200", "--vocab", "500", "--repeat", "1", "--timeout", "120"]
    done = subprocess.run(
        [sys.executable, str(BENCH), *tiny, "--results", str(results)],
        capture_output=True,
        text=True,
        timeout=590,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert out.startswith("build: ")
    rows = {line.split(" | ")[0].lstrip("| "): line for line in out.splitlines() if "|" in line}
    for figure in FIGURES:
        assert figure in rows, f"missing figure {figure!r} in:\n{out}"
        assert rows[figure].count("x |") == 1, rows[figure]  # with its ratio
    for stage in STAGES:
        assert stage in rows, f"missing stage {stage!r} in:\n{out}"
    assert "alerts: embedded 1 of 10 items" in out.lower()
    # `monitor run` writes its history in a process of its own: that process did the work
    writer = rows["history, in the writer process"].split(" | ")[1]
    assert float(writer.replace(",", "")) > 0, rows["history, in the writer process"]
    # its runner's process runs one thread at the start, as `monitor run`'s: forked
    assert "(`monitor.history.writer`; forked, as `monitor run` starts it)" in out, out
    # where the CPU of the distributed run went: the pool children did the items
    found = re.search(r"pool children ([\d,]+), worker main process ([\d,]+)", out)
    assert found is not None, out
    assert int(found.group(1).replace(",", "")) > 0
    # the worker's stages: two tables of stages, the second timed the tasks' parsing
    assert out.count("| parse | ") == 2, out
    worker_parse = rows["parse"].split(" | ")[1]  # the last table's row
    assert float(worker_parse.replace(",", "")) > 0, rows["parse"]
    tasks_cpu = rows["all, the tasks here"].split(" | ")[1]
    assert float(tasks_cpu.replace(",", "")) > 0, rows["all, the tasks here"]
    written = results.read_text(encoding="utf-8")
    assert "## bench_match\n\nkept as it is" in written
    # the pure build's figures go to a section of their own (the compiled build's is
    # the headline one)
    pure = out.startswith("build: pure")
    header = "## bench_pipeline (pure Python build)\n" if pure else "## bench_pipeline\n"
    section = written.split(header, 1)[1]
    for figure in FIGURES:
        assert figure in section
