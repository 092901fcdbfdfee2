"""Benchmark: what writing the history costs ``monitor run --once``, per item.

Run ``.venv/bin/python bench/bench_history_wire.py`` (``--feeds`` x ``--items``, default
10 x 100 ~3 KB items, one in ``--every`` (default 10) naming a watchlist term, served as
RSS on loopback by ``bench/feedserver.py``; ``--repeat N`` runs of each, default 3;
``--postgres URL`` to measure a PostgreSQL history too, in a schema made and dropped
here; ``--no-postgres`` to skip the default server on 127.0.0.1). Each run is a fresh
state dir, so every item is new. The BASELINE is the same ``EmbeddedRunner.run(once=True)``
with the history's writes turned off (``HistoryRecorder.write`` and ``flush_attempts``
do nothing), measured in the same run, the runs interleaved. Printed, per database:
items/s with and without the history (best of N), their ratio, the extra µs per item,
and the time inside ``HistoryRecorder.write`` per item (one transaction per poll).
Section ``## bench_history_wire`` of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parents[1]))

import psycopg
import yaml
from bench_pipeline import make_items, split_feeds, write_config
from feedserver import FeedServer
from results import RESULTS, write_section

from monitor.config.loader import load_config
from monitor.logs import configure_logging

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def with_history_url(config_path: Path, url: str) -> Path:
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["settings"]["history_url"] = url
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return config_path


@contextlib.contextmanager
def sqlite_file(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / 'state' / 'history.db'}"


@contextlib.contextmanager
def pg_schema(url: str) -> Iterator[str]:
    schema = f"bench_wire_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def run_once(config_path: Path, *, history: bool) -> dict[str, float]:
    """One ``run(once=True)``; with ``history`` False the recorder writes nothing."""
    from monitor import pipeline
    from monitor.runner import EmbeddedRunner

    runtime = pipeline.Runtime.build(load_config(config_path))
    runner = EmbeddedRunner(runtime)
    spent = [0.0]
    write = runner.history.write

    def timed(batch: Any) -> None:
        started = time.perf_counter()
        write(batch)
        spent[0] += time.perf_counter() - started

    if history:
        runner.history.write = timed  # type: ignore[method-assign]
    else:
        runner.history.write = lambda batch: None  # type: ignore[method-assign]
        runner.history.flush_attempts = lambda final=False: None  # type: ignore[method-assign]
        runner.history.prune_if_due = lambda retention=None: None  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        stats = runner.run(once=True)
        elapsed = time.perf_counter() - started
    finally:
        runtime.close()
    return {"items": stats.items, "alerts": stats.alerts, "seconds": elapsed, "write": spent[0]}


def measure(
    server: FeedServer, work: Path, fresh: Callable[[Path], ContextManager[str]], repeat: int
) -> dict[str, float]:
    """Best of ``repeat`` interleaved runs with and without a ``fresh`` history each."""
    best: dict[bool, dict[str, float]] = {}
    for n in range(repeat):
        for history in (False, True):
            folder = work / f"{'with' if history else 'without'}-{n}"
            config = write_config(folder, server.urls)
            with fresh(folder) as url:
                got = run_once(with_history_url(config, url), history=history)
            if history not in best or got["seconds"] < best[history]["seconds"]:
                best[history] = got
    items = best[True]["items"]
    assert items == best[False]["items"] > 0, best
    plain, full = best[False]["seconds"], best[True]["seconds"]
    return {
        "items": items,
        "alerts": best[True]["alerts"],
        "rate_without": items / plain,
        "rate_with": items / full,
        "ratio": plain / full,
        "extra_us": (full - plain) / items * 1e6,
        "write_us": best[True]["write"] / items * 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=10)
    parser.add_argument("--items", type=int, default=100, help="items per feed")
    parser.add_argument("--every", type=int, default=10, help="one item in N matches")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    configure_logging("error")
    items = make_items(args.feeds * args.items, args.every, "hw")
    rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-history-wire-") as tmp:
        work = Path(tmp)
        server = FeedServer(split_feeds(items, args.feeds))
        try:
            # warm: imports, language models, the migrations' modules
            warm = write_config(work / "warm", server.urls)
            run_once(with_history_url(warm, f"sqlite:///{work / 'warm' / 'h.db'}"), history=True)
            rows.append(("SQLite", measure(server, work / "sqlite", sqlite_file, args.repeat)))
            if not args.no_postgres:
                fresh = lambda _folder: pg_schema(args.postgres)  # noqa: E731
                rows.append(("PostgreSQL", measure(server, work / "pg", fresh, args.repeat)))
        finally:
            server.close()
    lines = [
        f"Scale: {args.feeds} feeds x {args.items} items (~3 KB, 1 in {args.every} matching), "
        f"best of {args.repeat} interleaved runs each.",
        "",
        "| history | items/s without (baseline) | items/s with | ratio | extra µs/item "
        "| µs/item in the write |",
        "|---|---|---|---|---|---|",
    ]
    for name, got in rows:
        lines.append(
            f"| {name} | {got['rate_without']:,.0f} | {got['rate_with']:,.0f} "
            f"| {got['ratio']:.3f}x | {got['extra_us']:,.0f} | {got['write_us']:,.0f} |"
        )
    lines += [
        "",
        "Ratio: items/s with the history over without, same run. The write column is the "
        "time inside `HistoryRecorder.write` (one transaction per poll: items, matches, "
        f"alerts); {rows[0][1]['alerts']:.0f} alerts per run.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("bench_history_wire", text, RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
