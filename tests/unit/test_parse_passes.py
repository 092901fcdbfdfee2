"""The parse path's text passes give what they gave before they skipped work.

``clean``, ``furniture`` and ``fastfeed`` skip a pattern pass where a cheap test
shows it cannot change the text, and merge passes; ``tests/parse_reference.py`` keeps
the former functions. Every fixture, every file of the shared corpus (when it is
beside the clone) and the benchmark's realistic feeds are parsed both ways, and the
items (every field), warnings and errors must be identical; generated texts full of
the characters the skipped passes exist for go through each function both ways.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from monitor.sources import clean, fastfeed, feeds, furniture, takes, wirefmt
from monitor.sources.context import SourceContext
from monitor.sources.detect import parse_bytes
from tests import parse_reference
from tests.helpers import CORPUS, ROOT, document_files

FETCHED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _documents() -> list[tuple[str, bytes]]:
    folders = [ROOT / "tests" / "fixtures", ROOT / "tests" / "data", ROOT / "seeds"]
    return document_files([*folders, CORPUS] if CORPUS.is_dir() else folders)


def _realistic_documents() -> list[tuple[str, bytes]]:
    """bench/feedserver.py's feeds of bench/corpus.py's items: what the benchmarks time."""
    from bench.corpus import make_corpus
    from bench.feedserver import rss_document, rss_item

    items = make_corpus(seed=3, items=240, vocab_size=5_000).items
    published = FETCHED.timestamp() - 3600
    return [
        (f"realistic-{n}", rss_document(n, [rss_item(item, published) for item in items[n::4]]))
        for n in range(4)
    ]


def _outcome(data: bytes, name: str) -> tuple[Any, list[str]]:
    ctx = SourceContext(source=name, fetched_at=FETCHED)
    try:
        items: Any = [asdict(item) for item in parse_bytes(data, ctx)]
    except Exception as exc:  # refusals must be the same refusals
        items = f"{type(exc).__name__}: {exc}"
    return items, ctx.warnings


def test_the_reference_replaces_every_use_of_the_passes() -> None:
    imported = (
        (feeds, "clean_text", parse_reference.clean_text),
        (wirefmt, "collapse_spaces", parse_reference.collapse_spaces),
        (takes, "drop_furniture", parse_reference.drop_furniture),
        (clean, "_tidy", parse_reference._tidy),
        (fastfeed, "_fix_text", parse_reference.fix_feed_text),
        (feeds, "html_to_text", parse_reference.html_to_text),
    )
    with parse_reference.reference_passes():
        assert [vars(module)[name] for module, name, _ in imported] == [
            plain for _, _, plain in imported
        ]
    assert all(vars(module)[name] is not plain for module, name, plain in imported)


def test_every_document_parses_to_the_same_items() -> None:
    documents = _documents() + _realistic_documents()
    assert len(documents) >= (100 if CORPUS.is_dir() else 40)
    differing = []
    items = 0
    for name, data in documents:
        new = _outcome(data, name)
        with parse_reference.reference_passes():
            old = _outcome(data, name)
        if new != old:
            differing.append(name)
        items += len(new[0]) if isinstance(new[0], list) else 0
    assert differing == []
    assert items >= (1000 if CORPUS.is_dir() else 300)


# Pieces of text for the passes to skip or not: every kind of space, line break and
# control they rewrite, mojibake and its lead letters alone, markers, bidi marks,
# markup and entities, and ordinary words in several scripts.
_PIECES = (
    "word", "Talks", "é", "Ü", "слово", "кінець", "كلمة", "。", "1", ".", ",", "«", "»",
    " ", " ", " ", "  ", "\t", "\xa0", "\u2000", "\u2002", "\u200a", "\u202f", "\u3000",
    "\u1680", "\u205f", "\n", "\n", "\n\n", "\n\n\n", "\n \n", "\r\n", "\r", "\u2028",
    "\u2029", "\x1b[31m", "\x1b]0;t\x07", "\x1b", "\x00", "\x07", "\x0b", "\x1c", "\x7f",
    "\x80", "\x81", "\x85", "\x8d", "\x9d", "\x9f", "\ufeff", "\ufffe", "\u200b", "\u200e",
    "\u200f", "\u061c", "\xad", "Ã©", "Ã", "Â", "â", "âge", "â€™", "ï»¿", "ï", "Ð¾", "Ñ",
    "(more)", "( تستمر )", "(suite)", "(Fortsetzung folgt)", "(", ")", ")\u200f", "-more-",
    "###", "* * *", "Read more", "Share", "jca/bds", "Ritzau", "<p>", "</p>", "<br>",
    "<div>", "<li>", "<b>", "</b>", "<script>x</script>", "&amp;", "&nbsp;", "&#8212;",
    "&lt;p&gt;", "<", ">", "&",
)  # fmt: skip


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(_PIECES, k=rng.randint(1, 40))) for _ in range(count)]


def test_generated_texts_pass_as_before() -> None:
    passes = (
        (clean, "clean_text"),
        (clean, "collapse_spaces"),
        (clean, "_tidy"),
        (clean, "html_to_text"),
        (fastfeed, "_fix_text"),
        (furniture, "strip_furniture"),
    )
    texts = _texts(3000, seed=11)

    def outputs() -> list[list[str]]:  # each pass as the module has it at the time
        return [[vars(module)[name](text) for module, name in passes] for text in texts]

    new = outputs()
    with parse_reference.reference_passes():
        old = outputs()
    differing = [
        (name, text)
        for text, new_out, old_out in zip(texts, new, old, strict=True)
        for (_, name), a, b in zip(passes, new_out, old_out, strict=True)
        if a != b
    ]
    assert differing == []
    assert sum(out[0] != text for text, out in zip(texts, new, strict=True)) > 1000


# Paragraph markup, alone and as parsers meet it (implied, stray and empty ends), with
# what the HTML parser treats apart in text: entities with and without ``;``, ones
# that name a prefix, numeric ones out of range, NUL, CR, lone surrogates.
_PARAGRAPH_PIECES = (
    "<p>", "</p>", "<p>", "</p>", "<p></p>", "word", "слово", "كلمة", " ", "  ", "\n",
    "\r\n", "\r", "\t", "\xa0", "\x00", "\ud800", "\udfff", "\u200f", "&amp;", "&amp",
    "&lt;p&gt;", "&nbsp;", "&nbsp", "&copy", "&notit;", "&not", "&#0;", "&#x80;", "&#128;",
    "&#xD800;", "&#1114112;", "&#x;", "&#", "&;", "&unknown;", "&AMP;", "&", "Ã©", "(more)",
    "> ", "\x1b[31m", "\u2028", "&#x1b;", "&#27;S", "&#x0D;", "&#13;", "&#9;", "&#x7f;",
    "&#x81;", "&#xfdd0;", "&#xFFFF;", "&#8212;", "&#x27;", "\ufeff", "ï»¿", "Ð¾", "&#0", "1",
)  # fmt: skip


def test_paragraph_markup_gives_what_the_parser_gives() -> None:
    rng = random.Random(5)
    texts = ["".join(rng.choices(_PARAGRAPH_PIECES, k=rng.randint(1, 30))) for _ in range(4000)]
    texts = [text for text in texts if "<p>" in text or "</p>" in text]
    fast = [text for text in texts if clean._paragraphs_only(text)]
    assert len(fast) > 300  # many take the path for paragraphs only
    differing = [
        text for text in texts if clean.html_to_text(text) != parse_reference.html_to_text(text)
    ]
    assert differing == []


def test_printable_text_has_nothing_for_the_skipped_passes() -> None:
    """``clean._printable_lines`` stands in for these searches: each character they
    look for must fail ``str.isprintable``."""
    looked_for = re.compile(
        "|".join((clean._CONTROL.pattern, clean._SPACE_RUN.pattern, r"[\r\u2028\u2029\x1b]"))
    )
    found = [chr(code) for code in range(0x110000) if looked_for.match(chr(code))]
    assert len(found) > 60
    assert [char for char in found if char.isprintable()] == []
    assert clean._printable_lines("a b\nc") and not clean._printable_lines("a\tb")
