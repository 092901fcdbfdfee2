"""Benchmark: ``monitor backtest`` over a history of 100,000 stored items.

Run ``.venv/bin/python bench/bench_backtest.py`` (``--items N``, default 100,000;
``--no-write`` to leave RESULTS.md alone). Generates multilingual items
(``bench/corpus.py``, ~1.5 KB each, six languages; every 50th names a term of the
example config's watchlist, ``bench_pipeline.TERMS``; every 5th of those is a
republication of an earlier matching headline by another outlet), seen one every
6 seconds, so the story window (24 h) groups across a week of items. The SQLite
history is filled with the rows ``History.write`` writes (token keys, full-text
index) in one transaction per 5,000, then, in the same run:

- baseline: a plain loop of the matcher (the example config) over the same items,
  already in memory;
- (a) the backtest of one watchlist (``replays.backtest_runs``, as ``monitor
  backtest --watchlist`` runs it): items read back from the history in the order
  seen, matched, and the alert decision (story grouping) on its own memory store;
- (b) the backtest of a new config against the current one: the example config with
  its Arabic NATO terms dropped; one process per config when there are 2 CPUs.

Each starts with the matcher's word caches empty, as a fresh command does.

Ratios are backtest time over the baseline's. Section ``## bench_backtest`` of
bench/RESULTS.md; with ``--postgresql URL`` the history is a schema of its own in the
PostgreSQL database at URL (dropped afterwards), section ``## bench_backtest_postgresql``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parents[1]))

from bench_pipeline import TERMS, build_name, clear_caches
from corpus import make_corpus, make_items
from results import write_section

from monitor.config.loader import load_config
from monitor.config.schema import Config
from monitor.history import History, HistoryBatch, open_history
from monitor.history.backtest import compare
from monitor.history.replays import backtest_runs
from monitor.match.engine import build_matcher
from monitor.model import WireItem

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 3, 1, tzinfo=UTC)
CHUNK = 5000
MATCH_EVERY = 50


def progress(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)


def build_items(count: int, seed: int) -> list[WireItem]:
    corpus = make_corpus(seed=seed, items=0, vocab_size=20_000)
    make_items(random.Random(seed), corpus, count, size=1500)
    built: list[WireItem] = []
    headlines: list[str] = []
    for number, data in enumerate(corpus.items):
        seen = (START + timedelta(seconds=6 * number)).isoformat()
        values = {**data, "fetched_at": seen, "publisher": f"outlet-{number % 40}"}
        if number % MATCH_EVERY == 0:
            if headlines and number % (MATCH_EVERY * 5) == 0:
                values["title"] = headlines[-1]  # another outlet carries the story
            else:
                head, _, rest = data["body"].partition("\n\n")
                values["body"] = f"{head} {TERMS[data['language']]}.\n\n{rest}"
                values["title"] = f"{data['title']} {TERMS[data['language']]}"
                headlines.append(values["title"])
        built.append(WireItem.from_dict(values))
    return built


def fill(history: History, items: list[WireItem]) -> None:
    """The items written by ``History.write``, a chunk per transaction, but for the
    full-text keys: left empty (the backtest does not read them), as computing and
    indexing them would take the fill from seconds to minutes."""
    with mock.patch("monitor.history.store.item_keys", lambda _title, _body: ""):
        for start in range(0, len(items), CHUNK):
            history.write(HistoryBatch(items=tuple(items[start : start + CHUNK])), now=START)


@contextmanager
def history_at(postgresql: str | None) -> Iterator[str]:
    """The URL of an empty history: SQLite in a temporary folder, or a fresh schema in
    the PostgreSQL database at ``postgresql`` (dropped afterwards)."""
    if postgresql is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'history.db'}"
        return
    schema = f"bench_backtest_{os.getpid()}"
    with psycopg.connect(postgresql, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in postgresql else "?"
    try:
        yield f"{postgresql}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(postgresql, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def new_config(current: Config) -> Config:
    """The current config with the NATO topic's Arabic terms dropped."""
    topics = dict(current.topics)
    nato = topics["NATO"]
    kept = [term for term in nato.terms if not any("\u0600" <= ch <= "\u06ff" for ch in term)]
    topics["NATO"] = nato.model_copy(update={"terms": kept})
    return current.model_copy(update={"topics": topics})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument(
        "--postgresql", metavar="URL", help="a PostgreSQL history (a schema of its own at URL)"
    )
    args = parser.parse_args()
    database = "SQLite" if args.postgresql is None else "PostgreSQL"
    started = time.perf_counter()

    items = build_items(args.items, seed=7)
    progress(f"{len(items):,} items generated", started)
    config = load_config(ROOT / "config" / "monitor.yaml")
    changed = new_config(config)
    watchlist = next(iter(config.watchlists))
    with history_at(args.postgresql) as url:
        with open_history(url) as history:
            fill(history, items)
            progress(f"history filled ({history.count_items():,} items)", started)

        clear_caches()
        matcher = build_matcher(config)
        begin = time.perf_counter()
        base_matches = sum(len(matcher.match(item)) for item in items)
        base = time.perf_counter() - begin
        progress(f"baseline: {base:.1f} s", started)

        clear_caches()
        begin = time.perf_counter()
        (one,) = backtest_runs(url, [config], watchlist=watchlist)
        single = time.perf_counter() - begin
        progress(f"(a) one watchlist: {single:.1f} s", started)

        clear_caches()
        begin = time.perf_counter()
        candidate, baseline = backtest_runs(url, [changed, config])
        comparison = compare(candidate, baseline)
        double = time.perf_counter() - begin
        progress(f"(b) new config against the current: {double:.1f} s", started)
    assert one.items == len(items) and baseline.matches == base_matches

    cpus = len(os.sched_getaffinity(0))
    processes = "a process per config" if cpus > 1 else "one process, one read"
    # (b) runs a process per CPU: other work on the machine slows it most
    load = os.getloadavg()[0]
    lines = [
        f"{len(items):,} stored items ({database} history, ~1.5 KB, six languages, one every 6 s),"
        f" every {MATCH_EVERY}th naming a watchlist term; example config; matcher text code:"
        f" {build_name()}; load average {load:.1f} on {cpus} CPUs at the end of the run.",
        "",
        "| run | time s | items/s | ratio to baseline | matches | alerts |",
        "|---|---|---|---|---|---|",
        f"| baseline: matcher loop over items in memory | {base:.1f} | {len(items) / base:,.0f}"
        f" | 1x | {base_matches:,} | - |",
        f"| (a) backtest --watchlist {watchlist} | {single:.1f} | {len(items) / single:,.0f}"
        f" | {single / base:.2f}x | {one.matches:,} | {len(one.alerts):,} |",
        f"| (b) backtest --config NEW ({processes}) | {double:.1f}"
        f" | {len(items) / double:,.0f} | {double / base:.2f}x | {candidate.matches:,}"
        f" | {len(candidate.alerts):,} (+{len(comparison.added)}"
        f" / -{len(comparison.removed)}) |",
        "",
        f"Backtest times include reading the items back from {database} in the order seen,"
        " rebuilding them, and the alert decision (story grouping) on a memory store;"
        " (b) drops the NATO topic's Arabic terms, so its alerts on Arabic items are the"
        " removed ones. Ratio: backtest time over the baseline's time, same run.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("bench_backtest" + ("" if args.postgresql is None else "_postgresql"), text)


if __name__ == "__main__":
    main()
