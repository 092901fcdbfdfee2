"""Benchmark: near-duplicate body keys (``monitor.alerts.nearbody.body_keys``, body2:
one CRC-32 per shingle, the rows by multiply-add-shift in numpy) against the keys of
earlier releases (``legacy_body_keys``: a salted BLAKE2b digest per 16 rows and
shingle, numpy min) and the first implementation of those (``tests/nearbody_reference.py``:
a BLAKE2b hasher built per shingle and salt, a Python ``min`` per row).

Run ``python bench/bench_nearbody.py`` (``--rounds N``). The texts are the golden texts
of ``tests/unit/test_nearbody_golden.py`` (fixture stories, seeds and texts generated
from them in six languages); ``--corpus DIR`` adds the bodies of every item parsed from
the files below DIR (e.g. ../shared/corpus; nothing is written). Both implementations
run on the same texts, interleaved round by round; the legacy keys must equal the
reference's, and body2 must key the same texts. The headline is the legacy keys' time
per text over body2's. Writes ``## bench_nearbody`` of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

# Last: an installed monitor (the compiled build of `make bench`) comes first.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from results import write_section

from monitor.alerts import nearbody
from monitor.errors import ParseError
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from tests.nearbody_reference import golden_texts, reference_body_keys

FETCHED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def corpus_bodies(folder: Path) -> list[str]:
    bodies: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with contextlib.suppress(ParseError):
            items = parse_bytes(path.read_bytes(), SourceContext(str(path), FETCHED))
            bodies += [item.body for item in items if item.body]
    return bodies


def ours(body: str) -> tuple[str, ...]:
    return nearbody.body_keys.__wrapped__(body)  # uncached: every text costs its keys


def legacy(body: str) -> tuple[str, ...]:
    return nearbody.legacy_body_keys.__wrapped__(body)


def timed(func: Callable[[str], tuple[str, ...]], texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        func(text)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus", type=Path, help="also the item bodies of files below DIR")
    args = parser.parse_args()

    texts = list(golden_texts().values())
    if args.corpus:
        texts += corpus_bodies(args.corpus)
    keyed = [text for text in texts if reference_body_keys(text)]
    for text in texts:
        if legacy(text) != reference_body_keys(text):
            sys.exit("bench_nearbody: the legacy keys differ from the reference")
        if bool(ours(text)) != bool(legacy(text)):
            sys.exit("bench_nearbody: body2 keys a different set of texts")

    reference_s = legacy_s = ours_s = 0.0
    for _ in range(args.rounds):  # interleaved: all see the same machine load
        reference_s += timed(reference_body_keys, keyed)
        legacy_s += timed(legacy, keyed)
        ours_s += timed(ours, keyed)
    count = len(keyed) * args.rounds
    lines = [
        f"texts: {len(texts)} ({len(keyed)} long enough for keys; legacy keys identical to"
        " the reference on all, body2 keys the same texts)",
        "",
        "| body keys | ms per keyed text | vs body2 |",
        "|---|---|---|",
        f"| reference (per-shingle hashers, Python min) | {reference_s / count * 1e3:.2f} |"
        f" {reference_s / ours_s:.1f}x |",
        f"| legacy_body_keys (copied hashers, numpy min) | {legacy_s / count * 1e3:.2f} |"
        f" {legacy_s / ours_s:.1f}x |",
        f"| body_keys, body2 (CRC-32, numpy rows) | {ours_s / count * 1e3:.2f} | 1.0x |",
        "",
        f"**speed-up: {legacy_s / ours_s:.1f}x** (legacy keys' time / body2's,"
        f" {args.rounds} interleaved rounds)",
    ]
    print("\n".join(lines))
    write_section("bench_nearbody", "\n".join(lines))


if __name__ == "__main__":
    main()
