"""Text hygiene shared by every parser: decoding, Unicode clean-up, HTML to text.

Owns how raw bytes become the text an item carries (so offsets stay stable) and
the per-field size caps. Pure: no I/O.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from datetime import UTC, datetime
from functools import cache
from html import unescape
from typing import Any

TITLE_MAX = 1000
BODY_MAX = 100_000

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@cache
def _ftfy() -> tuple[Any, Any]:
    """(ftfy.fix_text, its config): imported on the first mojibake (~0.1 s of start-up).
    Only the mojibake repair of ftfy: its other fixers (curly quotes, widths,
    ligatures, entities) would change legitimate text."""
    import ftfy

    config = ftfy.TextFixerConfig(
        unescape_html=False,
        uncurl_quotes=False,
        fix_character_width=False,
        fix_latin_ligatures=False,
        fix_line_breaks=True,
        normalization=None,
        explain=False,
    )
    return ftfy.fix_text, config


_CYRILLIC_LOWER = re.compile(r"[а-яёіїєґ]")
_ARABIC = re.compile(r"[\u0621-\u064a]")
# C0/C1 controls except tab and newline, plus BOMs and line/paragraph separators
# (those become newlines first).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")
# Terminal escape sequences (colour codes pasted from a console): dropped whole, so
# no "[31m" is left behind once the ESC is gone. CSI, OSC and two-character forms.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
)


def decode_bytes(data: bytes) -> str:
    """Decode text of unknown encoding: BOM, else UTF-8, else a legacy guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return data.decode(guess_legacy_encoding(data), errors="replace")


def decode_prefix(data: bytes, size: int) -> str:
    """The first ``size`` bytes as text (for sniffing and bounded reads).

    A UTF-8 character cut in two at the boundary is dropped, so that the cut
    does not make UTF-8 text look like a legacy encoding.
    """
    if len(data) <= size:
        return decode_bytes(data)
    head = data[:size]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:
            head = head[: exc.start]
    return decode_bytes(head)


_MARKUP = re.compile(rb"<[^<>]{0,2000}>")


def guess_legacy_encoding(data: bytes) -> str:
    """Pick among the legacy code pages news wires still use.

    Cyrillic and Arabic text is almost all high bytes; Latin text only a few.
    Markup is left out of the count (an RSS feed's tag names are ASCII letters
    that would make any Russian feed look Latin). KOI8-R puts lower case where
    cp1251 has upper case, so the reading with more lower-case letters wins.
    """
    data = _MARKUP.sub(b" ", data)
    high = sum(1 for b in data if b >= 0x80)
    letters = sum(1 for b in data if b >= 0x80 or chr(b).isalpha())
    if letters == 0 or high / letters < 0.4:
        return "cp1252"
    # Score each reading by the letters real text in it would be made of:
    # Russian/Ukrainian text is mostly lower case, Arabic has no case.
    scores = {
        "cp1251": len(_CYRILLIC_LOWER.findall(data.decode("cp1251", errors="replace"))),
        "koi8_r": len(_CYRILLIC_LOWER.findall(data.decode("koi8_r", errors="replace"))),
        "cp1256": len(_ARABIC.findall(data.decode("cp1256", errors="replace"))),
    }
    return max(scores, key=lambda name: scores[name])


def clean_text(text: str) -> str:
    """Repair mojibake, NFC-normalise, unify line breaks, drop control characters."""
    if _looks_like_mojibake(text):
        fix_text, config = _ftfy()
        text = fix_text(text, config)
    if not _printable_lines(text):  # else there is no break or control to change
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
        if "\x1b" in text:
            text = _ESCAPE_SEQUENCE.sub("", text)
        text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def _printable_lines(text: str) -> bool:
    """Whether every character but the newlines is printable (``str.isprintable``:
    no control, format, separator or unassigned character; of the spaces only the
    ASCII one). Such text holds nothing for ``_CONTROL``, no line break for
    ``clean_text`` to unify and no space run for ``collapse_spaces`` but runs of
    ASCII spaces; the test is cheaper than a pattern search over the same text
    (tests/unit/test_parse_passes.py checks the character sets)."""
    return text.replace("\n", "").isprintable()


_MOJIBAKE_HINT = re.compile(r"[ÃÂÐÑØÙ][\x80-\xbf\u0152-\u2122]|â€|ï»¿")
# Every match of the hint starts with one of these: looking for each with ``in``
# is much cheaper than the search, which tries the whole pattern at every position.
_MOJIBAKE_LEADS = "ÃÂÐÑØÙâï"


def _looks_like_mojibake(text: str) -> bool:
    # ftfy is careful but slow on long text; only call it when UTF-8-read-as-
    # cp1252 fingerprints are present.
    return any(lead in text for lead in _MOJIBAKE_LEADS) and bool(_MOJIBAKE_HINT.search(text))


# Invisible marks at the edge of a line direct nothing: a right-to-left mark
# after an Arabic headline is debris from the CMS, not text.
_EDGE_MARKS = " \t\u200b\u200e\u200f\u061c"
_SPACES = r"[ \t\u00a0\u2000-\u200a\u202f\u3000]"
# Runs that change: two or more spaces, or any other space character; a lone
# " " (most of them) is left alone rather than replaced by itself.
_SPACE_RUN = re.compile(rf" {_SPACES}+|[\t\u00a0\u2000-\u200a\u202f\u3000]{_SPACES}*")


def collapse_spaces(text: str) -> str:
    """Runs of spaces/tabs to one space, per line; trims each line (and the
    zero-width and direction marks at its ends)."""
    return "\n".join(_collapsed_lines(text))


def _collapsed_lines(text: str) -> list[str]:
    """The lines of ``collapse_spaces(text)``."""
    # One substitution over the whole text (a run never spans a line break), and
    # none where the only spaces are single ASCII ones.
    if "  " in text or not _printable_lines(text):
        text = _SPACE_RUN.sub(" ", text)
    return [ln.strip(_EDGE_MARKS) for ln in text.split("\n")]


def cap(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, at a space when one is near."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", limit - 200, limit)
    return text[: cut if cut > 0 else limit].rstrip()


_BLOCK_TAGS = (
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
    "table", "blockquote", "pre", "section", "article", "header", "footer", "hr",
    "figure", "figcaption", "dd", "dt", "dl",
)  # fmt: skip
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "svg", "head")
_TAG_HINT = re.compile(r"<[a-zA-Z/!][^>]*>|&[#a-zA-Z0-9]+;")
# An element exists only where its start tag is written (entities make text, not tags).
_DROP_HINT = re.compile(r"<(?:" + "|".join(_DROP_TAGS) + r")[\s/>]", re.IGNORECASE)
# One query for every block element, in document order: what is put around each
# is newlines only, so the order of insertion cannot change the text.
_BLOCKS = ", ".join(_BLOCK_TAGS)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment: no scripts/styles, entities decoded,
    block elements on their own lines, paragraphs separated by a blank line."""
    if not html:
        return ""
    if not _TAG_HINT.search(html):
        return _tidy(clean_text(html))
    if _paragraphs_only(html):
        # What the parser would make of it: a paragraph's tags become the blank lines put
        # around it, line breaks in the markup are unified, entities decoded (a NUL ends
        # one), then NUL dropped, all before ``clean_text`` (ftfy's judgement of mojibake
        # sees the same text); ``_tidy`` merges the blank lines that an implied or stray
        # ``</p>`` would add.
        text = html
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = text.replace("<p>", "\n\n").replace("</p>", "\n\n")
        if "&" in text:
            text = unescape(text)
        if "\x00" in text:
            text = text.replace("\x00", "")
        return _tidy(clean_text(text))
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(f"<div>{html}</div>")
    body = tree.body
    if body is None:
        return ""
    if _DROP_HINT.search(html):
        for tag in _DROP_TAGS:  # one tag at a time: children go before their parents
            for node in body.css(tag):
                node.decompose()
    for node in body.css(_BLOCKS):
        if node.tag in ("br", "hr"):
            node.insert_before("\n")
        else:
            node.insert_before("\n\n")
            node.insert_after("\n\n")
    text = body.text(deep=True, separator="")
    return _tidy(clean_text(text))


_NUMERIC_REF = re.compile(r"&#(?:[xX][0-9a-fA-F]+|[0-9]+);?")


def _paragraphs_only(html: str) -> bool:
    """Whether the only markup of ``html`` is bare ``<p>`` and ``</p>`` (most wire bodies):
    no other tag, no ``<`` in text, no lone surrogate (the parser drops those) and no
    numeric reference that ``html.unescape`` reads otherwise than the parser."""
    if html.count("<") != html.count("<p>") + html.count("</p>"):
        return False
    if "&#" in html and not all(map(unescape, _NUMERIC_REF.findall(html))):
        # a reference to a control or noncharacter: ``unescape`` drops it, the parser
        # keeps it (and an escape character would take the next one with it)
        return False
    try:
        html.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _tidy(text: str) -> str:
    """``collapse_spaces``, then never two blank lines in a row and no space or
    blank line at either end."""
    lines = _collapsed_lines(text)
    # A blank line stays only after a line of text: a run of them becomes one.
    kept = [line for before, line in zip(["", *lines], lines, strict=False) if line or before]
    return "\n".join(kept).strip()


def iso_utc(moment: datetime) -> str:
    """``2022-01-12T10:00:00Z``: the timestamp form items carry."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # not strftime: its %Y leaves a year before 1000 unpadded ("300-01-13"), which
    # would sort after every real date
    moment = moment.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    return moment.isoformat() + "Z"
