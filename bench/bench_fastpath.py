"""Benchmark: the lxml fast path for RSS 2.0 against the feedparser path, same run.

Run ``python bench/bench_fastpath.py`` (``--quick`` for a short run). No network.
Two document sets: the realistic items of ``bench/bench_pipeline.py`` (the Zipf
corpus of ``bench/corpus.py`` served as ``bench/feedserver.py`` renders them) and
every feed document of the shared corpus (``--corpus DIR``; skipped when absent).
For each, interleaved round by round on the same bytes, in µs per entry:

- reading entries: ``feeds._read_xml_feed`` with the fast path and without it
  (feedparser plus its entry mapping): the step the fast path replaces;
- the whole ``feeds.parse_feed`` (HTML to text, languages, datelines, ids ...),
  both ways: what an item costs the pipeline's parse stage.

The headline is feedparser's time over the fast path's (above 1: faster). The
corpus line also says how many entries the fast path read (the rest fell back).
Writes the ``bench_fastpath`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Last: an installed monitor (the compiled build of `make bench`) comes first.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from corpus import make_corpus
from feedserver import rss_document, rss_item
from results import write_section

from monitor.errors import ParseError
from monitor.sources import feeds
from monitor.sources.context import SourceContext
from monitor.sources.xmlsafe import sniff_root

FETCHED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"

Documents = list[tuple[str, bytes, int]]  # name, bytes, entries


def realistic_documents(items: int, feeds_count: int) -> Documents:
    corpus = make_corpus(seed=1, items=items, vocab_size=20_000).items
    published = FETCHED.timestamp() - 3600
    documents: Documents = []
    for number in range(feeds_count):
        entries = [rss_item(item, published) for item in corpus[number::feeds_count]]
        documents.append((f"feed-{number}", rss_document(number, entries), len(entries)))
    return documents


def corpus_documents(folder: Path) -> Documents:
    documents: Documents = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found = sniff_root(data)
        if found is None or found[0] not in ("rss", "feed", "rdf"):
            continue
        try:
            count = len(feeds._read_xml_feed(data, _ctx(path.name), False).entries)
        except ParseError:
            continue
        if count:
            documents.append((path.name, data, count))
    return documents


def _ctx(name: str) -> SourceContext:
    return SourceContext(source=name, fetched_at=FETCHED)


def fast_entries(documents: Documents) -> int:
    taken = 0
    for _name, data, count in documents:
        if feeds.fast_path_reads(data, {}):
            taken += count
    return taken


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def measure(documents: Documents, budget: float, whole: bool) -> dict[str, float]:
    """Median µs per entry over interleaved rounds, fast and feedparser paths."""
    entries = sum(count for _, _, count in documents)

    def run(fast: bool) -> Callable[[], object]:
        if whole:
            return lambda: [feeds.parse_feed(d, _ctx(n), fast=fast) for n, d, _ in documents]
        return lambda: [feeds._read_xml_feed(d, _ctx(n), fast) for n, d, _ in documents]

    rounds: dict[str, list[float]] = {"fast": [], "feedparser": []}
    deadline = time.perf_counter() + budget
    while len(rounds["fast"]) < 3 or time.perf_counter() < deadline:
        rounds["feedparser"].append(_timed(run(False)))
        rounds["fast"].append(_timed(run(True)))
    return {path: statistics.median(times) / entries * 1e6 for path, times in rounds.items()}


def _row(label: str, figures: dict[str, float]) -> str:
    ratio = figures["feedparser"] / figures["fast"]
    return f"| {label} | {figures['feedparser']:,.0f} | {figures['fast']:,.0f} | **{ratio:.1f}x** |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000, help="realistic items")
    parser.add_argument("--feeds", type=int, default=20, help="feeds they are served in")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--budget", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--quick", action="store_true", help="400 items, 1 s budgets")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.quick:
        args.items, args.budget = 400, 1.0
    sets = {"realistic items": realistic_documents(args.items, args.feeds)}
    if args.corpus.is_dir():
        sets["shared corpus feeds"] = corpus_documents(args.corpus)
    else:
        print(f"no corpus at {args.corpus}; realistic items only", file=sys.stderr)
    lines = [
        "Same run, same bytes, interleaved rounds; µs per entry (median round).",
        "",
        "| documents | entries | read by the fast path |",
        "|---|---|---|",
    ]
    table = [
        "",
        "| step, documents | feedparser µs | fast path µs | speed-up |",
        "|---|---|---|---|",
    ]
    for label, documents in sets.items():
        entries = sum(count for _, _, count in documents)
        taken = fast_entries(documents)
        lines.append(f"| {label} ({len(documents)} docs) | {entries} | {taken / entries:.0%} |")
        for whole, step in ((False, "reading entries"), (True, "whole parse_feed")):
            figures = measure(documents, args.budget, whole)
            table.append(_row(f"{step}, {label}", figures))
            print(table[-1], flush=True)
    report = "\n".join(lines + table)
    print(report)
    if not args.no_write:
        write_section("bench_fastpath", report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
