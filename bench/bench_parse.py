"""Benchmark: feed parse throughput of ``parse_bytes`` against plain ``feedparser.parse``.

Run ``python bench/bench_parse.py`` (``--quick`` for a short run). No network.
By default it builds its own feeds from a seeded RNG: RSS 2.0, Atom 1.0 and
RDF/RSS 1.0 documents whose entries are HTML-laden (paragraphs, links,
relative URLs, images, ``<script>``/``<style>``, entities) in six languages
(ar, en, ru, uk, fr, de). ``--corpus DIR`` reads every file below DIR instead
(nothing is written; never commit corpus files).

Measured in the same run, on the same bytes, interleaved round by round:

- ``feedparser.parse`` with its defaults (it sanitises HTML and resolves
  relative links; it stops at feedparser's entry dicts);
- ``feedparser.parse`` as ``monitor.sources.feeds`` calls it (DOCTYPE removed,
  no sanitising, no link resolution) -- the share of our cost that is feedparser;
- ``monitor.sources.detect.parse_bytes``: sniffing, the DOCTYPE strip, HTML to
  text, mojibake repair, datelines, language detection, ids -> WireItems.

The headline is our items/s over plain feedparser's (a ratio below 1 is the
price of the extra work). Then the 110 KB entity-bomb feed (one 50 KB internal
entity referenced 20,000 times, in a feed expat refuses): through
``parse_bytes`` in this process, and through plain ``feedparser.parse`` in a
child process with a time cap (``--bomb-cap``), since feedparser's loose parser
expands the entity for tens of seconds and ~3 GB.

``--against REV`` instead times ``parse_bytes`` of this checkout against that of git
revision REV (say the commit before a change to the parse path), in µs per item:
the realistic items of ``bench/bench_pipeline.py`` (``make_items(2000, 50, "it")`` in
20 RSS documents rendered by ``bench/feedserver.py``) and every file of the shared
corpus, each tree in its own process (``bench/revision.py``), taking the documents
in turns.
It checks that both trees give the same items, and writes the
``bench_parse_revision`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Last: an installed monitor (the compiled build of `make bench`) comes first.
sys.path.append(str(Path(__file__).resolve().parents[1]))

import feedparser
from results import write_section
from revision import interleaved_round, start_trees, temp_folder

from monitor.errors import ParseError
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from monitor.sources.xmlsafe import strip_doctype

FETCHED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
BOMB_LIMIT_S = 1.0  # ours must stay well under this


def _words(text: str) -> list[str]:
    return text.split()


# A few dozen ordinary words per language: enough for plausible text and for
# the language identifier to have something to chew on.
WORDS: dict[str, list[str]] = {
    "en": _words(
        """the government said on Monday that talks with officials would continue
        next week after the meeting in the capital ended without an agreement on security
        guarantees border forces minister president council economic plan reporters"""
    ),
    "fr": _words(
        """le gouvernement a déclaré lundi que les négociations avec les responsables
        se poursuivraient la semaine prochaine après la réunion dans la capitale sans accord
        sur les garanties de sécurité frontière ministre président conseil"""
    ),
    "de": _words(
        """die Regierung erklärte am Montag dass die Gespräche mit den Vertretern in der
        nächsten Woche nach dem Treffen in der Hauptstadt ohne Einigung über
        Sicherheitsgarantien fortgesetzt werden Grenze Minister Präsident Rat"""
    ),
    "ru": _words(
        """правительство заявило в понедельник что переговоры с официальными лицами
        продолжатся на следующей неделе после встречи в столице которая завершилась без
        соглашения о гарантиях безопасности граница министр президент совет"""
    ),
    "uk": _words(
        """уряд заявив у понеділок що переговори з посадовцями триватимуть наступного
        тижня після зустрічі у столиці яка завершилася без угоди щодо гарантій безпеки
        кордон міністр президент рада громадяни їхні підтримує"""
    ),
    "ar": _words(
        """قالت الحكومة يوم الاثنين إن المحادثات مع المسؤولين ستستمر الأسبوع المقبل بعد
        الاجتماع في العاصمة الذي انتهى دون اتفاق بشأن الضمانات الأمنية الحدود الوزير الرئيس
        المجلس الخطة الاقتصادية للصحفيين"""
    ),
}
DATELINES: dict[str, list[str]] = {
    "en": ["MOSCOW, Jan 13 (Reuters) - ", "BRUSSELS (AP) — ", ""],
    "fr": ["MOSCOU, 12 janvier (AFP) - ", ""],
    "de": ["BRÜSSEL, 12. Januar (dpa) - ", ""],
    "ru": ["МОСКВА, 12 января. /ТАСС/. ", ""],
    "uk": ["КИЇВ, 12 січня /Укрінформ/. ", ""],
    "ar": ["( أردو بوینت نتورك ۔ / سبوتنيك - 12 كانون الثاني 2022ء) ", ""],
}
LANGS = tuple(WORDS)

# ---------------------------------------------------------------------------
# Synthetic feeds


def _sentence(rng: random.Random, lang: str, lo: int = 8, hi: int = 20) -> str:
    words = rng.choices(WORDS[lang], k=rng.randint(lo, hi))
    return " ".join(words).capitalize() + "."


def _html_body(rng: random.Random, lang: str, index: int) -> str:
    parts = [f"<p>{rng.choice(DATELINES[lang])}{_sentence(rng, lang)}</p>"]
    for n in range(rng.randint(3, 7)):
        text = " ".join(_sentence(rng, lang) for _ in range(rng.randint(1, 3)))
        kind = rng.random()
        if kind < 0.25:
            text += f' <a href="/news/{index}-{n}?utm_source=rss">{_sentence(rng, lang, 2, 4)}</a>'
        elif kind < 0.4:
            text = f"<b>{text}</b> &amp; &quot;{rng.choice(WORDS[lang])}&quot; &#8212; &nbsp;"
        elif kind < 0.5:
            text += f' <img src="/img/{index}.jpg" alt="{rng.choice(WORDS[lang])}"/>'
        parts.append(f"<p>{text}</p>")
    if rng.random() < 0.3:
        parts.append("<script>var s = document.createElement('script'); track(1);</script>")
    if rng.random() < 0.2:
        parts.append("<style>p { color: red } .ad { display: none }</style>")
    if rng.random() < 0.3:
        parts.append('<div class="share"><a href="https://example.org/share">Read more…</a></div>')
    return "\n".join(parts)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _entry_fields(
    rng: random.Random, lang: str, feed: int, index: int
) -> tuple[str, str, str, datetime]:
    # Now and then an entry in another language than its feed (mixed desks).
    entry_lang = lang if rng.random() < 0.85 else rng.choice(LANGS)
    title = _sentence(rng, entry_lang, 5, 11).rstrip(".")
    link = f"https://news{feed}.example.org/{entry_lang}/story/{index}?utm_medium=feed&id={index}"
    published = FETCHED - timedelta(minutes=rng.randint(1, 60 * 24 * 30))
    return title, link, _html_body(rng, entry_lang, index), published


def make_rss(rng: random.Random, lang: str, feed: int, entries: int) -> bytes:
    items = []
    for index in range(entries):
        title, link, body, published = _entry_fields(rng, lang, feed, index)
        guid = f"<guid isPermaLink='false'>rss-{feed}-{index}</guid>" if rng.random() < 0.7 else ""
        items.append(
            f"<item><title>{_escape(title)}</title><link>{_escape(link)}</link>{guid}"
            f"<pubDate>{published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
            f"<description>{_cdata(body)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>News {feed}</title><link>https://news{feed}.example.org/</link>"
        f"<language>{lang}</language>{''.join(items)}</channel></rss>"
    ).encode()


def make_atom(rng: random.Random, lang: str, feed: int, entries: int) -> bytes:
    items = []
    for index in range(entries):
        title, link, body, published = _entry_fields(rng, lang, feed, index)
        items.append(
            f"<entry><id>urn:news{feed}:{index}</id><title type='html'>{_escape(title)}</title>"
            f"<link rel='alternate' href='{_escape(link)}'/>"
            f"<updated>{published.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>"
            f"<content type='html'>{_escape(body)}</content></entry>"
        )
    lang_attr = f" xml:lang='{lang}'" if rng.random() < 0.5 else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"'
        f"{lang_attr}><title>News {feed}</title><id>urn:news{feed}</id>"
        f"<updated>{FETCHED.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>{''.join(items)}</feed>"
    ).encode()


def make_rdf(rng: random.Random, lang: str, feed: int, entries: int) -> bytes:
    items = []
    refs = []
    for index in range(entries):
        title, link, body, published = _entry_fields(rng, lang, feed, index)
        refs.append(f"<rdf:li rdf:resource='{_escape(link)}'/>")
        items.append(
            f"<item rdf:about='{_escape(link)}'><title>{_escape(title)}</title>"
            f"<link>{_escape(link)}</link>"
            f"<dc:date>{published.strftime('%Y-%m-%dT%H:%M:%S+00:00')}</dc:date>"
            f"<description>{_escape(body)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel rdf:about='https://news{feed}.example.org/'><title>News {feed}</title>"
        f"<link>https://news{feed}.example.org/</link><dc:language>{lang}</dc:language>"
        f"<items><rdf:Seq>{''.join(refs)}</rdf:Seq></items></channel>{''.join(items)}</rdf:RDF>"
    ).encode()


MAKERS: tuple[Callable[[random.Random, str, int, int], bytes], ...] = (
    make_rss,
    make_atom,
    make_rdf,
)


def make_feeds(seed: int, count: int, entries: int) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    feeds = []
    for feed in range(count):
        maker = MAKERS[feed % len(MAKERS)]
        lang = LANGS[(feed // len(MAKERS)) % len(LANGS)]
        name = f"{maker.__name__[5:]}-{lang}-{feed}"
        feeds.append((name, maker(rng, lang, feed, entries)))
    return feeds


def read_corpus(folder: Path) -> list[tuple[str, bytes]]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [(str(p), p.read_bytes()) for p in files]


# ---------------------------------------------------------------------------
# Measuring


def _ctx(name: str) -> SourceContext:
    return SourceContext(source=name, fetched_at=FETCHED)


def run_ours(feeds: list[tuple[str, bytes]]) -> int:
    items = 0
    for name, data in feeds:
        with contextlib.suppress(ParseError):
            items += len(parse_bytes(data, _ctx(name)))
    return items


def run_feedparser(feeds: list[tuple[str, bytes]]) -> int:
    return sum(len(feedparser.parse(io.BytesIO(data)).entries) for _, data in feeds)


def run_feedparser_as_we_call_it(feeds: list[tuple[str, bytes]]) -> int:
    return sum(
        len(
            feedparser.parse(
                io.BytesIO(strip_doctype(data)),
                response_headers={},
                resolve_relative_uris=False,
                sanitize_html=False,
            ).entries
        )
        for _, data in feeds
    )


RUNNERS: dict[str, Callable[[list[tuple[str, bytes]]], int]] = {
    "feedparser.parse (defaults)": run_feedparser,
    "feedparser, as feeds.py calls it": run_feedparser_as_we_call_it,
    "parse_bytes (ours, -> WireItems)": run_ours,
}


def measure(feeds: list[tuple[str, bytes]], budget: float) -> dict[str, tuple[int, float, int]]:
    """label -> (items, seconds, rounds); whole rounds, interleaved, until the budget."""
    totals = {label: [0, 0.0] for label in RUNNERS}
    rounds = 0
    started = time.perf_counter()
    while rounds == 0 or time.perf_counter() - started < budget:
        for label, runner in RUNNERS.items():
            t0 = time.perf_counter()
            totals[label][0] += runner(feeds)
            totals[label][1] += time.perf_counter() - t0
        rounds += 1
    return {label: (int(n), float(s), rounds) for label, (n, s) in totals.items()}


def entity_bomb() -> bytes:
    """110 KB: one 50 KB entity referenced 20,000 times; the stray ``&`` makes
    expat refuse the document, so feedparser falls back to its loose parser."""
    entity = "A" * 50_000
    refs = "&e;" * 20_000
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY e "{entity}">\n]>\n'
        '<rss version="2.0"><channel><title>Bomb & co</title><item><title>t</title>'
        f"<description>{refs}</description></item></channel></rss>"
    ).encode()


def _bomb_child() -> None:
    # In the child: plain feedparser on the bomb; report time, peak RSS, text size.
    data = entity_bomb()
    t0 = time.perf_counter()
    parsed = feedparser.parse(io.BytesIO(data))
    seconds = time.perf_counter() - t0
    size = sum(len(e.get("summary", "")) for e in parsed.entries)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": peak, "chars": size}))


def bomb_feedparser(cap: float) -> str:
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--bomb-child"],
            capture_output=True,
            text=True,
            timeout=cap,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"> {cap:.0f} s (stopped at --bomb-cap; a larger cap lets it finish)"
    try:
        got = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return f"failed: {done.stderr.strip()[-200:]}"
    return (
        f"{got['seconds']:.2f} s, peak RSS {got['rss_mb']:.0f} MB, "
        f"{got['chars']:,} characters of text"
    )


def bomb_ours(repeats: int = 3) -> tuple[float, int]:
    data = entity_bomb()
    best = float("inf")
    chars = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        try:
            items = parse_bytes(data, _ctx("bomb.xml"))
        except ParseError:
            items = []
        best = min(best, time.perf_counter() - t0)
        chars = sum(len(item.body) for item in items)
    return best, chars


# ---------------------------------------------------------------------------
# This checkout against a git revision


def realistic_documents() -> list[tuple[str, bytes]]:
    """The pipeline benchmark's items as its feed server serves them."""
    from bench_pipeline import make_items, split_feeds
    from feedserver import rss_document, rss_item

    published = FETCHED.timestamp() - 3600
    return [
        (f"feed-{number}", rss_document(number, [rss_item(item, published) for item in feed]))
        for number, feed in enumerate(split_feeds(make_items(2000, 50, "it"), 20))
    ]


def against(revision: str, corpus: Path, budget: float) -> int:
    """Print and write µs per item of ``revision`` and of this checkout; 1 if their
    items differ."""
    sets = {"realistic items": realistic_documents()}
    if corpus.is_dir():
        sets["shared corpus"] = [
            (name, data)
            for name, data in read_corpus(corpus)
            if Path(name).suffix not in {".md", ".tsv"}
        ]
    lines = [
        f"`parse_bytes` of `{revision}` (old) and of this checkout (new), each in its own",
        "process, taking the documents in turns; µs per item, median round.",
        "",
        "| documents | items | same items | old µs | new µs | old / new |",
        "|---|---|---|---|---|---|",
    ]
    differ = False
    with temp_folder() as folder:
        old, new = start_trees(revision, sets, FETCHED.isoformat(), Path(folder))
        try:
            for label in sets:
                items, old_digest = old.summary[label]
                same = [items, old_digest] == new.summary[label]
                differ = differ or not same
                times: dict[str, list[float]] = {"old": [], "new": []}
                deadline = time.perf_counter() + budget
                while len(times["old"]) < 3 or time.perf_counter() < deadline:
                    turn = len(times["old"])
                    spent = interleaved_round(old, new, label, len(sets[label]), turn)
                    times["old"].append(spent[0])
                    times["new"].append(spent[1])
                cost = {w: statistics.median(t) / max(items, 1) * 1e6 for w, t in times.items()}
                lines.append(
                    f"| {label} ({len(sets[label])} docs, {len(times['old'])} rounds) | {items} "
                    f"| {'yes' if same else '**NO**'} | {cost['old']:,.0f} | {cost['new']:,.0f} "
                    f"| **{cost['old'] / cost['new']:.2f}x** |"
                )
                print(lines[-1], flush=True)
        finally:
            old.close()
            new.close()
    write_section("bench_parse_revision", "\n".join(lines))
    return 1 if differ else 0


# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short run (~10 s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=None, help="read feeds from this folder")
    parser.add_argument("--feeds", type=int, default=None, help="synthetic feeds (default 60)")
    parser.add_argument("--entries", type=int, default=25, help="entries per synthetic feed")
    parser.add_argument("--budget", type=float, default=None, help="seconds of measuring")
    parser.add_argument("--bomb-cap", type=float, default=None, help="seconds for feedparser")
    parser.add_argument("--bomb-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--against", metavar="REV", help="time this checkout against REV")
    args = parser.parse_args(argv)
    if args.bomb_child:
        _bomb_child()
        return 0
    if args.against:
        budget = args.budget if args.budget is not None else (4.0 if args.quick else 20.0)
        corpus = args.corpus or Path(__file__).resolve().parents[2] / "shared" / "corpus"
        return against(args.against, corpus, budget)
    budget = args.budget if args.budget is not None else (3.0 if args.quick else 30.0)
    cap = args.bomb_cap if args.bomb_cap is not None else (3.0 if args.quick else 15.0)

    if args.corpus is not None:
        feeds = read_corpus(args.corpus)
        origin = f"{len(feeds)} files from {args.corpus}"
    else:
        count = args.feeds or (15 if args.quick else 60)
        feeds = make_feeds(args.seed, count, args.entries)
        origin = (
            f"{count} synthetic feeds (RSS 2.0/Atom/RDF, {'/'.join(LANGS)}) x {args.entries}"
            f" entries, seed {args.seed}"
        )
    size = sum(len(data) for _, data in feeds)
    print(f"feeds: {origin}, {size / 1e6:.1f} MB; feedparser {feedparser.__version__}")
    print(f"python {sys.version.split()[0]}, pid {os.getpid()}, budget {budget:.0f} s\n")
    run_ours(feeds[:3])  # load the language model and selectolax outside the timings

    results = measure(feeds, budget)
    plain_rate = results["feedparser.parse (defaults)"][0] / max(
        results["feedparser.parse (defaults)"][1], 1e-9
    )
    header = ("parser", "items/round", "rounds", "seconds", "items/s", "vs feedparser")
    rows = [header]
    for label, (items, seconds, rounds) in results.items():
        rate = items / max(seconds, 1e-9)
        rows.append(
            (
                label,
                str(items // rounds),
                str(rounds),
                f"{seconds:.2f}",
                f"{rate:,.0f}",
                f"{rate / plain_rate:.2f}x",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    ours = results["parse_bytes (ours, -> WireItems)"]
    ratio = (ours[0] / max(ours[1], 1e-9)) / plain_rate
    print(f"\nratio ours / plain feedparser: {ratio:.2f} (items/s, same feeds, same run)")

    print("\nentity bomb (110 KB, one 50 KB entity x 20,000 references):")
    seconds, chars = bomb_ours()
    verdict = "ok" if seconds < BOMB_LIMIT_S else "TOO SLOW"
    print(f"  parse_bytes:       {seconds:.3f} s, {chars:,} characters of text [{verdict}]")
    print(f"  feedparser.parse:  {bomb_feedparser(cap)}")
    return 0 if seconds < BOMB_LIMIT_S else 1


if __name__ == "__main__":
    sys.exit(main())
