"""Benchmark: what the Prometheus instrumentation costs the embedded pipeline.

Run ``.venv/bin/python bench/bench_metrics.py`` (or ``make bench``). The same workload
as ``bench_pipeline``'s embedded run (realistic ~3 KB items, one in 50 matching, served
as RSS by a loopback feed server) goes through ``EmbeddedRunner.run(once=True)`` with
the ``monitor.metrics`` hooks as shipped, and as the BASELINE with every hook replaced
by a no-op, alternately, best of ``--repeat`` each. Prints items/s of both and their
ratio; writes the ``## bench_metrics`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Last: an installed monitor (the compiled build of `make bench`) comes first.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from bench_pipeline import build_name, embedded, make_items, split_feeds, write_config
from feedserver import FeedServer
from results import RESULTS, write_section

from monitor import metrics
from monitor.logs import configure_logging

HOOKS = ("poll_done", "poll_failed", "items_processed", "alerts_raised", "item_matched")
HOOKS += ("delivered", "items_given_up")


@contextmanager
def hooks_off() -> Iterator[None]:
    """Every hook of ``monitor.metrics`` a no-op (the callers look them up each call)."""
    saved = {name: getattr(metrics, name) for name in (*HOOKS, "stage")}
    for name in HOOKS:
        setattr(metrics, name, _nothing)
    metrics.stage = lambda name: nullcontext()  # type: ignore[assignment]
    try:
        yield
    finally:
        for name, hook in saved.items():
            setattr(metrics, name, hook)


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=10, help="feeds served (default 10)")
    parser.add_argument("--items", type=int, default=200, help="items per feed (default 200)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs each")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    configure_logging("error")
    total = args.feeds * args.items
    print(f"build: {build_name()}")
    print(f"scale: {args.feeds} feeds x {args.items} items, 1 in 50 matching")
    best = {"metrics": 0.0, "baseline": 0.0}
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as tmp:
        work = Path(tmp)
        warm = FeedServer(split_feeds(make_items(10, 5, "warm"), 1))
        try:  # lazy imports and models load here, not in a figure
            embedded(write_config(work / "warm", warm.urls))
        finally:
            warm.close()
        server = FeedServer(split_feeds(make_items(total, 50, "it"), args.feeds))
        try:
            for run in range(args.repeat):
                for label in ("baseline", "metrics"):
                    # a fresh state each run: every item is new again
                    config = write_config(work / f"{label}-{run}", server.urls)
                    with hooks_off() if label == "baseline" else nullcontext():
                        figures = embedded(config)
                    assert figures["items"] == total, figures
                    best[label] = max(best[label], figures["rate"])
        finally:
            server.close()
    ratio = best["metrics"] / best["baseline"]
    lines = [
        "| run | items/s | ratio |",
        "|---|---|---|",
        f"| baseline: hooks off | {best['baseline']:.0f} | 1.00 |",
        f"| metrics as shipped | {best['metrics']:.0f} | {ratio:.3f} |",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        note = (
            f"build {build_name()}; {args.feeds} feeds x {args.items} items, best of "
            f"{args.repeat} each, `monitor run --once` in process (bench/bench_metrics.py)"
        )
        write_section("bench_metrics", f"{note}\n\n{text}", RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
