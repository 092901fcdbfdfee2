"""Ritzau XMLNews ("queued news") responses to WireItems.

Owns the vocabulary of the Danish agency's XMLNews service: a SOAP-style
``XMLNewsQueuedResponse`` (namespace ``http://tempuri.org/``, also bare or in a
SOAP ``Envelope``) whose ``ListOfRBNews`` holds one ``RBNews`` per story. Read
per story: ``headline`` (the title), ``subtitle`` (first paragraph of the
body), ``content`` (escaped HTML: its text is the body), ``town`` (the
dateline place), ``PublishDate`` (Copenhagen local time unless it carries a
zone), ``NewsID`` + ``version`` (item id), ``replacedID``/``Replaces`` (the
story a new version replaces: its story id), ``NyVersion``/``Korrektion``
(at least a second version), ``Annuleret`` (a kill), ``TilRedaktionen`` (the
note to editors, read for kill notices). Ritzau escapes entities twice
(``&amp;apos;``); the shared text helpers decode them. The notice under a
press release relayed for a third party is furniture (``furniture``). ``Priority``,
``Topstory``, ``InfoFlash``, ``strapline`` and the byline have no place in a
WireItem and are not read. A response with ``error`` set and no story is a
ParseError; an empty queue is ``[]``. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from monitor.errors import ParseError
from monitor.model import WireItem
from monitor.sources.context import SourceContext
from monitor.sources.identity import ID_MAX
from monitor.sources.takes import read_take, says_kill, starts_with_kill
from monitor.sources.wirefmt import (
    MAX_ITEMS,
    Story,
    XmlElement,
    attr,
    child,
    descendants,
    local,
    make_item,
    markup_text,
    parse_datetime,
    parse_xml,
    plain,
    tidy,
    to_int,
)
from monitor.sources.xmlsafe import sniff_root

# The canonical name in dateline's agency table, so a Ritzau item carries the same
# agency as a feed item whose dateline says "(ritzau)" or a NewsML item from "Ritzaus Bureau".
AGENCY = "Ritzau"
# XMLNewsQueuedResponse, XMLNewsQueuedResult, XMLNewsResponse ... and the item list.
_RESPONSE = re.compile(r"^xmlnews\w*(?:response|result)$")
_LIST_ROOTS = frozenset({"listofrbnews", "rbnews"})
_IN_ENVELOPE = re.compile(rb"<(?:[\w.-]+:)?(?:XMLNews\w*Response|ListOfRBNews|RBNews)[\s>/]")
# An item is complete when its end tag arrived; a cut response leaves the last one open.
_ITEM_END = re.compile(rb"</(?:[\w.-]+:)?RBNews\s*>|<(?:[\w.-]+:)?RBNews\s*/>")
_ZONE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})\s*$", re.I)
_SIGN_OFF = re.compile(r"\s*/\s*ritzau\s*/\s*$", re.I)
_TRUE = frozenset({"true", "1", "yes"})


def looks_like_ritzau(data: bytes) -> bool:
    """True when the document element is a Ritzau XMLNews response, its item list,
    or a SOAP envelope carrying one (looked for in the first few KB, no parse)."""
    root = sniff_root(data)
    if root is None:
        return False
    name, head, end = root
    if _RESPONSE.match(name) or name in _LIST_ROOTS:
        return True
    return name == "envelope" and bool(_IN_ENVELOPE.search(head, end))


def parse_ritzau(data: bytes, ctx: SourceContext) -> list[WireItem]:
    """Every story of a Ritzau XMLNews response; ParseError naming the source if
    it is not one, or if it was cut before its first story ended."""
    root = parse_xml(data, ctx, "Ritzau XMLNews")
    name = local(root)
    if not (_RESPONSE.match(name) or name in _LIST_ROOTS or name == "envelope"):
        raise ParseError(f"{ctx.source}: not a Ritzau XMLNews response (root <{name}>)")
    news = [root] if name == "rbnews" else descendants(root, "rbnews")
    if name == "envelope" and not news and not any(_RESPONSE.match(local(n)) for n in root.iter()):
        raise ParseError(f"{ctx.source}: not a Ritzau XMLNews response (SOAP envelope)")
    markup = data.replace(b"\x00", b"") if b"\x00" in data[:4] else data  # UTF-16/32
    complete = len(_ITEM_END.findall(markup))
    if len(news) > complete:
        # lxml's recovery closes what a cut response left open: half a story.
        ctx.warnings.append(
            f"{ctx.source}: Ritzau XMLNews response is cut off;"
            f" dropped {len(news) - complete} unfinished item(s)"
        )
        news = news[:complete]
        if not news:
            raise ParseError(
                f"{ctx.source}: Ritzau XMLNews response is cut off before its first item"
            )
    if not news:
        error = to_int(plain(next(iter(descendants(root, "error")), None)), 0)
        if error:
            message = plain(next(iter(descendants(root, "errormsg")), None))[:200]
            raise ParseError(
                f"{ctx.source}: Ritzau XMLNews error {error}: {message or 'no message'}"
            )
        return []
    if len(news) > MAX_ITEMS:
        ctx.warnings.append(f"{ctx.source}: {len(news)} items; kept {MAX_ITEMS}")
    results: list[WireItem] = []
    for element in news[:MAX_ITEMS]:
        item = _item(element, ctx)
        if item is not None:
            results.append(item)
    return results


def _item(news: XmlElement, ctx: SourceContext) -> WireItem | None:
    title = plain(child(news, "headline"))
    subtitle = tidy(plain(child(news, "subtitle")))
    content = child(news, "content")
    text = markup_text(content.text or "") if content is not None and not _nil(content) else ""
    text = _SIGN_OFF.sub("", text)
    body = "\n\n".join(part for part in (subtitle, text) if part)
    news_id = _value(news, "newsid")
    replaced = _value(news, "replacedid") or _value(news, "replaces")
    version = to_int(_value(news, "version"), 0) or read_take(title).version
    if _flag(news, "nyversion") or _flag(news, "korrektion") or replaced:
        version = max(version, 2)
    note = plain(child(news, "tilredaktionen"))
    kill = _flag(news, "annuleret") or starts_with_kill(title) or says_kill(note)
    story = Story(
        title=title,
        body=body,
        guid=news_id or None,
        version=version,
        published=_published(_value(news, "publishdate")),
        agency=AGENCY,
        place=_value(news, "town") or None,
        kill=kill,
        slug=None if news_id else (_value(news, "strapline") or None),
    )
    item = make_item(story, ctx, "ritzau")
    if item is None or not replaced:
        return item
    # A new version names the story it replaces: that id keeps the story one.
    return replace(item, story_id=" ".join(replaced.split())[: ID_MAX - 40])


def _nil(element: XmlElement) -> bool:
    return (attr(element, "nil") or "").lower() == "true"


def _value(news: XmlElement, name: str) -> str:
    element = child(news, name)
    if element is None or _nil(element):
        return ""
    return plain(element)


def _flag(news: XmlElement, name: str) -> bool:
    return _value(news, name).lower() in _TRUE


def _published(value: str) -> datetime | None:
    """``PublishDate`` in UTC: Ritzau writes Copenhagen wall-clock time without a zone."""
    moment = parse_datetime(value)
    if moment is None or _ZONE.search(value):
        return moment
    return copenhagen_to_utc(moment.replace(tzinfo=None))


def copenhagen_to_utc(local_time: datetime) -> datetime | None:
    """Danish wall-clock time (CET, CEST under the EU summer-time rule) as UTC."""
    year = local_time.year
    summer_start = datetime.combine(_last_sunday(year, 3), datetime.min.time()) + timedelta(hours=1)
    summer_end = datetime.combine(_last_sunday(year, 10), datetime.min.time()) + timedelta(hours=1)
    try:
        as_summer = local_time - timedelta(hours=2)  # both bounds are 01:00 UTC
        offset = 2 if summer_start <= as_summer < summer_end else 1
        return (local_time - timedelta(hours=offset)).replace(tzinfo=UTC)
    except OverflowError:  # 0001-01-01T00:30
        return None


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)
