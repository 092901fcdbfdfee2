"""Benchmark: ``History.write`` on SQLite per item, as revision 0003 wrote items and now.

Run ``.venv/bin/python bench/bench_history_write.py`` (``--items N`` measured, default
2,000 ~3 KB items as ``bench_pipeline`` makes them; ``--batch B``, default 100 items per
``History.write``; ``--rounds R``, default 3; ``--no-write`` to leave RESULTS.md alone).

BEFORE, the baseline, is the write as it was up to revision 0003, in the same run: a
history at 0003, whose trigger indexes each inserted row, one upsert of the items,
their keys split by ``re`` over whole fields, every key of each word stored
(``keys_before``), and every text column cleaned by a regex (``storable_before``). NOW
is ``History.write`` on a history at head (0004: new items indexed by one statement per
batch; keys from whitespace chunks, without the tagged keys that repeat their word).

Each round writes, for each way in turn (the order alternating between rounds), into a
fresh database: first ``--items / 2`` other items, untimed, after the word caches are
emptied (so both ways meet the measured items with the same words known, as a running
monitor does); then every word of the measured items is normalised, as the matcher
does before the history is written; then the measured items, timed; and, the same
way, their keys alone (``item_keys``), then again with every word cached. Printed: µs
per item written (best and median of the rounds) of each way, their ratio, and the
keys' share. The first round checks that both ways stored the same rows (now with a
subset of the keys) and that searches find the same items. Section
``## bench_history_write`` of bench/RESULTS.md. PostgreSQL is not measured: its write
changed only by the keys and the text cleaning (the keys column).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from bench_pipeline import clear_caches, wire_items
from results import write_section

from monitor.history import History, HistoryBatch
from monitor.history import fulltext as fulltext_module
from monitor.history.database import (
    _UNSTORABLE,
    HEAD,
    _storable_char,
    create_history_engine,
    migrate,
)
from monitor.history.fulltext import _NO_KEYS, MAX_WORD, item_keys
from monitor.history.tables import items
from monitor.model import WireItem
from monitor.text.morph import text_keys
from monitor.text.normalize import normalize_token
from monitor.text.tokenize import split_parts, split_words


@lru_cache(maxsize=262_144)
def _every_key(word: str) -> frozenset[str]:
    norm = normalize_token(word)
    return text_keys(norm) if norm and len(norm) <= MAX_WORD else _NO_KEYS


def keys_before(*fields: str) -> str:
    """``item_keys`` as it was: every field split by ``re``, word by word, and every
    key of each word stored."""
    words: set[str] = set()
    for text in fields:
        words.update(split_parts(text)[1::2])
    return " ".join(sorted(_NO_KEYS.union(*map(_every_key, words))))


def storable_before(text: str) -> str:
    return _UNSTORABLE.sub(_storable_char, text)


class HistoryBefore(History):
    """The items written as up to revision 0003: one upsert, the trigger indexing."""

    def _write_items(self, connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
        self._upsert(connection, items, rows, ["id"], keep=["seen_at"])


@contextmanager
def before() -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(mock.patch("monitor.history.store.item_keys", keys_before))
        stack.enter_context(mock.patch("monitor.history.store.storable", storable_before))
        stack.enter_context(mock.patch("monitor.history.database.storable", storable_before))
        yield


WAYS: dict[str, tuple[str, type[History], Callable[[], Any], Callable[..., str]]] = {
    "before (0003)": ("0003", HistoryBefore, before, keys_before),
    "now (0004)": (HEAD, History, nullcontext, item_keys),
}


def cold() -> None:
    clear_caches()
    fulltext_module._word_keys.cache_clear()
    fulltext_module._chunk_keys.cache_clear()
    _every_key.cache_clear()


def matched(batch: list[WireItem]) -> None:
    """What the matcher leaves in the caches before the history writes ``batch``: every
    word normalised (the keys of most new words it never derives)."""
    for entry in batch:
        split_words(entry.title)
        split_words(entry.body)


def write_all(history: History, batch: list[WireItem], size: int) -> float:
    start = time.perf_counter()
    for offset in range(0, len(batch), size):
        history.write(HistoryBatch(items=tuple(batch[offset : offset + size])))
    return time.perf_counter() - start


def one_way(
    way: str, folder: Path, warm: list[WireItem], measured: list[WireItem], size: int
) -> tuple[float, list[float], sa.Engine]:
    """(write seconds, keys seconds (first, again), the engine) of one way, from the
    same cache state."""
    revision, kind, patched, keys = WAYS[way]
    engine = create_history_engine(f"sqlite:///{folder / 'history.db'}")
    migrate(engine, revision)
    history = kind(engine)
    with patched():
        cold()
        write_all(history, warm, size)
        matched(measured)
        spent = write_all(history, measured, size)
        cold()
        for entry in warm:
            keys(entry.title, entry.body)
        matched(measured)
        keyed = []
        for _ in range(2):  # words met first (as written), then again
            start = time.perf_counter()
            for entry in measured:
                keys(entry.title, entry.body)
            keyed.append(time.perf_counter() - start)
    return spent, keyed, engine


def same_history(engines: list[sa.Engine], measured: list[WireItem]) -> list[float]:
    """Both ways stored the same rows (now: fewer keys, ``fulltext.stored_keys``) and
    find the same items."""
    rows = []
    for engine in engines:
        with engine.connect() as conn:
            stored = conn.execute(sa.select(items).order_by(items.c.pk)).mappings().all()
            rows.append([{**row, "keys": set(row["keys"].split())} for row in stored])
    keys_per_item = [sum(len(row["keys"]) for row in way) / len(way) for way in rows]
    for old, new in zip(*rows, strict=True):
        assert {**old, "keys": None} == {**new, "keys": None}, "the two ways stored other rows"
        assert new["keys"] <= old["keys"], "keys stored now that were not before"
    words = [w for entry in measured[:: max(1, len(measured) // 20)] for w in entry.title.split()]
    for word in random.Random(5).sample(words, min(30, len(words))):
        found = [[s.item.id for s in History(e).search_items(word, limit=10_000)] for e in engines]
        assert found[0] == found[1], word
        assert found[0] or not word.isalpha(), word
    return keys_per_item


def database_bytes(engine: sa.Engine) -> int:
    """The size of the database file, its write-ahead log checkpointed into it."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert engine.url.database is not None
    return Path(engine.url.database).stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    warm = wire_items(args.items // 2, 10, "warm", seed=2)
    measured = wire_items(args.items, 10, "hw", seed=1)
    size = sum(len(i.title) + len(i.body) for i in measured) / len(measured)
    spent: dict[str, list[float]] = {way: [] for way in WAYS}
    keyed: dict[str, list[float]] = {way: [] for way in WAYS}
    again: dict[str, list[float]] = {way: [] for way in WAYS}
    for number in range(args.rounds):
        order = list(WAYS) if number % 2 == 0 else list(reversed(WAYS))
        with tempfile.TemporaryDirectory(prefix="bench-history-write-") as tmp:
            engines = {}
            for way in order:
                folder = Path(tmp) / str(len(engines))
                folder.mkdir()
                seconds, keys, engines[way] = one_way(way, folder, warm, measured, args.batch)
                spent[way].append(seconds / len(measured) * 1e6)
                keyed[way].append(keys[0] / len(measured) * 1e6)
                again[way].append(keys[1] / len(measured) * 1e6)
                print(f"round {number + 1} {way}: {spent[way][-1]:,.0f} µs/item", flush=True)
            if number == 0:
                keys_per_item = same_history([engines[way] for way in WAYS], measured)
                sizes = [database_bytes(engines[way]) for way in WAYS]
            for engine in engines.values():
                engine.dispose()
    (old, new) = WAYS
    lines = [
        f"{len(measured):,} items (~{size / 1000:.1f} KB, six languages) written in batches of"
        f" {args.batch} to SQLite, after {len(warm):,} others; {args.rounds} interleaved"
        " rounds, each way in a fresh database.",
        "",
        "| way | µs/item (best) | µs/item (median) | of which keys (best) | keys again |",
        "|---|---|---|---|---|",
    ]
    for way in WAYS:
        lines.append(
            f"| {way} | {min(spent[way]):,.0f} | {statistics.median(spent[way]):,.0f}"
            f" | {min(keyed[way]):,.0f} | {min(again[way]):,.0f} |"
        )
    lines += [
        "",
        f"Write cost now over before: {min(spent[new]) / min(spent[old]):.2f}x (best),"
        f" {statistics.median(spent[new]) / statistics.median(spent[old]):.2f}x (median);"
        f" keys {min(keyed[new]) / min(keyed[old]):.2f}x, again (every word cached)"
        f" {min(again[new]) / min(again[old]):.2f}x. Before: revision 0003's"
        " per-row trigger feeding the full-text index, keys split by regex over whole"
        " fields, every key of each word stored, text columns cleaned by regex; now: one"
        " index statement per batch, keys by whitespace chunks without the tagged keys that"
        " repeat their word, cleaning only what needs it. Both ways store the same rows"
        " (now with a subset of the keys) and find the same items (checked in the run).",
        "",
        f"Distinct keys per item: before {keys_per_item[0]:,.0f}, now {keys_per_item[1]:,.0f}"
        f" ({keys_per_item[1] / keys_per_item[0]:.2f}x); database size now over before"
        f" (first round, {len(warm) + len(measured):,} items): {sizes[1] / sizes[0]:.2f}x.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("bench_history_write", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
