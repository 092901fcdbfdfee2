"""Benchmark: the history store, writing items in batches and searching them.

Run ``.venv/bin/python bench/bench_history.py`` (``--items N``, default 100,000;
``--batch B``, default 500; ``--postgres URL`` to measure PostgreSQL too: a fresh
schema is made and dropped; ``--no-postgres`` to skip the default server on
127.0.0.1). Generates its own multilingual items (``bench/corpus.py``, ~1.5 KB
each, no files read), then, per database:

(a) write: items/s through ``History.write`` (one transaction per batch: token keys
    computed with the matcher's folding, upsert, full-text index), against the
    baseline in the same run: the same rows inserted plainly (no keys, no index,
    ``executemany`` on one table) into the same database. The headline ratio is
    write time over baseline time (what the full-text history costs);
(b) search: mean time of ``History.search_items`` for content words of varied
    frequency (each query checked to find its items), against a ``LIKE '%word%'``
    scan of the bodies (which finds neither inflected forms nor clitics);
(c) the database's size on disk (SQLite) per item.

Section ``## bench_history`` of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from corpus import make_corpus, make_items
from results import write_section

from monitor.history import History, HistoryBatch, open_history
from monitor.model import WireItem

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def build_items(count: int, seed: int) -> list[WireItem]:
    corpus = make_corpus(seed=seed, items=0, vocab_size=20_000)
    make_items(random.Random(seed), corpus, count, size=1500)
    return [
        WireItem.from_dict({**data, "fetched_at": "2026-03-01T12:00:00+00:00"})
        for data in corpus.items
    ]


def baseline_write(url: str, items: list[WireItem], batch: int) -> float:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    plain = sa.Table(
        "plain_items",
        sa.MetaData(),
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("feed_id", sa.String),
        sa.Column("language", sa.String),
        sa.Column("title", sa.Text),
        sa.Column("body", sa.Text),
    )
    plain.create(engine)
    start = time.perf_counter()
    for offset in range(0, len(items), batch):
        rows = [
            {
                "id": i.id,
                "feed_id": i.feed_id,
                "language": i.language,
                "title": i.title,
                "body": i.body,
            }
            for i in items[offset : offset + batch]
        ]
        with engine.begin() as conn:
            conn.execute(plain.insert(), rows)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def history_write(history: History, items: list[WireItem], batch: int) -> float:
    start = time.perf_counter()
    for offset in range(0, len(items), batch):
        history.write(HistoryBatch(items=tuple(items[offset : offset + batch])))
    return time.perf_counter() - start


def pick_words(items: list[WireItem], rng: random.Random, count: int) -> list[str]:
    """Words a search would look for: in a few items of a sample of 5,000 (about
    20-100 of 100,000: a name, a place), not the common words of every story."""
    sample = items[:5000]
    frequency: dict[str, int] = {}
    for entry in sample:
        for word in set(entry.body.split()):
            frequency[word] = frequency.get(word, 0) + 1
    words: list[str] = []
    while len(words) < count:
        word = rng.choice(rng.choice(sample).body.split())
        if word.isalpha() and len(word) >= 5 and 1 <= frequency[word] <= 5 and word not in words:
            words.append(word)
    return words


def measure_search(history: History, url: str, words: list[str]) -> dict[str, Any]:
    found, ours, likes = [], [], []
    engine = history.engine
    for word in words:
        start = time.perf_counter()
        hits = history.search_items(word, limit=100_000)
        ours.append(time.perf_counter() - start)
        found.append(len(hits))
        assert hits, f"search for {word!r} found nothing"
        start = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(
                sa.text("SELECT id, title, body FROM plain_items WHERE body LIKE :w"),
                {"w": f"%{word}%"},
            ).fetchall()
        likes.append(time.perf_counter() - start)
    return {
        "search_ms": statistics.mean(ours) * 1000,
        "like_ms": statistics.mean(likes) * 1000,
        "median_found": statistics.median(found),
    }


def run(name: str, url: str, items: list[WireItem], batch: int, words: list[str]) -> dict[str, Any]:
    print(f"== {name}: baseline (plain insert)", flush=True)
    base = baseline_write(url, items, batch)
    print(f"   {len(items) / base:,.0f} items/s", flush=True)
    with open_history(url) as history:
        print(f"== {name}: History.write", flush=True)
        ours = history_write(history, items, batch)
        print(f"   {len(items) / ours:,.0f} items/s", flush=True)
        assert history.count_items() == len(items)
        search = measure_search(history, url, words)
    print(
        f"   search {search['search_ms']:.1f} ms (LIKE scan {search['like_ms']:.1f} ms),"
        f" median {search['median_found']:.0f} items found",
        flush=True,
    )
    return {"name": name, "write": len(items) / ours, "base": len(items) / base, **search}


def build() -> str:
    """Which build of the matcher's text code (token keys) this run measures."""
    from monitor.compiled import imported_files

    files = list(imported_files().values())
    compiled = sum(file.endswith(".so") for file in files)
    if compiled == len(files):
        return "compiled by mypyc"
    return "pure Python" if not compiled else f"{compiled} of {len(files)} modules compiled"


def history_bytes(path: Path) -> int:
    """The history's own pages in the SQLite file (the baseline's table left out)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as conn:
        (size,) = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name NOT LIKE '%plain_items%'"
        ).fetchone()
    return int(size)


def postgres_schema(url: str) -> tuple[str, str] | None:
    try:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:  # no server: measure SQLite only
        print(f"no PostgreSQL at {url}: {str(exc).splitlines()[0]}", flush=True)
        return None
    separator = "&" if "?" in url else "?"
    return schema, f"{url}{separator}options=-csearch_path%3D{schema}"


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()

    print(f"build: {build()}", flush=True)
    start = time.perf_counter()
    items = build_items(args.items, seed=7)
    print(f"{len(items):,} items generated in {time.perf_counter() - start:.1f} s", flush=True)
    words = pick_words(items, random.Random(11), args.queries)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.db"
        results.append(run("SQLite", f"sqlite:///{path}", items, args.batch, words))
        results[-1]["bytes"] = history_bytes(path) / len(items)
    if not args.no_postgres:
        made = postgres_schema(args.postgres)
        if made is not None:
            schema, url = made
            try:
                results.append(run("PostgreSQL", url, items, args.batch, words))
            finally:
                drop_schema(args.postgres, schema)

    lines = [
        f"{args.items:,} generated items (~1.5 KB, six languages), batches of {args.batch},"
        f" {args.queries} one-word searches; matcher text code: {build()}.",
        "",
        "| database | write items/s | plain insert items/s | cost ratio | search ms"
        " | LIKE scan ms | LIKE / search | items found (median) | bytes per item |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        size = f"{r['bytes']:,.0f}" if "bytes" in r else "-"
        lines.append(
            f"| {r['name']} | {r['write']:,.0f} | {r['base']:,.0f} | {r['base'] / r['write']:.1f}x"
            f" | {r['search_ms']:.1f} | {r['like_ms']:.1f} | {r['like_ms'] / r['search_ms']:.0f}x"
            f" | {r['median_found']:.0f} | {size} |"
        )
    lines += [
        "",
        "Cost ratio: plain-insert items/s over History.write items/s, same rows, same run"
        " (History.write also computes the matcher's token keys and maintains the"
        " full-text index). Search: mean of `History.search_items(word)` (all results)"
        " against `LIKE '%word%'` over the plain table's bodies, for words found in a few"
        " items of every 5,000 (the search also finds their inflected forms). Bytes per"
        " item: the SQLite history's pages (items with their token keys, JSON, indexes).",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("bench_history", text)


if __name__ == "__main__":
    main()
