"""Shared machinery of the agency wire-format parsers (NewsML, NITF, ninjs, IPTC 7901/ANPA).

Owns the hardened XML parse (DOCTYPE stripped first, no entities resolved, no
network, no DTD, no huge trees), markup-to-text for XHTML/NITF element trees,
wire dates (ISO 8601 in its basic and extended forms), take/version markers in
headlines and slugs (``UPDATE 2-``, ``CORRECTED-``, ``1stLd-Writethru``, ``1ST
LEAD``), kill notices, and the one place a parsed story becomes a ``WireItem``
(ids, caps, language, dateline, date fallback and clamping). Pure: no I/O.

lxml is imported here and nowhere else among the wire parsers, so its parser
settings live in one spot.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from monitor.errors import ParseError
from monitor.model import WireItem
from monitor.sources.clean import (
    BODY_MAX,
    TITLE_MAX,
    cap,
    clean_text,
    collapse_spaces,
    decode_bytes,
    html_to_text,
    iso_utc,
)
from monitor.sources.context import SourceContext
from monitor.sources.dateline import canonical_name, find_dateline
from monitor.sources.furniture import strip_furniture
from monitor.sources.identity import ID_MAX, content_hash
from monitor.sources.xmlsafe import safe_xml_parser, strip_doctype
from monitor.text.language import item_language

MAX_INPUT = 20 * 1024 * 1024
MAX_ITEMS = 1000
NAME_MAX = 200
URL_MAX = 2000
# Clocks and time zones are often wrong by hours; more than a day ahead is a wrong date.
FUTURE_SLACK = timedelta(days=1)
# Markup is several times the text it carries: stop walking a tree past this much text.
_WALK_LIMIT = BODY_MAX * 2

XmlElement = Any  # lxml.etree._Element; lxml ships no type hints

# ---------------------------------------------------------------------------
# XML


_DECLARED = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=", re.IGNORECASE)


def parse_xml(data: bytes, ctx: SourceContext, what: str) -> XmlElement:
    """The root element of ``data``, parsed without ever resolving an entity.

    The DOCTYPE (and any entity it declares) is removed first; lxml then runs
    with entity resolution, DTD loading and network access off and its
    size limits on. ``recover`` keeps what a slightly broken document holds.
    """
    if len(data) > MAX_INPUT:
        raise ParseError(f"{ctx.source}: {what} input is larger than {MAX_INPUT} bytes")
    data = strip_doctype(data)
    if not _DECLARED.match(data[:512]) and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        # Undeclared means UTF-8 to XML; a cp1251/KOI8-R/Latin-1 document
        # would lose its letters. Our guess knows the legacy code pages.
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = decode_bytes(data).encode("utf-8")
    parser = safe_xml_parser(recover=True)
    try:
        root = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError, LookupError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise ParseError(f"{ctx.source}: not readable as {what} ({detail})") from exc
    if root is None or not isinstance(root.tag, str):
        raise ParseError(f"{ctx.source}: not readable as {what} (no root element)")
    errors = [e for e in parser.error_log if e.level_name in ("ERROR", "FATAL")]
    if errors:
        detail = " ".join(str(errors[0].message).split())[:200]
        ctx.warnings.append(
            f"{ctx.source}: {what} is not well-formed (line {errors[0].line}: {detail});"
            " kept what was readable"
        )
    return root


def local(element: XmlElement) -> str:
    """The element's name without namespace, lower-cased ('' for comments, entities)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2].rpartition(":")[2].lower()


def children(element: XmlElement | None, name: str) -> list[XmlElement]:
    """Direct child elements called ``name`` (local name, any namespace)."""
    if element is None:
        return []
    return [child for child in element if local(child) == name]


def child(element: XmlElement | None, *path: str) -> XmlElement | None:
    """The first element down ``path`` of local names, or None."""
    current = element
    for name in path:
        found = children(current, name)
        if not found:
            return None
        current = found[0]
    return current


def descendants(element: XmlElement | None, name: str) -> list[XmlElement]:
    """Every element below ``element`` called ``name`` (document order)."""
    if element is None:
        return []
    return [node for node in element.iter() if local(node) == name]


def attr(element: XmlElement | None, name: str) -> str | None:
    """An attribute by local name (``xml:lang`` is ``lang``), stripped; None if empty."""
    if element is None:
        return None
    for key, value in element.attrib.items():
        if str(key).rpartition("}")[2].rpartition(":")[2].lower() == name.lower():
            text = " ".join(str(value).split())
            return text or None
    return None


def xml_lang(element: XmlElement | None) -> str | None:
    if element is None:
        return None
    value = element.get("{http://www.w3.org/XML/1998/namespace}lang")
    return value.strip() or None if isinstance(value, str) else None


def plain(element: XmlElement | None) -> str:
    """All text below ``element`` on one line (for headlines, names, dates)."""
    if element is None:
        return ""
    return " ".join(_walk_text(element, block=False).split())


_BLOCK = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
        "table", "blockquote", "pre", "section", "article", "hr", "dd", "dt", "dl",
        "block", "hl1", "hl2", "body.content", "body.head", "body.end", "media-caption",
        "td", "th", "caption", "hedline", "abstract", "bq", "nitf-table", "fn",
    }
)  # fmt: skip
# Furniture, metadata and code: never text a reader would be alerted on.
_SKIP = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "object", "svg", "head",
        "header", "footer", "nav", "aside", "figure", "img", "media", "media-reference",
        "media-metadata", "byline", "distributor", "dateline", "note", "ed-msg", "title",
        "meta", "link", "classifier", "tagline", "doc-id", "du-key", "docdata",
    }
)  # fmt: skip


_SPACES = re.compile(r"\s+")


def _keep(_: str, text: str) -> str:
    return text


def _walk_text(root: XmlElement, *, block: bool) -> str:
    parts: list[str] = []
    size = 0
    # Line breaks inside XML text are layout; only block elements break lines.
    squash = _SPACES.sub if block else _keep

    def visit(node: XmlElement) -> None:
        nonlocal size
        if size > _WALK_LIMIT:
            return
        name = local(node)
        if isinstance(node.tag, str):
            if name in _SKIP and node is not root:
                return
            is_block = block and name in _BLOCK
            if is_block:
                parts.append("\n" if name == "br" else "\n\n")
            if node.text:
                parts.append(squash(" ", node.text))
                size += len(node.text)
            for sub in node:
                visit(sub)
                if sub.tail:
                    parts.append(squash(" ", sub.tail))
                    size += len(sub.tail)
            if is_block and name != "br":
                parts.append("\n\n")
        elif node.text and str(node.text).startswith("&"):
            # An unresolved entity reference (the DTD is gone): HTML names
            # like &auml; are decoded, anything else dropped.
            decoded = html.unescape(str(node.text))
            if decoded != node.text:
                parts.append(decoded)

    visit(root)
    return "".join(parts)


_ESCAPED = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def element_text(element: XmlElement | None) -> str:
    """Readable text of an XHTML or NITF element: blocks as paragraphs, no markup."""
    if element is None:
        return ""
    return tidy(_walk_text(element, block=True))


def tidy(text: str) -> str:
    """Clean Unicode, decode entities escaped twice, one blank line between paragraphs."""
    if _ESCAPED.search(text):
        # Double-escaped feeds (&amp;quot;) leave entities in the text once parsed;
        # decoded before the clean-up, so &#7; cannot smuggle a control character.
        text = html.unescape(text)
    text = collapse_spaces(clean_text(text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def markup_text(value: str) -> str:
    """Text of a string that may hold HTML (or plain text with stray entities)."""
    value = value[: BODY_MAX * 5]
    lowered = value[:20_000].lower()
    start = lowered.find("<head")
    close = lowered.find("</head", start) if start >= 0 else -1
    if close > 0:
        # A whole document: its <title> would come out as the first paragraph.
        end = value.find(">", close)
        value = value[:start] + " " + value[end + 1 if end > 0 else len(value) :]
    return tidy(html_to_text(value))


# ---------------------------------------------------------------------------
# Dates

_ISO = re.compile(
    r"^\s*(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[T\s]+(\d{2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$",
    re.IGNORECASE,
)


def parse_datetime(value: str | None) -> datetime | None:
    """A UTC datetime from ISO 8601 in extended or basic form (``20151210T191044Z``,
    ``2017-10-11T10:41:00+0100``, ``2018-01-03 20:13:08``); None if unreadable."""
    if not value:
        return None
    match = _ISO.match(value[:64])
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    offset = timedelta()
    if zone and zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        if hours > 14 or minutes > 59:
            return None
        offset = timedelta(hours=hours, minutes=minutes) * (1 if zone[0] == "+" else -1)
    try:
        return (moment - offset).replace(tzinfo=UTC)
    except OverflowError:
        return None


def first_date(*values: str | None) -> datetime | None:
    for value in values:
        moment = parse_datetime(value)
        if moment is not None:
            return moment
    return None


# ---------------------------------------------------------------------------
# Numbers


def to_int(value: Any, default: int = 1) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if 0 <= value < 10**12 else default
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 12:
        return int(value.strip())
    return default


# ---------------------------------------------------------------------------
# Agencies


def agency_name(*candidates: str | None) -> str | None:
    """The first candidate that names a known agency, canonically; else the first
    usable candidate as given (``reuters.com`` -> Reuters, ``STT`` -> STT)."""
    usable: list[str] = []
    for candidate in candidates:
        if not candidate:
            continue
        text = " ".join(clean_text(candidate).split())[:NAME_MAX]
        text = re.sub(r"^(?:https?://)?(?:www\.)?", "", text, flags=re.I).rstrip("/")
        if not text:
            continue
        known = canonical_name(text)
        if known is not None:
            return known[0]
        usable.append(text)
    return usable[0] if usable else None


# ---------------------------------------------------------------------------
# Items


@dataclass
class Story:
    """What a format parser read, before it becomes a WireItem."""

    title: str
    body: str
    guid: str | None = None  # the story's id at the provider (shared by versions)
    version: int = 1
    published: datetime | None = None
    language: str | None = None  # as declared by the document
    agency: str | None = None
    publisher: str | None = None
    place: str | None = None
    url: str | None = None
    kill: bool = False
    slug: str | None = None  # used for the story id when there is no guid


def drop_markers(body: str) -> str:
    """Continuation and end markers (``(more)``, ``(تستمر)``, ``___``) are not text;
    nor are closing desk initials or "Read more" lines (see ``furniture``)."""
    return strip_furniture(body)


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def make_item(story: Story, ctx: SourceContext, fmt: str) -> WireItem | None:
    """The WireItem for ``story``; None when it has neither headline nor text."""
    title = cap(" ".join(tidy(story.title[: TITLE_MAX * 5]).split()), TITLE_MAX)
    body = drop_markers(story.body)
    if title:
        first, _, rest = body.partition("\n\n")
        if _same(first, title):  # the headline repeated as the first paragraph
            body = rest.lstrip()
    body = cap(body, BODY_MAX)
    if not title and not body:
        return None
    fetched = ctx.fetched_at.astimezone(UTC)
    dateline = find_dateline(body, fetched.date()) if body else None
    published = story.published
    if published is None and dateline is not None and dateline.published:
        published = parse_datetime(dateline.published)
    if published is None or published > fetched + FUTURE_SLACK:
        published = fetched
    agency = story.agency
    publisher = story.publisher or (dateline.publisher if dateline else None)
    if dateline is not None and dateline.agency and canonical_name(dateline.agency):
        # The dateline names the agency that wrote the story; whoever delivered
        # it (an UrduPoint copy of a Sputnik story) is the publisher.
        if agency and agency.casefold() != dateline.agency.casefold():
            publisher = publisher or agency
        agency = dateline.agency
    agency = agency or (dateline.agency if dateline else None)
    if publisher and agency and publisher.casefold() == agency.casefold():
        publisher = None
    place = story.place or (dateline.place if dateline else None)
    place = cap(" ".join(place.split()), NAME_MAX) if place else None
    language = item_language(title, body, story.language or ctx.language)
    version = max(1, story.version)
    story_id, item_id = _ids(story, fmt, agency, published, title, body, version)
    return WireItem(
        id=item_id,
        title=title,
        body=body,
        source=ctx.source,
        url=_http_url(story.url),
        language=language,
        published=iso_utc(published),
        agency=cap(agency, NAME_MAX) if agency else None,
        publisher=cap(publisher, NAME_MAX) if publisher else None,
        place=place or None,
        story_id=story_id,
        version=version,
        kind="kill" if story.kill else "news",
        feed_id=ctx.feed_id,
        tags=tuple(ctx.tags),
        fetched_at=iso_utc(fetched),
    )


def _ids(
    story: Story,
    fmt: str,
    agency: str | None,
    published: datetime,
    title: str,
    body: str,
    version: int,
) -> tuple[str, str]:
    """(story id, item id): the provider's guid when there is one, else the slug
    of the day (takes of one story share it), else the content."""
    text_hash = content_hash(title, body)
    guid = " ".join((story.guid or "").split())[: ID_MAX - 40]
    if guid:
        return guid, f"{guid}:{version}"
    if story.slug and story.slug.strip():
        slug = re.sub(r"[\W_]+", "-", story.slug.casefold()).strip("-")
        if slug:
            key = f"{fmt}|{(agency or '').casefold()}|{slug}|{published.date().isoformat()}"
            story_id = f"{fmt}:{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}"
            return story_id, f"{story_id}:{version}:{text_hash[7:15]}"
    return text_hash, f"{text_hash}:{version}"


def _http_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    if len(url) > URL_MAX or not re.match(r"^https?://[^\s/]", url, re.IGNORECASE):
        return None
    if re.search(r"\s", url):
        return None
    return url
