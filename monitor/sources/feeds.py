"""RSS 0.9x/1.0/2.0, Atom and JSON Feed documents to WireItems.

Owns the feedparser boundary (``fastfeed``, the lxml fast path for plain RSS
2.0, reads what feedparser would and declines the rest): feedparser is given
bytes with the DOCTYPE removed (see ``xmlsafe``) and the HTTP response headers,
never a URL. Also owns the entry -> item rules: HTML to text, links (relative
ones read against the feed's site), dates (missing or absurd -> fetch time), ids
(guid, else canonical link, else content hash; duplicate guids in one feed fall
back like Miniflux does), story ids and versions from the headline's take
markers, kills, and languages. No I/O; keeps the last few many-entry documents
parsed between their batches (``_ParsedDocuments``).
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser

from monitor.errors import ParseError
from monitor.model import WireItem
from monitor.sources.clean import (
    BODY_MAX,
    TITLE_MAX,
    cap,
    clean_text,
    guess_legacy_encoding,
    html_to_text,
    iso_utc,
)
from monitor.sources.context import SourceContext
from monitor.sources.dateline import canonical_name, find_dateline
from monitor.sources.fastfeed import FeedDoc, FeedEntry, from_struct, read_rss
from monitor.sources.identity import ids_without_text, title_story_id, unique_item_id
from monitor.sources.takes import tidy_story
from monitor.sources.xmlsafe import strip_doctype
from monitor.text.language import item_language

URL_MAX = 2000
PUBLISHER_MAX = 200
# Clocks and time zones are often wrong by hours; a day ahead is a wrong date.
FUTURE_SLACK = timedelta(days=1)

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)


# What any feed format says about an entry and about itself (the fast RSS reader's too).
_Entry = FeedEntry
_Feed = FeedDoc


def parse_feed(data: bytes, ctx: SourceContext, *, fast: bool = True) -> list[WireItem]:
    """Every entry of an RSS/Atom/RDF/JSON feed as an item; ParseError if not a feed.

    ``fast``: plain RSS 2.0 is read by ``fastfeed`` (same items, a fraction of the
    cost); False sends every XML document through feedparser (tests, benchmarks).
    """
    feed = _read_feed(data, ctx, fast)
    publisher = _publisher(feed.title)
    # Relative entry links: against the site the feed names, else the feed's own URL.
    base = _http_link(feed.base) or _http_link(ctx.source)
    items: list[WireItem] = []
    seen: set[str] = set()
    # Entries are turned into items a batch at a time (``ctx.batch``): the caller
    # asks for the next batch until the document is done, so none is lost.
    batch = ctx.batch
    start = min(max(batch.start, 0), len(feed.entries))
    batch.total = len(feed.entries)
    batch.end = min(start + max(batch.size, 1), batch.total)
    empty = 0
    entries = feed.entries[start : batch.end]
    known = _seen_ids(entries, ctx, base)
    for index, entry in enumerate(entries):
        if index in known:
            seen.add(known[index])
            ctx.skipped.append(known[index])
            continue
        item = _to_item(entry, ctx, feed.language, publisher, base, seen)
        if item is not None:
            items.append(item)
        else:
            empty += 1
    if empty:
        ctx.warnings.append(
            f"{ctx.source}: {empty} of {batch.end - start} entries have no title and no "
            "text; skipped"
        )
    return items


class _ParsedDocuments:
    """The last few many-entry documents read, kept between their batches.

    A document of more entries than one batch is asked for again for each batch
    (``ctx.batch``); its parsed entries are kept here, keyed by its bytes' digest,
    so it is parsed once, not once per batch. Few and bounded: a cache miss (another
    process, an evicted document) only parses again.
    """

    SIZE = 2

    def __init__(self) -> None:
        self._documents: OrderedDict[tuple[object, ...], tuple[_Feed, list[str]]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(data: bytes, ctx: SourceContext, fast: bool) -> tuple[object, ...]:
        digest = hashlib.blake2b(data, digest_size=20).digest()
        return digest, ctx.source, tuple(sorted(ctx.headers.items())), fast

    def get(self, key: tuple[object, ...]) -> tuple[_Feed, list[str]] | None:
        with self._lock:
            found = self._documents.get(key)
            if found is not None:
                self._documents.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], feed: _Feed, warnings: list[str]) -> None:
        with self._lock:
            self._documents[key] = (feed, list(warnings))
            self._documents.move_to_end(key)
            while len(self._documents) > self.SIZE:
                self._documents.popitem(last=False)


_PARSED = _ParsedDocuments()


def _read_feed(data: bytes, ctx: SourceContext, fast: bool) -> _Feed:
    """The document's feed and entries: parsed, or kept from its previous batch (its
    warnings are given again, as a new parse would)."""
    key = None
    if ctx.batch.start > 0:
        key = _PARSED.key(data, ctx, fast)
        kept = _PARSED.get(key)
        if kept is not None:
            ctx.warnings.extend(kept[1])
            return kept[0]
    warned = len(ctx.warnings)
    if data.lstrip()[:1] in (b"{", b"["):
        feed = _read_json_feed(data, ctx)
    else:
        feed = _read_xml_feed(data, ctx, fast)
    if len(feed.entries) > max(ctx.batch.size, 1):
        _PARSED.put(key or _PARSED.key(data, ctx, fast), feed, ctx.warnings[warned:])
    return feed


def _read_xml_feed(data: bytes, ctx: SourceContext, fast: bool) -> _Feed:
    headers = _lower_keys(ctx.headers)
    prepared = _prepared(data, headers)
    if fast:
        found = read_rss(prepared, headers)
        if found is not None:
            return found
    try:
        # A stream, never a str: feedparser treats strings as URLs or file names.
        parsed = feedparser.parse(
            io.BytesIO(prepared),
            response_headers=headers,
            resolve_relative_uris=False,
            sanitize_html=False,  # we reduce HTML to text ourselves
        )
    except Exception as exc:  # feedparser promises not to raise; a bug must not crash a worker
        raise ParseError(f"{ctx.source}: not a feed ({type(exc).__name__})") from exc
    feed: Mapping[str, Any] = parsed.get("feed") or {}
    raw_entries: list[Any] = list(parsed.get("entries") or [])
    if not raw_entries and not parsed.get("version") and not feed.get("title"):
        hint = " (looks like HTML)" if _HTML_START.match(data[:4096]) else ""
        raise ParseError(f"{ctx.source}: not a feed{hint}")
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        detail = " ".join(f"{type(problem).__name__}: {problem}".split())[:300]
        ctx.warnings.append(
            f"{ctx.source}: feed is not well-formed ({detail}); kept {len(raw_entries)} entries"
        )
    entries = [_xml_entry(raw) for raw in raw_entries]
    return _Feed(
        title=_text(feed.get("title")),
        language=_str_or_none(feed.get("language")),
        base=_str_or_none(feed.get("link")),
        entries=entries,
    )


def fast_path_reads(data: bytes, headers: Mapping[str, str]) -> bool:
    """Whether the lxml fast path reads this XML document (else feedparser does)."""
    lowered = _lower_keys(headers)
    return read_rss(_prepared(data, lowered), lowered) is not None


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _prepared(data: bytes, headers: dict[str, str]) -> bytes:
    """The bytes either reader gets: no DOCTYPE, mislabelled legacy code pages
    re-encoded (``headers`` changed to match), stray ``rss:`` prefixes gone."""
    return _unprefix_rss(_to_utf8(strip_doctype(data), headers))


_DECLARED = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])([^\"']*)([\"'])", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\s;\"']+)", re.IGNORECASE)
# Declarations that any byte string satisfies: a Cyrillic or Arabic feed mislabelled
# with one of these decodes without error, into Latin-1 letters.
_SINGLE_BYTE_LATIN = frozenset({"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252"})


def _declared_encoding(data: bytes, headers: Mapping[str, str]) -> str | None:
    """What the HTTP header, else the XML declaration, says the encoding is."""
    found = _HEADER_CHARSET.search(headers.get("content-type", ""))
    if found:
        return found.group(1).lower()
    declared = _DECLARED.match(data[:512])
    return declared.group(2).decode("ascii", "replace").lower() if declared else None


def _to_utf8(data: bytes, headers: dict[str, str]) -> bytes:
    """Repair a feed whose bytes are not in the encoding it declares (or implies).

    XML says an undeclared document is UTF-8; feedparser then falls back to
    windows-1252, which turns a KOI8-R or cp1251 Russian feed into mojibake, and
    a cp1251 feed labelled ISO-8859-1 decodes "fine" into Latin-1 letters. Where
    the bytes allow it, our guess (which knows the legacy code pages of the
    languages we watch) decides; the feed is re-encoded as UTF-8, declared so, and
    the header's charset dropped (``headers`` is changed in place).
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:3] == b"\xef\xbb\xbf":
        return data
    declared = _declared_encoding(data, headers)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        valid_utf8 = False
    else:
        valid_utf8 = True
    if declared in (None, "utf-8", "utf8") and valid_utf8:
        return data
    if declared not in (None, "utf-8", "utf8") and declared not in _SINGLE_BYTE_LATIN:
        return data  # a declared Cyrillic/Arabic/other code page: believe it
    guess = guess_legacy_encoding(data)
    if guess == "cp1252" and declared is not None:
        return data  # the bytes look Latin: the declaration may well be right
    text = data.decode(guess, errors="replace")
    headers.pop("content-type", None)
    fixed = text.encode("utf-8")
    if _DECLARED.match(fixed[:512]):
        return _DECLARED.sub(rb"\1utf-8\3", fixed, count=1)
    return fixed


_RSS_PREFIX = re.compile(rb"<(/?)rss:(?=[A-Za-z])")
_RSS_PREFIX_DECLARED = re.compile(rb"xmlns:rss\s*=")


def _unprefix_rss(data: bytes) -> bytes:
    """RSS whose elements carry an undeclared ``rss:`` prefix (``<rss:item>``, as
    some hand-made feeds write RSS 1.0-style names): feedparser finds no entry in
    it, so the prefix goes. A declared one is a namespace feedparser knows."""
    if b"<rss:" not in data or _RSS_PREFIX_DECLARED.search(data):
        return data
    return _RSS_PREFIX.sub(rb"<\1", data)


def _xml_entry(raw: Mapping[str, Any]) -> _Entry:
    contents = [c for c in raw.get("content") or [] if isinstance(c, Mapping)]
    body = max((_text(c.get("value")) for c in contents), key=len, default="")
    if not body:
        body = _text(raw.get("summary"))
    language = None
    for detail in (raw.get("title_detail"), *(contents[:1]), raw.get("summary_detail")):
        if isinstance(detail, Mapping) and detail.get("language"):
            language = _str_or_none(detail.get("language"))
            break
    published = None
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get skips FeedParserDict's deprecated updated->published key mapping.
        published = from_struct(dict.get(raw, key) if isinstance(raw, dict) else raw.get(key))
        if published is not None:
            break
    guid = _str_or_none(raw.get("id"))
    link = _str_or_none(raw.get("link"))
    if link is not None and link == guid and not _SCHEME.match(link):
        # feedparser copies a guid into the link when it may be a permalink;
        # "ex-2022-001" is an id, not a path to resolve.
        link = None
    return _Entry(
        guid=guid,
        link=link,
        title_html=_text(raw.get("title")),
        body_html=body,
        published=published,
        language=language,
    )


def _read_json_feed(data: bytes, ctx: SourceContext) -> _Feed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1)."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ParseError(f"{ctx.source}: not a feed (invalid JSON: {type(exc).__name__})") from exc
    if (
        not isinstance(doc, dict)
        or not str(doc.get("version", "")).startswith("https://jsonfeed.org/version/")
        or not isinstance(doc.get("items"), list)
    ):
        raise ParseError(f"{ctx.source}: not a feed (JSON without a JSON Feed version and items)")
    entries = []
    for raw in doc["items"]:
        if not isinstance(raw, dict):
            continue
        # content_text is plain: escape it so the HTML-to-text step is a no-op on it.
        body = _text(raw.get("content_html")) or html.escape(_text(raw.get("content_text")))
        entries.append(
            _Entry(
                guid=_str_or_none(raw.get("id")),
                link=_str_or_none(raw.get("url")),
                title_html=_text(raw.get("title")),
                body_html=body or _text(raw.get("summary")),
                published=_from_iso(raw.get("date_published") or raw.get("date_modified")),
                language=_str_or_none(raw.get("language")),
            )
        )
    return _Feed(
        title=_text(doc.get("title")),
        language=_str_or_none(doc.get("language")),
        base=_str_or_none(doc.get("home_page_url")) or _str_or_none(doc.get("feed_url")),
        entries=entries,
    )


def _seen_ids(entries: list[_Entry], ctx: SourceContext, base: str | None) -> dict[int, str]:
    """The entries (by index) whose id is known without their text and already seen
    (``ctx.unseen``), with that id; none without a seen-set or where ids need text."""
    if ctx.unseen is None or not entries:
        return {}
    ids = ids_without_text([(e.guid, _http_link(_absolute(e.link, base))) for e in entries])
    if ids is None:
        return {}
    known = [entry_id for entry_id in ids if entry_id is not None]
    unseen = set(ctx.unseen(known)) if known else set()
    return {
        index: entry_id
        for index, entry_id in enumerate(ids)
        if entry_id is not None and entry_id not in unseen
    }


def _to_item(
    entry: _Entry,
    ctx: SourceContext,
    feed_language: str | None,
    publisher: str | None,
    base: str | None,
    seen: set[str],
) -> WireItem | None:
    # Markup is several times the text it carries; cut before parsing it.
    title = cap(" ".join(html_to_text(entry.title_html[: TITLE_MAX * 20]).split()), TITLE_MAX)
    paragraphs = html_to_text(entry.body_html[: BODY_MAX * 5]).split("\n\n")
    story = tidy_story(title, paragraphs, BODY_MAX)
    body = story.body
    if not title and not body:
        # An entry with only a description that the furniture rules cleared (an
        # ellipsis, a bare "read more"): its text is all there is, so it stays.
        body = cap("\n\n".join(p for p in (" ".join(p.split()) for p in paragraphs) if p), BODY_MAX)
    if not title and not body:
        return None
    link = _http_link(_absolute(entry.link, base))
    item_id = unique_item_id(entry.guid, link, (title, body), seen)
    # Updates of a story carry new guids and links: the headline, without its
    # UPDATE/CORRECTED/KILL markers, names the story within the outlet.
    story_id = title_story_id(publisher or ctx.feed_id or ctx.source, story.headline) or item_id
    fetched = ctx.fetched_at.astimezone(UTC)
    published = entry.published
    if published is None or published > fetched + FUTURE_SLACK:
        published = fetched
    language = item_language(title, body, entry.language, feed_language, ctx.language)
    dateline = find_dateline(body, fetched.date()) if body else None
    return WireItem(
        id=item_id,
        title=title,
        body=body,
        source=ctx.source,
        url=link,
        language=language,
        published=iso_utc(published),
        agency=dateline.agency if dateline else None,
        publisher=publisher,
        place=dateline.place if dateline else None,
        story_id=story_id,
        version=story.version,
        kind="kill" if story.kill else "news",
        feed_id=ctx.feed_id,
        tags=tuple(ctx.tags),
        fetched_at=iso_utc(fetched),
    )


def _publisher(feed_title: str) -> str | None:
    title = " ".join(clean_text(feed_title).split())
    if not title:
        return None
    known = canonical_name(title[:PUBLISHER_MAX])
    return known[0] if known else cap(title, PUBLISHER_MAX)


def _absolute(link: str | None, base: str | None) -> str | None:
    if not link or not base or _SCHEME.match(link.strip()):
        return link
    try:
        return urljoin(base, link.strip())
    except ValueError:
        return None


def _http_link(link: str | None) -> str | None:
    if not link:
        return None
    link = link.strip()
    if not re.match(r"^https?://[^\s/]", link, re.IGNORECASE) or len(link) > URL_MAX:
        return None
    return link


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _str_or_none(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return value.strip() or None if isinstance(value, str) else None


def _from_iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
