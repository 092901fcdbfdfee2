"""What the pages show of an alert, an item and its evidence: plain data built from
the history's records, feed text made inert (``highlight.visible``). Pure, no I/O.

(The API's alerts and feeds are ``monitor.history.report``'s JSON, as the commands
print them; ``match_json`` is a match's evidence as ``monitor match`` prints it.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.alerts.render import safe_url
from monitor.history.records import StoredAlert
from monitor.history.report import also_carried_by
from monitor.model import Hit, Match, SpeakerMatch, WireItem
from monitor.web.highlight import Segment, segments, visible

__all__ = [
    "AlertRow",
    "Evidence",
    "ItemView",
    "alert_row",
    "evidence",
    "item_view",
    "list_version",
    "match_json",
    "when",
]


def when(moment: datetime | None) -> str:
    """A UTC time to the minute, as the pages show it."""
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class AlertRow:
    """One line of the alerts page."""

    id: str
    watchlist: str
    created_at: datetime
    headline: str
    language: str | None
    feed: str | None
    source: str
    also: tuple[str, ...]
    topics: tuple[str, ...]
    speakers: tuple[SpeakerMatch, ...]
    update: int


def alert_row(stored: StoredAlert, outlets: Sequence[str] = ()) -> AlertRow:
    alert = stored.alert
    first = alert.sources[0] if alert.sources else alert.item.publisher or alert.item.source
    return AlertRow(
        id=alert.id,
        watchlist=alert.watchlist,
        created_at=stored.created_at,
        headline=visible(alert.item.title) or "(no title)",
        language=alert.item.language,
        feed=alert.item.feed_id,
        source=visible(first),
        also=tuple(visible(o) for o in also_carried_by(alert, outlets)),
        topics=alert.topics,
        speakers=alert.speakers,
        update=alert.update,
    )


def list_version(rows: Sequence[AlertRow]) -> str:
    """Changes when the page's alerts change (a new one, more outlets): the live list
    asks with the version it shows and gets nothing back while it holds."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"{row.id}\0{row.update}\0".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class ItemView:
    """An item's headline and body cut into plain and marked pieces."""

    item: WireItem
    title: list[Segment]
    body: list[Segment]
    url: str | None
    hits: tuple[Hit, ...]


def item_view(item: WireItem, hits: Sequence[Hit], *, anchors: bool = False) -> ItemView:
    """``anchors``: marks carry ids (one item on the page) for the evidence to link to."""
    return ItemView(
        item=item,
        title=segments(item.title, hits, "title", anchors=anchors),
        body=segments(item.body, hits, "body", anchors=anchors),
        url=safe_url(item.url),
        hits=tuple(hits),
    )


@dataclass(frozen=True)
class Evidence:
    """The hits of one term as it was written in the text: where, how often."""

    label: str  # the topic or speaker
    text: str
    places: tuple[tuple[str, int], ...]  # (field, start), in reading order


def evidence(hits: Sequence[Hit]) -> list[Evidence]:
    """Hits grouped by topic or speaker and the words matched, headline first."""
    groups: dict[tuple[str, str], list[tuple[str, int]]] = {}
    order = {"title": 0, "body": 1}
    for hit in sorted(hits, key=lambda h: (order.get(h.field, 2), h.start)):
        label = hit.topic or hit.speaker or hit.text
        groups.setdefault((label, visible(hit.text)), []).append((hit.field, hit.start))
    return [Evidence(label, text, tuple(places)) for (label, text), places in groups.items()]


def match_json(match: Match) -> dict[str, Any]:
    """A match as ``monitor match`` prints its evidence."""
    return {
        "watchlist": match.watchlist,
        "topics": list(match.topics),
        "speakers": [s.to_dict() for s in match.speakers],
        "hits": [h.to_dict() for h in match.hits],
    }
