"""Benchmark: the start of `monitor run`'s history writer process, spawned or forked.

Run ``.venv/bin/python bench/bench_writer_start.py`` (``--rounds R``, default 7;
``--no-write`` to leave RESULTS.md alone). This script imports ``monitor.cli`` at its
top, as the ``monitor`` console script does, because a spawned child imports its
parent's main script again.

BEFORE, the baseline, is the writer spawned (how every writer started until it was
forked by a runner with a single thread); NOW is it forked, from this process, which
runs a single thread, as ``monitor run`` does when it starts its writer. Each round
starts a writer of each kind in turn (the order alternating between rounds) on the
same history (made at head beforehand, as a running monitor finds it), waits for its
first answer, then writes one batch of 100 bench items and closes it. Printed, the
median over the rounds of: seconds from the start to the first answer, to the first
batch written, and the CPU the writer process used in all (its start-up included),
with NOW's ratio to BEFORE. Section ``## bench_writer_start`` of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parents[1]))

from bench_pipeline import wire_items
from results import report

import monitor.cli  # noqa: F401  (what the `monitor` script imports: a spawned child does too)
from monitor.history import HistoryBatch, open_history
from monitor.history.writer import ProcessHistory, StartMethod
from monitor.logs import configure_logging

WAYS: tuple[StartMethod, ...] = ("spawn", "fork")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_start(url: str, method: StartMethod, batch: HistoryBatch) -> dict[str, float]:
    """A writer started by ``method``: to its first answer, to its first batch written,
    and the CPU of its process (reaped at ``close``)."""
    assert threading.active_count() == 1, "the writer is forked by a single thread only"
    reaped = children_cpu()
    started = time.perf_counter()
    writer = ProcessHistory(url, method=method)
    writer.start()
    writer.prune(1e9)  # nothing that old: the first answer
    answered = time.perf_counter() - started
    writer.write(batch)
    written = time.perf_counter() - started
    writer.close()
    assert writer.started_by == method
    return {"answer": answered, "written": written, "cpu": children_cpu() - reaped}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds (default 7)")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    configure_logging("error")
    with tempfile.TemporaryDirectory(prefix="bench-writer-start-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'history.db'}"
        open_history(url).close()  # at head, as a running monitor finds it
        items = wire_items(100 * (2 * args.rounds), 50, "ws")
        found: dict[str, list[dict[str, float]]] = {way: [] for way in WAYS}
        n = 0
        for round_ in range(args.rounds):
            order = WAYS if round_ % 2 == 0 else WAYS[::-1]
            for way in order:
                batch = HistoryBatch(items=tuple(items[n * 100 : (n + 1) * 100]))
                n += 1
                found[way].append(one_start(url, way, batch))
        with open_history(url) as history:
            assert history.count_items() == len(items), "every batch written"

    def median(way: str, key: str) -> float:
        return statistics.median(run[key] for run in found[way])

    rows = [
        "| writer process | first answer, s | first batch written, s | its CPU, s |",
        "|---|---|---|---|",
    ]
    for way in WAYS:
        rows.append(
            f"| {way}ed | {median(way, 'answer'):.3f} | {median(way, 'written'):.3f} |"
            f" {median(way, 'cpu'):.3f} |"
        )
    ratios = {
        key: median("fork", key) / median("spawn", key) for key in ("answer", "written", "cpu")
    }
    text = "\n".join(
        [
            f"{args.rounds} interleaved rounds, medians; the same SQLite history at head;"
            " a batch of 100 ~3 KB items; this process imports `monitor.cli` as the"
            " `monitor` script does.",
            "",
            *rows,
            "",
            f"Forked over spawned: first answer {ratios['answer']:.3f}x, first batch written"
            f" {ratios['written']:.2f}x, the writer's CPU {ratios['cpu']:.2f}x.",
        ]
    )
    report("bench_writer_start", text, write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
