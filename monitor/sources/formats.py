"""Which agency wire format an input is, by content: the sniffers and parsers table.

Owns ``sniff_format`` (cheap: looks at the first few KB, never parses) and
``PARSERS`` (format name -> parser) for NewsML (G2 and 1.x), NITF, ninjs, IPTC
7901, ANPA-1312 and Ritzau XMLNews. ``detect.parse_bytes`` can hand over with::

    fmt = sniff_format(data)
    if fmt is not None: return PARSERS[fmt](data, ctx)

RSS/Atom/JSON Feed and plain-text stories are not sniffed here (see ``detect``).
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable

from monitor.model import WireItem
from monitor.sources.context import SourceContext
from monitor.sources.iptc7901 import looks_like_anpa, looks_like_iptc7901, parse_iptc7901
from monitor.sources.newsml import looks_like_newsml, parse_newsml
from monitor.sources.ninjs import looks_like_ninjs, parse_ninjs
from monitor.sources.nitf import looks_like_nitf, parse_nitf
from monitor.sources.ritzau import looks_like_ritzau, parse_ritzau

Parser = Callable[[bytes, SourceContext], list[WireItem]]

PARSERS: dict[str, Parser] = {
    "newsml": parse_newsml,
    "nitf": parse_nitf,
    "ninjs": parse_ninjs,
    "iptc7901": parse_iptc7901,
    "anpa": parse_iptc7901,  # one framing parser; it tells the two apart itself
    "ritzau": parse_ritzau,
}


def sniff_format(data: bytes) -> str | None:
    """``newsml``, ``nitf``, ``ninjs``, ``anpa``, ``iptc7901`` or ``ritzau``; None otherwise."""
    if looks_like_anpa(data):
        return "anpa"
    if looks_like_iptc7901(data):
        return "iptc7901"
    if looks_like_newsml(data):
        return "newsml"
    if looks_like_nitf(data):
        return "nitf"
    if looks_like_ninjs(data):
        return "ninjs"
    if looks_like_ritzau(data):
        return "ritzau"
    return None
