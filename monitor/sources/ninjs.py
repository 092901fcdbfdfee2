"""ninjs (IPTC News in JSON) 1.x and 3.0 documents to WireItems.

Owns the ninjs vocabulary in both spellings (1.x ``versioncreated``, 3.0
``versionCreated``): ``uri``/``guid`` + ``version`` for ids, ``headline`` or
``headlines[]``, ``body_html``/``body_xhtml``/``body_text`` or ``bodies[]``,
``descriptions`` when there is no body, ``language``, ``pubstatus`` (withheld
or canceled is a kill), ``located``/``places`` for the place and
``source``/``provider``/``copyrightholder`` for the agency. A document may be
one item, a list of items, or an API envelope (``{"data": {"item": ...}}``).
Pure: no I/O.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any

from monitor.errors import ParseError
from monitor.model import WireItem
from monitor.sources.clean import decode_bytes
from monitor.sources.context import SourceContext
from monitor.sources.takes import is_kill_status, read_take, starts_with_kill
from monitor.sources.wirefmt import (
    MAX_INPUT,
    MAX_ITEMS,
    Story,
    agency_name,
    first_date,
    make_item,
    markup_text,
    to_int,
)

_SNIFF = 4096
# Keys only ninjs (and not JSON Feed or other JSON) puts at the top of an item.
_NINJS_KEY = re.compile(
    rb'"(?:uri|guid|versioncreated|firstcreated|pubstatus|headlines|body_text|body_html|'
    rb'body_xhtml|bodies|renditions|associations)"\s*:',
    re.IGNORECASE,
)
_JSON_FEED = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/', re.IGNORECASE)
_NINJS_SCHEMA = re.compile(rb'"\$schema"\s*:\s*"[^"]*ninjs', re.IGNORECASE)


def looks_like_ninjs(data: bytes) -> bool:
    """True for a JSON object/array whose first KB carry ninjs keys (not JSON Feed)."""
    head = data[:_SNIFF].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] not in (b"{", b"["):
        return False
    if _JSON_FEED.search(head):
        return False
    if _NINJS_SCHEMA.search(head):
        return True
    hits = {m.group(0).split(b'"')[1].lower() for m in _NINJS_KEY.finditer(head)}
    # "uri"/"guid" alone is any API; with a ninjs date or text key it is ninjs.
    return len(hits) >= 2 or bool(hits & {b"versioncreated", b"headlines", b"bodies"})


def parse_ninjs(data: bytes, ctx: SourceContext) -> list[WireItem]:
    """Every text item of a ninjs document; ParseError naming the source otherwise."""
    if len(data) > MAX_INPUT:
        raise ParseError(f"{ctx.source}: ninjs input is larger than {MAX_INPUT} bytes")
    try:
        doc = json.loads(decode_bytes(data))
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"{ctx.source}: not valid JSON ({type(exc).__name__})") from exc
    raw_items = _unwrap(doc)
    if not raw_items:
        raise ParseError(f"{ctx.source}: JSON without a ninjs item")
    items: list[WireItem] = []
    for raw in raw_items[:MAX_ITEMS]:
        item = make_item(_read(raw), ctx, "ninjs")
        if item is not None:
            items.append(item)
    return items


def _unwrap(doc: Any) -> list[dict[str, Any]]:
    """The item objects of a document: itself, a list, or an API envelope."""
    if isinstance(doc, list):
        return [_lower(entry) for entry in doc if isinstance(entry, dict)]
    if not isinstance(doc, dict):
        return []
    top = _lower(doc)
    data = top.get("data")
    if isinstance(data, dict):
        # AP Media API: {"data": {"item": {...}}} or {"data": {"items": [{"item": {...}}]}}
        inner = _lower(data)
        if isinstance(inner.get("item"), dict):
            return [_lower(inner["item"])]
        if isinstance(inner.get("items"), list):
            found = []
            for entry in inner["items"]:
                if isinstance(entry, dict):
                    wrapped = _lower(entry)
                    inner_item = wrapped.get("item")
                    found.append(_lower(inner_item) if isinstance(inner_item, dict) else wrapped)
            return found
    if isinstance(top.get("items"), list) and not _is_item(top):
        return [_lower(entry) for entry in top["items"] if isinstance(entry, dict)]
    return [top] if _is_item(top) else []


def _is_item(item: Mapping[str, Any]) -> bool:
    return any(
        key in item
        for key in ("uri", "guid", "headline", "headlines", "body_text", "body_html", "bodies")
    )


def _lower(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Keys lower-cased and underscores kept: 3.0 ``versionCreated`` == 1.x ``versioncreated``."""
    return {str(key).lower(): value for key, value in obj.items()}


def _read(item: dict[str, Any]) -> Story:
    title = _headline(item)
    body = _body(item)
    take = read_take(title)
    version = to_int(item.get("version"), 0) or take.version
    status = _str(item.get("pubstatus"))
    kill = is_kill_status(status) or starts_with_kill(title)
    uri = _str(item.get("uri")) or _str(item.get("guid"))
    # API addresses carry access tokens in their query: never in an id.
    uri = uri.partition("?")[0] if uri else None
    return Story(
        title=title,
        body=body,
        guid=uri,
        version=version,
        published=first_date(
            _str(item.get("versioncreated")),
            _str(item.get("firstcreated")),
            _str(item.get("contentcreated")),
        ),
        language=_str(item.get("language")),
        agency=agency_name(
            _str(item.get("source")),
            _str(item.get("provider")),
            _name(item.get("infosources")),
            _str(item.get("copyrightholder")),
        ),
        publisher=agency_name(_str(item.get("provider")), _str(item.get("copyrightholder"))),
        place=_place(item),
        url=_url(item, uri),
        kill=kill,
        slug=_str(item.get("slugline")),
    )


def _headline(item: Mapping[str, Any]) -> str:
    headline = _str(item.get("headline"))
    if headline:
        return headline
    headlines = [h for h in _list(item.get("headlines")) if isinstance(h, dict)]
    for entry in headlines:
        role = str(entry.get("role") or "main").lower()
        if role in ("main", "headline", "default") and _str(entry.get("value")):
            return _str(entry.get("value")) or ""
    return next((_str(h.get("value")) or "" for h in headlines if _str(h.get("value"))), "")


# Renditions of the body, best first: markup keeps paragraphs, plain text may not.
_BODY_KEYS = ("body_html", "body_xhtml", "body_text")
_BODY_ROLES = ("html", "html5", "xhtml", "richhtml5", "text", "plain", "main", "default")


def _body(item: Mapping[str, Any]) -> str:
    for key in _BODY_KEYS:
        value = _str(item.get(key))
        if value:
            return _as_text(value, plain=key == "body_text")
    bodies = [b for b in _list(item.get("bodies")) if isinstance(b, dict) and _str(b.get("value"))]
    for role in _BODY_ROLES:
        for entry in bodies:
            if str(entry.get("role") or "").lower() == role:
                kind = str(entry.get("contenttype") or entry.get("contentType") or "").lower()
                return _as_text(
                    str(entry["value"]), plain="html" not in kind and "html" not in role
                )
    for key in ("description_html", "description_text"):
        value = _str(item.get(key))
        if value:
            return _as_text(value, plain=key == "description_text")
    descriptions = [d for d in _list(item.get("descriptions")) if isinstance(d, dict)]
    for entry in descriptions:
        value = _str(entry.get("value"))
        if value:
            kind = str(entry.get("contenttype") or entry.get("contentType") or "").lower()
            return _as_text(value, plain="html" not in kind)
    return ""


def _as_text(value: str, *, plain: bool) -> str:
    if plain:
        # Plain text: escape it so the HTML step only cleans, never eats "<3".
        value = html.escape(value, quote=False).replace("\n", "<br>")
    return markup_text(value)


def _place(item: Mapping[str, Any]) -> str | None:
    located = item.get("located")
    if isinstance(located, str) and located.strip():
        return located.strip()
    if isinstance(located, dict):
        return _str(located.get("name"))
    return None


def _url(item: Mapping[str, Any], uri: str | None) -> str | None:
    for link in _list(item.get("links")):
        if isinstance(link, dict) and str(link.get("rel") or "").rpartition(":")[2].lower() in (
            "canonical",
            "self",
            "alternate",
        ):
            href = _str(link.get("href"))
            if href:
                return href
    # A web address as the uri is the item's page; API addresses carry tokens in the query.
    if uri and uri.lower().startswith(("http://", "https://")) and "?" not in uri:
        return uri
    return None


def _list(value: Any) -> list[Any]:
    """``value`` if it is a list: hostile documents put anything anywhere."""
    return value if isinstance(value, list) else []


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        for entry in value:
            if isinstance(entry, dict) and _str(entry.get("name")):
                return _str(entry.get("name"))
    return None


def _str(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    return value.strip() or None
