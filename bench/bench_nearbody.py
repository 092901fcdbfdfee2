"""Benchmark: near-duplicate body keys (``monitor.alerts.nearbody.body_keys``, body2:
one CRC-32 per shingle, the rows by multiply-add-shift in numpy) against the keys of
earlier releases (``legacy_body_keys``: a salted BLAKE2b digest per 16 rows and
shingle, numpy min) and the first implementation of those (``tests/nearbody_reference.py``:
a BLAKE2b hasher built per shingle and salt, a Python ``min`` per row); and body2 as
first computed (``before``: the whole body folded at once, each distinct shingle joined,
encoded and hashed), this change's baseline, whose keys body2's must equal.

Run ``python bench/bench_nearbody.py`` (``--rounds N``). The texts are the golden texts
of ``tests/unit/test_nearbody_golden.py`` (fixture stories, seeds and texts generated
from them in six languages); ``--corpus DIR`` adds the bodies of every item parsed from
the files below DIR (e.g. ../shared/corpus; nothing is written), and ``--items N`` (1,000)
realistic ~3 KB items of ``bench/corpus.py``, as ``bench_pipeline`` serves, are timed
in a table of their own. All implementations run on the same texts, interleaved round
by round; the legacy keys must equal the reference's, and body2 must key the same texts
as they do, with the same keys as body2 as first computed. The headlines are body2's
time as first computed over its time now, and the legacy keys' time over body2's. The
cache of folded chunks is emptied before each round: each round starts as a fresh
worker does. Writes ``## bench_nearbody`` of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

# Last: an installed monitor (the compiled build of `make bench`) comes first.
sys.path.append(str(Path(__file__).resolve().parents[1]))

import numpy as np
from corpus import make_corpus
from results import write_section

from monitor.alerts import nearbody
from monitor.errors import ParseError
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from tests.nearbody_reference import golden_texts, reference_body_keys, reference_body_words

FETCHED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def corpus_bodies(folder: Path) -> list[str]:
    bodies: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with contextlib.suppress(ParseError):
            items = parse_bytes(path.read_bytes(), SourceContext(str(path), fetched_at=FETCHED))
            bodies += [item.body for item in items if item.body]
    return bodies


def ours(body: str) -> tuple[str, ...]:
    return nearbody.body_keys.__wrapped__(body)  # uncached: every text costs its keys


def before(body: str) -> tuple[str, ...]:
    """body2 keys as first computed: the whole text folded, then a set of shingle strings,
    each encoded and hashed."""
    words = reference_body_words(body)
    if len(words) < nearbody.MIN_WORDS:
        return ()
    found = nearbody.shingles(words)
    x = np.fromiter(
        (zlib.crc32(shingle.encode("utf-8", "surrogatepass")) for shingle in found),
        dtype=np.uint64,
        count=len(found),
    )
    return nearbody._band_keys("body2", nearbody.least_rows(x))


def legacy(body: str) -> tuple[str, ...]:
    return nearbody.legacy_body_keys.__wrapped__(body)


def timed(func: Callable[[str], tuple[str, ...]], texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        func(text)
    return time.perf_counter() - start


def checked(texts: list[str]) -> list[str]:
    """The texts long enough for keys, once every kind of key is checked on all."""
    for text in texts:
        if legacy(text) != reference_body_keys(text):
            sys.exit("bench_nearbody: the legacy keys differ from the reference")
        if bool(ours(text)) != bool(legacy(text)):
            sys.exit("bench_nearbody: body2 keys a different set of texts")
        if ours(text) != before(text):
            sys.exit("bench_nearbody: body2 keys differ from body2 as first computed")
    return [text for text in texts if ours(text)]


def table(title: str, texts: list[str], rounds: int) -> list[str]:
    """Every kind of key over the same texts, interleaved round by round."""
    keyed = checked(texts)
    reference_s = legacy_s = before_s = ours_s = 0.0
    for _ in range(rounds):  # interleaved: all see the same machine load
        reference_s += timed(reference_body_keys, keyed)
        legacy_s += timed(legacy, keyed)
        before_s += timed(before, keyed)
        nearbody._chunk_words.cache_clear()  # a fresh worker's cold cache
        ours_s += timed(ours, keyed)
    count = len(keyed) * rounds
    return [
        f"{title}: {len(texts)} ({len(keyed)} long enough for keys; legacy keys identical"
        " to the reference on all, body2 keys the same texts, identical to body2 as first"
        " computed)",
        "",
        "| body keys | ms per keyed text | vs body2 |",
        "|---|---|---|",
        f"| reference (per-shingle hashers, Python min) | {reference_s / count * 1e3:.2f} |"
        f" {reference_s / ours_s:.1f}x |",
        f"| legacy_body_keys (copied hashers, numpy min) | {legacy_s / count * 1e3:.2f} |"
        f" {legacy_s / ours_s:.1f}x |",
        f"| body2 as first computed (whole text folded, shingle strings) |"
        f" {before_s / count * 1e3:.2f} | {before_s / ours_s:.1f}x |",
        f"| body_keys, body2 (folded chunks cached, the lead's bytes sliced) |"
        f" {ours_s / count * 1e3:.2f} | 1.0x |",
        "",
        f"**speed-up: {before_s / ours_s:.1f}x** (body2 as first computed / now),"
        f" {legacy_s / ours_s:.1f}x (legacy keys' time / body2's), {rounds} interleaved"
        " rounds",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus", type=Path, help="also the item bodies of files below DIR")
    parser.add_argument(
        "--items", type=int, default=1000, help="realistic items (bench/corpus.py) timed apart"
    )
    args = parser.parse_args()

    texts = list(golden_texts().values())
    if args.corpus:
        texts += corpus_bodies(args.corpus)
    items = [item["body"] for item in make_corpus(seed=1, items=args.items).items]
    lines = [
        *table("golden texts" + (" and corpus items" if args.corpus else ""), texts, args.rounds),
        "",
        *table("realistic items (bench/corpus.py, ~3 KB, as bench_pipeline's)", items, args.rounds),
    ]
    print("\n".join(lines))
    write_section("bench_nearbody", "\n".join(lines))


if __name__ == "__main__":
    main()
