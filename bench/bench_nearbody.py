"""Benchmark: near-duplicate body keys (``monitor.alerts.nearbody.body_keys``) against
the implementation they replaced (``tests/nearbody_reference.py``: a BLAKE2b hasher
built per shingle and salt, a Python ``min`` per row).

Run ``python bench/bench_nearbody.py`` (``--rounds N``). The texts are the golden texts
of ``tests/unit/test_nearbody_golden.py`` (fixture stories, seeds and texts generated
from them in six languages); ``--corpus DIR`` adds the bodies of every item parsed from
the files below DIR (e.g. ../shared/corpus; nothing is written). Both implementations
run on the same texts, interleaved round by round, and must give the same keys; the
headline is the reference's time per text over ours. Writes ``## bench_nearbody`` of
bench/RESULTS.md.
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
        if ours(text) != reference_body_keys(text):
            sys.exit("bench_nearbody: the keys differ from the reference")

    reference_s = ours_s = 0.0
    for _ in range(args.rounds):  # interleaved: both see the same machine load
        reference_s += timed(reference_body_keys, keyed)
        ours_s += timed(ours, keyed)
    count = len(keyed) * args.rounds
    reference_ms = reference_s / count * 1e3
    ours_ms = ours_s / count * 1e3
    ratio = reference_s / ours_s
    lines = [
        f"texts: {len(texts)} ({len(keyed)} long enough for keys; keys identical to the"
        " reference on all)",
        "",
        "| body_keys | ms per keyed text |",
        "|---|---|",
        f"| reference (per-shingle hashers, Python min) | {reference_ms:.2f} |",
        f"| nearbody (copied hashers, numpy min) | {ours_ms:.2f} |",
        "",
        f"**speed-up: {ratio:.1f}x** (reference time / ours, {args.rounds} interleaved rounds)",
    ]
    print("\n".join(lines))
    write_section("bench_nearbody", "\n".join(lines))


if __name__ == "__main__":
    main()
