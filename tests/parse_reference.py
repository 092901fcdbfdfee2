"""The text passes of the parse path as they were before they skipped work: each
pattern run over each text, one pass at a time.

``monitor.sources.clean``, ``furniture`` and ``fastfeed`` skip a pass when a cheap
test shows it cannot change the text, and merge passes; this module keeps the former
functions (their logic copied as it stood) that they must reproduce character for
character. The patterns are the modules' own, so this checks the skipping and
merging, not the rules.
``reference_passes()`` puts these functions in place of the current ones wherever
the ``monitor`` package refers to them, so a whole parse runs the old way
(``clean.html_to_text`` parsing all markup, with the old ``clean_text`` and ``_tidy``);
``tests/unit/test_parse_passes.py`` compares the two over every fixture, the shared
corpus and generated texts. Pure: no I/O.
"""

from __future__ import annotations

import contextlib
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from feedparser.mixin import _cp1252

from monitor.sources import clean, fastfeed, furniture


def clean_text(text: str) -> str:
    if _looks_like_mojibake(text):
        fix_text, config = clean._ftfy()
        text = fix_text(text, config)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    if "\x1b" in text:
        text = clean._ESCAPE_SEQUENCE.sub("", text)
    text = clean._CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def _looks_like_mojibake(text: str) -> bool:
    return bool(clean._MOJIBAKE_HINT.search(text))


def collapse_spaces(text: str) -> str:
    lines = clean._SPACE_RUN.sub(" ", text).split("\n")
    return "\n".join(ln.strip(clean._EDGE_MARKS) for ln in lines)


def _tidy(text: str) -> str:
    text = collapse_spaces(text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def drop_furniture(paragraphs: list[str]) -> list[str]:
    kept: list[str] = []
    for paragraph in paragraphs:
        if "itzau" in paragraph or "ITZAU" in paragraph:
            paragraph = furniture._RELAY_NOTICE.sub("", paragraph)
        lines = [
            ln for ln in paragraph.split("\n") if ln.strip() and not furniture._MARKER.match(ln)
        ]
        text = furniture._TRAILING_MARKER.sub("", "\n".join(lines)).rstrip()
        if furniture._HAS_WORD.search(text):
            kept.append(text)
    while (
        kept
        and len(kept[-1]) <= furniture._BOILERPLATE_MAX
        and (furniture._BOILERPLATE.match(kept[-1]) or furniture._SIGN_OFF.match(kept[-1].strip()))
    ):
        kept.pop()
    return kept


def fix_feed_text(value: str) -> str:
    """``fastfeed._fix_text``: feedparser's treatment of an element's text."""
    value = value.strip()
    if value.isascii():
        return value
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    if _CP1252_CONTROLS.search(value):
        value = value.translate(_cp1252)
    return value


_CP1252_CONTROLS = re.compile("[" + "".join(chr(code) for code in sorted(_cp1252)) + "]")


def html_to_text(html: str) -> str:
    """``clean.html_to_text`` before its path for paragraphs only: all markup parsed."""
    if not html:
        return ""
    if not clean._TAG_HINT.search(html):
        return _tidy(clean_text(html))
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(f"<div>{html}</div>")
    body = tree.body
    if body is None:
        return ""
    if clean._DROP_HINT.search(html):
        for tag in clean._DROP_TAGS:
            for node in body.css(tag):
                node.decompose()
    for node in body.css(clean._BLOCKS):
        if node.tag in ("br", "hr"):
            node.insert_before("\n")
        else:
            node.insert_before("\n\n")
            node.insert_after("\n\n")
    return _tidy(clean_text(body.text(deep=True, separator="")))


# (module, name of the current function, its plain form)
PASSES: tuple[tuple[Any, str, Callable[..., Any]], ...] = (
    (clean, "clean_text", clean_text),
    (clean, "_looks_like_mojibake", _looks_like_mojibake),
    (clean, "collapse_spaces", collapse_spaces),
    (clean, "_tidy", _tidy),
    (clean, "html_to_text", html_to_text),
    (furniture, "drop_furniture", drop_furniture),
    (fastfeed, "_fix_text", fix_feed_text),
)


@contextlib.contextmanager
def reference_passes() -> Iterator[None]:
    """Every reference in a loaded ``monitor`` module to a current pass replaced by
    its plain form (``from clean import html_to_text`` included), restored on exit."""
    swaps = {id(getattr(module, name)): plain for module, name, plain in PASSES}
    undo: list[tuple[Any, str, Any]] = []
    try:
        for module_name, module in list(sys.modules.items()):
            if module is None or not module_name.startswith("monitor"):
                continue
            for attr, value in list(vars(module).items()):
                plain = swaps.get(id(value))
                if plain is not None and callable(value):
                    undo.append((module, attr, value))
                    setattr(module, attr, plain)
        yield
    finally:
        for module, attr, value in reversed(undo):
            setattr(module, attr, value)
