"""Make XML safe to hand to feedparser: remove the DOCTYPE and its entities.

feedparser neutralises nested entities and XXE, but when expat refuses a
document its loose fallback parser expands a flat internal entity without limit
(a 110 KB feed took 18 s and 3 GB). Feeds have no business declaring entities,
so every ``<!DOCTYPE ...[ ... ]>`` before the first element goes before
parsing, however far a long comment pushes it down. Linear scans, no regex
backtracking. Pure: no I/O.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

_DOCTYPE = re.compile(rb"<!doctype", re.IGNORECASE)
_DOCTYPE_LEN = len(b"<!doctype")
# feedparser reads entity declarations from everything before the first
# ``<`` + word character (its ``replace_doctype``); so do we, however long a
# comment or junk padding makes that prolog.
_FIRST_ELEMENT = re.compile(rb"<\w")
_MAX_DOCTYPES = 16
_UTF16_32 = re.compile(rb"^(?:\x00\x00\xfe\xff|\xff\xfe\x00\x00|\xfe\xff|\xff\xfe|\x00<|<\x00)")
_DECL_ENCODING = re.compile(rb"""(<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""", re.IGNORECASE)


def strip_doctype(data: bytes) -> bytes:
    """``data`` without its document type declaration (internal subset included)."""
    if _UTF16_32.match(data):
        # Wide encodings hide the ASCII markers; scan the text, hand on UTF-8.
        text = _decode_wide(data)
        stripped = strip_doctype(text.encode("utf-8"))
        return _DECL_ENCODING.sub(rb"\1\2utf-8\2", stripped, count=1)
    out: list[bytes] = []
    pos = limit = 0
    while True:
        if limit <= pos:  # the first element was inside the DOCTYPE just removed
            first = _FIRST_ELEMENT.search(data, pos)
            limit = first.start() if first else len(data)
        found = _DOCTYPE.search(data, pos, limit)
        if found is None:
            break
        out.append(data[pos : found.start()])
        pos = _doctype_end(data, found.start() + _DOCTYPE_LEN)
        if len(out) > _MAX_DOCTYPES:
            pos = max(pos, limit)  # junk: the rest of the prolog goes in one cut
    if not out:
        return data
    out.append(data[pos:])
    return b"".join(out)


def safe_xml_parser(*, recover: bool) -> Any:
    """An lxml parser that never resolves an entity, loads a DTD or touches the
    network, with lxml's size limits on (no ``huge_tree``); comments and
    processing instructions dropped. ``recover`` keeps what a broken document holds."""
    from lxml import etree  # here: sniffing and DOCTYPE removal need no lxml at start-up

    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
    )


def _decode_wide(data: bytes) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    encoding = "utf-16-be" if data.startswith(b"\x00<") else "utf-16-le"
    return data.decode(encoding, errors="replace")


def _doctype_end(data: bytes, pos: int) -> int:
    """Index just past the ``>`` closing the DOCTYPE that began before ``pos``.

    Skips quoted literals and comments, so a ``]`` or ``>`` inside an entity
    value does not end the declaration. Unterminated: the end of ``data``.
    """
    size = len(data)
    depth = 0  # inside the [ ... ] internal subset when > 0
    while pos < size:
        char = data[pos]
        if char in (0x22, 0x27):  # " or '
            close = data.find(bytes((char,)), pos + 1)
            if close < 0:
                return size
            pos = close + 1
            continue
        if data.startswith(b"<!--", pos):
            close = data.find(b"-->", pos + 4)
            if close < 0:
                return size
            pos = close + 3
            continue
        if char == 0x5B:  # [
            depth += 1
        elif char == 0x5D and depth:  # ]
            depth -= 1
        elif char == 0x3E and depth == 0:  # >
            return pos + 1
        pos += 1
    return size


# -- which XML format: the document element, read without parsing -------------

_SNIFF = 4096
_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)", re.S | re.I)
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]")


def sniff_root(data: bytes) -> tuple[str, bytes, int] | None:
    """The document element of ``data``, looked for in its first few KB after the
    prolog (declaration, comments, DOCTYPE): (its local name lower-cased, the head
    searched, where the name ends in it); None when none is found there. A UTF-8
    BOM is skipped; UTF-16 loses its zero bytes (the markup is ASCII)."""
    head = data[:_SNIFF]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    elif b"\x00" in head[:4]:
        head = head.replace(b"\x00", b"").lstrip(b"\xff\xfe")
    pos = 0
    while True:
        prolog = _PROLOG.match(head, pos)
        if prolog is None or prolog.end() == pos:
            break
        pos = prolog.end()
    match = _ROOT.match(head, pos)
    if match is None:
        return None
    return match.group(1).decode("ascii", "replace").lower(), head, match.end()
