"""Benchmark: normalise + tokenise + match, against a Python ``re`` baseline.

Run ``make bench`` (the compiled build, as deployed: setup.py) or
``.venv/bin/python bench/bench_match.py`` (the pure-Python sources); the first
line says which build was measured. ``--quick`` for a short run. Builds its own
synthetic multilingual corpus and dictionaries (``bench/corpus.py``; no network,
no files read), then measures on one core:

(a) items/s through ``Matcher.match`` with 10,000 and 100,000 terms, on a first
    pass with cold token caches and on a second (warm) pass;
(b) compile time and memory for 100,000 terms, in a subprocess so that the RSS
    figure is the compile's own (max RSS after minus RSS before ``build_matcher``);
(c) the baseline in the same run: one ``re`` alternation of all terms (escaped,
    longest first) between ``\\b`` boundaries, IGNORECASE, over the same items;
(d) identity: on every item of the corpus, the Match lists of the default
    matcher must equal those of a reference that derives every new word's keys
    (no new-word needle screen; a target: 0 items differ);
(e) term finding alone (no watchlist evaluation), warm: our chunk scan over
    hashed token keys against ``re.split`` alone (the floor of any regex
    tokeniser) and pyahocorasick over the joined stream of normalised forms
    (exact forms only: no stems, endings or clitics).

``--mentions F`` makes only a share F of sentences able to name rarer words
(hence terms); the rest use common words only (default 1: every sentence).

``--long N`` (default 10,000; 0 skips it) adds a *long-run* figure: the items/s
on 1,500 more unseen items after N items have gone through the matcher, as in a
monitor that has run for a few hours (new words per item fall as the stream's
vocabulary is met: Heaps' law). The targets are checked on the steady figure
(after 1,000 items), the more demanding one; the long-run one is printed beside.

The headline is our items/s over the baseline's. Targets: >= 5,000 items/s
@10k, >= 2,500 items/s @100k, compile 100k < 5 s and < 500 MB. Writes its section
of bench/RESULTS.md (``bench_match``; ``--no-write`` to leave it alone).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Last: an installed monitor (the compiled build of `make bench`) comes first.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from corpus import Corpus, all_terms, make_config_data, make_corpus
from results import write_section

from monitor.config.schema import Config
from monitor.match.engine import Matcher, build_matcher
from monitor.model import WireItem

TARGETS = {"10k": 5000.0, "100k": 2500.0, "compile_s": 5.0, "compile_mb": 500.0}


def _pin_one_core() -> None:
    # The targets are per core; keep the scheduler from spreading us around.
    if hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _clear_caches() -> None:
    from monitor.text import morph, normalize

    normalize.normalize_token.cache_clear()
    morph.text_keys.cache_clear()
    try:
        from monitor.text import tokenize

        tokenize.clear_caches()  # type: ignore[attr-defined]
    except AttributeError:
        pass


def _machine() -> tuple[float, float]:
    """A yardstick printed with every run, not a target: CPU nanoseconds (best of
    3) per iteration of a plain Python loop, and per lookup of a fresh string in
    a dict of 262,144 (what the matcher's chunk cache does ~500 times an item).

    These shared machines differ between sessions: the same commit has run ~3x
    slower on one than on another (its ``re`` baseline with it), so items/s from
    different sessions are compared only alongside these two figures."""
    rng = random.Random(0)
    keys = ["".join(rng.choices("abcdefghijklmnop", k=8)) for _ in range(262_144)]
    table = dict.fromkeys(keys, 0)
    probes = " ".join(rng.choices(keys, k=500_000))
    loop = lookup = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for number in range(1_000_000):
            total += number
        loop = min(loop, time.process_time() - started)
        fresh = probes.split(" ")  # new str objects: hashes not cached, as in a text
        started = time.process_time()
        list(map(table.__getitem__, fresh))
        lookup = min(lookup, time.process_time() - started)
    return loop * 1000, lookup * 2000


def _build() -> str:
    """Which build of the engine this run measures (``monitor.compiled``)."""
    from monitor.compiled import imported_files

    files = list(imported_files().values())
    compiled = sum(file.endswith(".so") for file in files)
    if compiled == len(files):
        return f"compiled by mypyc ({compiled} modules, from {Path(files[0]).parents[2]})"
    if not compiled:
        return f"pure Python (from {Path(files[0]).parents[2]})"
    return f"mixed: {compiled} of {len(files)} modules compiled"


def _status_mb(field: str) -> float | None:
    """A ``VmRSS``/``VmHWM`` figure from /proc/self/status (Linux), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM), so it measures what comes next."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _config(corpus: Corpus, terms: int, seed: int) -> tuple[dict[str, Any], Config]:
    data = make_config_data(random.Random(seed * 7919 + terms), corpus, terms)
    return data, Config.model_validate(data)


def compile_only(terms: int, seed: int, items: int) -> dict[str, float]:
    """Run in a subprocess: build the corpus and config, then time build_matcher.

    Memory: peak RSS during the compile minus RSS before it (the peak mark is
    reset first; without /proc, the process's max RSS, an upper bound)."""
    corpus = make_corpus(seed, items=items)
    _, config = _config(corpus, terms, seed)
    gc.collect()
    before = _status_mb("VmRSS") or 0.0
    exact = _reset_peak()
    started = time.perf_counter()
    matcher = build_matcher(config)
    seconds = time.perf_counter() - started
    peak = _status_mb("VmHWM") if exact else None
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "mb": peak - before, "rss_mb": peak, "entries": matcher.index.size}


def _throughput(matcher: Any, items: list[WireItem], budget: float) -> tuple[float, int, int]:
    """items/s over one pass (stopping early after ``budget`` seconds), matches seen."""
    started = time.perf_counter()
    done = matches = 0
    for item in items:
        matches += len(matcher.match(item))
        done += 1
        if time.perf_counter() - started > budget:
            break
    return done / (time.perf_counter() - started), done, matches


def _hits_per_item(matcher: Any, items: list[WireItem]) -> float:
    found = 0
    for item in items:
        for text in (item.title, item.body):
            found += len(matcher.index.find_text(text)[1])
    return found / len(items)


def _baseline(terms: list[str]) -> re.Pattern[str]:
    words = sorted({t.strip('"*') for t in terms if t.strip('"*')}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)


def _baseline_throughput(
    pattern: re.Pattern[str], items: list[WireItem], budget: float
) -> tuple[float, int]:
    started = time.perf_counter()
    done = 0
    for item in items:
        for text in (item.title, item.body):
            for _ in pattern.finditer(text):
                pass
        done += 1
        if time.perf_counter() - started > budget:
            break
    return done / (time.perf_counter() - started), done


def _best_rate(run: Callable[[], object], count: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return count / best


def _automata(matcher: Any, terms: list[str], items: list[WireItem]) -> dict[str, float]:
    """Term finding only (no watchlist evaluation), items/s on warm caches:

    - ``split``: ``split_parts`` alone, the floor of any regex tokeniser;
    - ``hashed``: ``TermIndex.locate`` (what ``Matcher`` calls: chunks split on
      spaces, per-chunk start cache, phrase checks; all key forms: stems,
      endings, clitics);
    - ``aho``: pyahocorasick over the joined stream of *normalised forms*
      (split, normalise, join, ``iter``): exact forms only, no derived keys.
    """
    import ahocorasick

    from monitor.match.compile import parse_term
    from monitor.text.normalize import normalize_token
    from monitor.text.tokenize import split_parts, split_words

    automaton = ahocorasick.Automaton()
    for number, term in enumerate(terms):
        parsed = parse_term(term)
        if parsed is None:
            continue
        norms = split_words(term.strip('"*')).norms
        automaton.add_word("\x1f" + "\x1f".join(norms) + "\x1f", number)
    automaton.make_automaton()
    texts = [text for item in items for text in (item.title, item.body)]

    def split() -> None:
        for text in texts:
            split_parts(text)

    def hashed() -> None:
        for text in texts:
            matcher.index.locate(text)

    def aho() -> None:
        for text in texts:
            norms = map(normalize_token, split_parts(text)[1::2])
            list(automaton.iter("\x1f" + "\x1f".join(norms) + "\x1f"))

    aho()  # warm the normalisation cache, as the other two are
    return {
        "split": _best_rate(split, len(items)),
        "hashed": _best_rate(hashed, len(items)),
        "aho": _best_rate(aho, len(items)),
    }


def _identity(config: Config, matcher: Any, items: list[WireItem]) -> tuple[int, int]:
    """(items whose Match lists differ from the reference, items with a match):
    the reference derives every new word's keys; ``matcher`` (the default: new
    words screened by needles) must agree with it on every item."""
    reference = Matcher(config)
    reference.index.screen_new_words = False
    differ = matched = 0
    for item in items:
        expected = reference.match(item)
        matched += bool(expected)
        differ += matcher.match(item) != expected
    return differ, matched


def _screened(matcher: Any, known: set[str]) -> str:
    """The share of the words new since ``known`` (normalised forms) that the
    new-word needle screen let through to have their keys derived."""
    index = matcher.index
    new = [norm for norm in index._norms if norm not in known]
    through = sum(map(index._screen.word, new))
    return f"{through / max(1, len(new)):.0%} of {len(new):,}"


def _table(rows: list[tuple[str, ...]]) -> str:
    """Print ``rows`` (a header first) aligned; return them as a markdown table."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    return "\n".join(_markdown(rows))


def _markdown(rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    return lines


def run(
    quick: bool, seed: int, mentions: float = 1.0, long: int = 10_000, write: bool = True
) -> int:
    _pin_one_core()
    warmup, count = (200, 300) if quick else (1000, 1500)
    long = max(long, warmup + count) if long else 0
    budget = 2.0 if quick else 8.0
    started = time.perf_counter()
    corpus = make_corpus(seed, items=(long or warmup + count) + count, mentions=mentions)
    generated = [WireItem(**data) for data in corpus.items]
    everything = generated[: warmup + count]
    first, items = everything[:warmup], everything[warmup:]
    # Long run: the items after the steady ones up to ``long``, then ``count`` unseen.
    filler, later = generated[warmup + count : long], generated[long:]
    size = sum(len(i.title) + len(i.body) for i in items) / len(items)
    report: list[str] = []  # the RESULTS.md section, paragraph by paragraph

    def say(text: str) -> None:
        print(text)
        report.append(text.strip())

    say(
        f"corpus: {len(everything)} items (6 languages), {size:.0f} chars/item on average, "
        f"generated in {time.perf_counter() - started:.1f}s; one core, CPython "
        f"{sys.version.split()[0]}; mentions {mentions:g} (share of sentences that may "
        "name rarer words)"
    )
    loop_ns, lookup_ns = _machine()
    say(f"engine build: {_build()}")
    say(
        f"machine yardstick (CPU time): {loop_ns:.0f} ns a plain Python loop iteration, "
        f"{lookup_ns:.0f} ns a fresh-string lookup in a 262k dict"
    )
    rows: list[tuple[str, ...]] = [
        (
            "terms",
            "compile",
            "cold items/s",
            "steady items/s (new words/item)",
            "warm items/s",
            f"long-run items/s (after {long:,})" if long else "long-run",
            "hits/item",
            "matches/item",
            "re items/s (n)",
            "ratio",
        )
    ]
    automata: list[tuple[str, ...]] = [
        ("terms", "split only", "hashed keys (ours)", "aho-corasick exact")
    ]
    identity: list[tuple[str, ...]] = [
        ("terms", "items differing from the reference", "steady new words through the screen")
    ]
    results: dict[str, float] = {}
    for terms, label in ((10_000, "10k"), (100_000, "100k")):
        data, config = _config(corpus, terms, seed)
        t0 = time.perf_counter()
        matcher = build_matcher(config)
        compile_s = time.perf_counter() - t0
        _clear_caches()
        cold, _, _ = _throughput(matcher, first, budget)
        seen = matcher.index.seen
        known = set(matcher.index._norms)
        steady, done, matched = _throughput(matcher, items, budget)
        novel = (matcher.index.seen - seen) / done
        through = _screened(matcher, known)
        warm, _, _ = _throughput(matcher, items[:done], budget)
        hits = _hits_per_item(matcher, items[:done])
        long_run = ""
        if long:
            for item in filler:
                matcher.match(item)
            seen = matcher.index.seen
            rate, long_done, _ = _throughput(matcher, later, budget)
            results[f"{label}_long"] = rate
            long_run = f"{rate:,.0f} ({(matcher.index.seen - seen) / long_done:.0f})"
        pattern = _baseline(all_terms(data))
        base, done_base = _baseline_throughput(pattern, items, budget / 4)
        results[label] = steady
        results[f"{label}_warm"] = warm
        results[f"{label}_ratio"] = steady / base
        rows.append(
            (
                f"{label} ({len(config.watchlists)} watchlists)",
                f"{compile_s:.2f}s",
                f"{cold:,.0f}",
                f"{steady:,.0f} ({novel:.0f})",
                f"{warm:,.0f}",
                long_run,
                f"{hits:.1f}",
                f"{matched / done:.1f}",
                f"{base:,.1f} ({done_base})",
                f"{steady / base:,.0f}x",
            )
        )
        differ, matched_items = _identity(config, matcher, everything)
        results[f"{label}_differ"] = differ
        identity.append(
            (label, f"{differ} of {len(everything)} ({matched_items} with a match)", through)
        )
        rates = _automata(matcher, all_terms(data), items[: 100 if quick else 300])
        automata.append((label, *(f"{rates[k]:,.0f} items/s" for k in ("split", "hashed", "aho"))))
        del matcher, pattern
    proc = subprocess.run(
        [sys.executable, __file__, "--compile-only", "100000", "--seed", str(seed)],
        check=True,
        capture_output=True,
        text=True,
    )
    comp = json.loads(proc.stdout.strip().splitlines()[-1])
    say(
        "\nnormalise + tokenise + match (Matcher.match, title and body). cold: the first\n"
        f"{warmup} items after compiling, token caches empty; steady: the next {count}, unseen\n"
        "(new words/item: normalised forms met for the first time); warm: those again;\n"
        f"long-run: {count} unseen items after {long:,} (new words/item):"
    )
    report.append(_table(rows))
    say(
        "\nidentity: Match lists of the default matcher against a reference deriving\n"
        "every new word's keys (no new-word needle screen), every item of the corpus;\n"
        "and the share of the steady items' new words the screen let through:"
    )
    report.append(_table(identity))
    say("\nterm finding only (no watchlist evaluation), warm caches:")
    report.append(_table(automata))
    say(
        f"\ncompile 100k terms (subprocess): {comp['seconds']:.2f}s, "
        f"+{comp['mb']:.0f} MB RSS (process max {comp['rss_mb']:.0f} MB)"
    )
    checks = [
        ("match @10k (steady)", results["10k"], ">=", TARGETS["10k"], "items/s"),
        ("match @100k (steady)", results["100k"], ">=", TARGETS["100k"], "items/s"),
        ("match @10k (warm)", results["10k_warm"], ">=", TARGETS["10k"], "items/s"),
        ("match @100k (warm)", results["100k_warm"], ">=", TARGETS["100k"], "items/s"),
        ("compile 100k time", comp["seconds"], "<", TARGETS["compile_s"], "s"),
        ("compile 100k memory", comp["mb"], "<", TARGETS["compile_mb"], "MB"),
        ("identity @10k", results["10k_differ"], "<", 1, "items"),
        ("identity @100k", results["100k_differ"], "<", 1, "items"),
    ]
    print("\ntargets:")
    target_rows: list[tuple[str, ...]] = [("target", "value", "goal", "")]
    for name, value, op, target, unit in checks:
        ok = value >= target if op == ">=" else value < target
        print(
            f"  {name:<21} {value:>10,.1f} {op} {target:,.0f} {unit:<8} {'ok' if ok else 'MISSED'}"
        )
        goal = f"{op} {target:,.0f} {unit}"
        target_rows.append((name, f"{value:,.1f}", goal, "ok" if ok else "MISSED"))
    report.append("targets:")
    report.append("\n".join(_markdown(target_rows)))
    if "10k_long" in results:
        say(
            f"  (long-run, printed beside: {results['10k_long']:,.0f} items/s @10k, "
            f"{results['100k_long']:,.0f} @100k)"
        )
    say(
        f"\nheadline: {results['10k_ratio']:,.0f}x the re baseline @10k terms, "
        f"{results['100k_ratio']:,.0f}x @100k terms"
    )
    if write:
        write_section("bench_match", "\n\n".join(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short run (fewer items)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--mentions",
        type=float,
        default=1.0,
        help="share of sentences that may name rarer words, hence terms (default 1)",
    )
    parser.add_argument(
        "--long",
        type=int,
        default=10_000,
        help="items seen before the long-run figure (default 10,000; 0 skips it)",
    )
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    parser.add_argument("--compile-only", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.compile_only:
        _pin_one_core()
        print(json.dumps(compile_only(args.compile_only, args.seed, 10)))
        return 0
    long = 2_000 if args.quick else args.long
    return run(args.quick, args.seed, args.mentions, long, write=not args.no_write)


if __name__ == "__main__":
    sys.exit(main())
