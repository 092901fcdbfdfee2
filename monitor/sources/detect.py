"""Which parser an input needs, decided by its content, never by its name.

Owns the sniffing: gzip, BOMs, XML root elements (rss/feed/RDF -> feeds,
newsMessage/newsItem/nitf -> NewsML/NITF, XMLNewsQueuedResponse -> Ritzau),
JSON shapes (JSON Feed, ninjs) and plain text (wire stories). ``parse_bytes`` is
the one entry point for local files, drop folders and pushed items, and raises
nothing but ParseError.
Pure: no I/O.
"""

from __future__ import annotations

import json
import zlib

from monitor.errors import ParseError
from monitor.model import WireItem
from monitor.sources.clean import decode_bytes, decode_prefix
from monitor.sources.context import SourceContext
from monitor.sources.formats import PARSERS, sniff_format
from monitor.sources.wire import parse_wire_text
from monitor.sources.xmlsafe import sniff_root

MAX_INPUT = 20 * 1024 * 1024  # after decompression

_FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})
_NEWSML_ROOTS = frozenset({"newsmessage", "newsitem", "packageitem", "knowledgeitem", "newsml"})
_NITF_ROOTS = frozenset({"nitf"})
_HTML_ROOTS = frozenset({"html", "head", "body"})
_NINJS_KEYS = frozenset(
    {"uri", "headline", "body_text", "body_html", "versioncreated", "headlines"}
)


def parse_bytes(data: bytes, ctx: SourceContext) -> list[WireItem]:
    """Items from any supported input; ParseError (naming ``ctx.source``) otherwise."""
    try:
        return _parse(data, ctx)
    except ParseError:
        raise
    except (RecursionError, MemoryError, ValueError, TypeError, LookupError, AttributeError) as exc:
        # Hostile input must cost one item, never a worker: whatever a parser
        # library trips over becomes our one-line error.
        raise ParseError(f"{ctx.source}: could not be read ({type(exc).__name__})") from exc


def _parse(data: bytes, ctx: SourceContext) -> list[WireItem]:
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, ctx)
    if len(data) > MAX_INPUT:
        raise ParseError(f"{ctx.source}: input is larger than {MAX_INPUT} bytes")
    wire_format = sniff_format(data)  # NewsML, NITF, ninjs, IPTC 7901, ANPA
    if wire_format is not None:
        return PARSERS[wire_format](data, ctx)
    head = decode_prefix(data, 4096).lstrip("\ufeff \t\r\n")
    if not head.strip():
        raise ParseError(f"{ctx.source}: empty input")
    if head.startswith("<"):
        return _parse_markup(data, ctx)
    if head[0] in "{[":
        return _parse_json(data, ctx)
    if _looks_binary(head):
        raise ParseError(f"{ctx.source}: not a known format (binary data)")
    return parse_wire_text(data, ctx)


def parse_feed(data: bytes, ctx: SourceContext) -> list[WireItem]:
    """``monitor.sources.feeds.parse_feed``, imported on the first feed: feedparser
    costs ~0.1 s of start-up that `monitor match` on wire files never needs."""
    from monitor.sources.feeds import parse_feed as parse

    return parse(data, ctx)


def _parse_markup(data: bytes, ctx: SourceContext) -> list[WireItem]:
    found = sniff_root(data)
    root = found[0] if found is not None else None
    if root in _HTML_ROOTS:
        # An error page, usually; but XHTML can carry an Atom feed inside.
        try:
            items = parse_feed(data, ctx)
        except ParseError:
            raise ParseError(f"{ctx.source}: not a feed (looks like HTML)") from None
        if items or ctx.skipped:  # entries seen before are entries all the same
            return items
        raise ParseError(f"{ctx.source}: not a feed (looks like HTML)")
    if root in _NEWSML_ROOTS:
        return PARSERS["newsml"](data, ctx)
    if root in _NITF_ROOTS:
        return PARSERS["nitf"](data, ctx)
    # rss/feed/RDF, and unknown roots too: feedparser decides, or says "not a feed".
    return parse_feed(data, ctx)


def _parse_json(data: bytes, ctx: SourceContext) -> list[WireItem]:
    try:
        doc = json.loads(decode_bytes(data))
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"{ctx.source}: not valid JSON ({type(exc).__name__})") from exc
    if isinstance(doc, dict) and str(doc.get("version", "")).startswith("https://jsonfeed.org/"):
        return parse_feed(data, ctx)
    if isinstance(doc, dict) and (
        _NINJS_KEYS & doc.keys() or "ninjs" in str(doc.get("$schema", ""))
    ):
        return PARSERS["ninjs"](data, ctx)
    raise ParseError(f"{ctx.source}: JSON that is neither a JSON Feed nor ninjs")


def _gunzip(data: bytes, ctx: SourceContext) -> bytes:
    """Decompress at most MAX_INPUT bytes: a gzip bomb stops at the cap."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, MAX_INPUT + 1)
    except zlib.error as exc:
        raise ParseError(f"{ctx.source}: broken gzip data ({exc})") from exc
    if len(out) > MAX_INPUT:
        raise ParseError(f"{ctx.source}: input is larger than {MAX_INPUT} bytes uncompressed")
    return out


def _looks_binary(head: str) -> bool:
    """Real binaries only: a NUL, or bytes that decode to nothing (U+FFFD). Other
    control characters (an ESC, terminal colour codes) are text's debris, which
    ``clean.clean_text`` drops."""
    if "\x00" in head:
        return True
    return head.count("\ufffd") > max(4, len(head) // 20)
