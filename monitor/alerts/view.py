"""What every alert renderer shows (email, chat, console), worked out once per alert.

Pure. All strings are one clean line of feed text, not yet escaped: each renderer
escapes for its medium. Highlighting is ``monitor.alerts.highlight``'s; quotation marks
and directions are ``monitor.alerts.script``'s.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from monitor.alerts.highlight import (
    Passage,
    Segment,
    Span,
    line_segments,
    passages,
    spans_in_part,
    valid_spans,
)
from monitor.alerts.oneline import clean_line
from monitor.alerts.script import Direction, direction, quote_language, quote_marks
from monitor.model import Alert, Hit, SpeakerMatch, WireItem

# passages shown in a message (the email's hit list shows every hit)
MAX_PASSAGES = 5
SNIPPET_RADIUS = 80


def headline(alert: Alert) -> str:
    return clean_line(alert.item.title) or "(no title)"


def outlets(alert: Alert) -> tuple[str, list[str]]:
    """The outlet of the item shown (``sources[0]``) and the others that carried it too,
    each one clean line; ``""`` when the alert names none."""
    first, *also = alert.sources or ("",)
    return clean_line(first), [clean_line(source) for source in also]


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s) with a host, else None (no javascript:, data:, ...)."""
    if not url:
        return None
    url = url.strip()
    if any(unicodedata.category(ch) in ("Cc", "Cs") or ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def alert_page_url(public_url: str | None, alert_id: str) -> str | None:
    """``{public_url}/alerts/{alert_id}``: the alert's page in ``monitor web``; None
    without ``settings.public_url``."""
    if not public_url:
        return None
    return f"{public_url.rstrip('/')}/alerts/{quote(alert_id, safe='')}"


def snippet_text(item: WireItem, hit: Hit) -> str:
    """The text around a hit in its item, on one line, with ellipses where cut."""
    text = getattr(item, hit.field, "") or ""
    start = max(0, hit.start - SNIPPET_RADIUS)
    end = min(len(text), hit.end + SNIPPET_RADIUS)
    core = clean_line(text[start:end]) or clean_line(hit.text)
    return ("…" if start > 0 else "") + core + ("…" if end < len(text) else "")


@dataclass(frozen=True)
class Quote:
    """A speaker, with their quote (if any) and the marks and direction it is shown in."""

    name: str
    role: str
    text: str
    segments: tuple[Segment, ...]  # the quote with the item's hits inside it marked
    language: str | None
    opening: str
    closing: str
    direction: Direction


@dataclass(frozen=True)
class HitRow:
    """The hits of one term with one matched text, as the full hit list shows them."""

    label: str
    text: str
    places: tuple[str, ...]  # "title 0–6", "body 352–358, 2098–2104": by field, in order
    direction: Direction


@dataclass(frozen=True)
class AlertView:
    """Everything an alert message shows, as clean lines (not yet escaped)."""

    alert_id: str
    watchlist: str
    headline: str
    title: tuple[Segment, ...]  # the headline with the title's hits marked
    title_direction: Direction
    source: str
    meta: list[tuple[str, str]]  # agency, publisher, times, language, place
    byline: list[tuple[str, str]]  # the source (unless meta names it already), then meta
    topics: list[str]
    speakers: list[Quote]
    passages: list[Passage]  # at most MAX_PASSAGES
    more_passages: int
    hits: list[HitRow]  # every hit, grouped by term and text
    hit_total: int
    hit_counts: list[tuple[str, int]]  # label -> hits, most first
    url: str | None
    alert_url: str | None
    also: list[str]
    language: str | None


def _quote(speaker: SpeakerMatch, item: WireItem, hits: tuple[Hit, ...]) -> Quote:
    raw = speaker.quote or ""
    spans: list[Span] = []
    for field in ("title", "body"):
        spans = spans or spans_in_part(raw, getattr(item, field) or "", field, hits)
    text = clean_line(raw)
    language = quote_language(text, item.language) if text else None
    opening, closing = quote_marks(language)
    return Quote(
        name=clean_line(speaker.name),
        role=speaker.role,
        text=text,
        segments=line_segments(raw, spans),
        language=language,
        opening=opening,
        closing=closing,
        direction=direction(text),
    )


def _hit_rows(hits: tuple[Hit, ...]) -> list[HitRow]:
    """Every hit, those of one term with the same text on one row, rows in first-seen order."""
    places: dict[tuple[str, str], dict[str, list[str]]] = {}
    for hit in hits:
        key = (clean_line(hit.topic or hit.speaker or hit.text), clean_line(hit.text))
        fields = places.setdefault(key, {})
        fields.setdefault(hit.field, []).append(f"{hit.start}–{hit.end}")
    return [
        HitRow(
            label=label,
            text=text,
            places=tuple(f"{name} {', '.join(spans)}" for name, spans in fields.items()),
            direction=direction(text),
        )
        for (label, text), fields in places.items()
    ]


def when(published: str | None) -> str:
    """An ISO 8601 date or time as a reader wants it: ``12 Jan 2022``, ``12 Jan 2022
    10:41 UTC``; anything else as it came (one clean line)."""
    text = clean_line(published)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    day = f"{moment.day} {moment:%b %Y}"
    if len(text) <= 10:  # a date only
        return day
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
        return f"{day} {moment:%H:%M} UTC"
    return f"{day} {moment:%H:%M}"


def alert_view(alert: Alert, public_url: str | None = None) -> AlertView:
    """The view of ``alert``; ``public_url`` (``settings.public_url``) adds its page link."""
    item = alert.item
    title = item.title or ""
    title_hits = [hit for hit in alert.hits if hit.field == "title"]
    title_segments = line_segments(title, valid_spans(title, title_hits)) or (
        Segment("(no title)"),
    )
    shown = passages(item.body or "", "body", alert.hits)
    meta = [
        ("Agency", item.agency),
        ("Publisher", item.publisher),
        ("Published", when(item.published)),
        ("Language", item.language),
        ("Place", item.place),
        ("Alerted", when(alert.created_at)),
    ]
    shown_meta = {label: clean_line(value) for label, value in meta if clean_line(value)}
    counts = Counter(clean_line(h.topic or h.speaker or h.text) for h in alert.hits)
    source, also = outlets(alert)
    return AlertView(
        alert_id=alert.id,
        watchlist=clean_line(alert.watchlist),
        headline=headline(alert),
        title=title_segments,
        title_direction=direction(headline(alert)),
        source=source,
        meta=list(shown_meta.items()),
        byline=([] if source in ("", *shown_meta.values()) else [("Source", source)])
        + list(shown_meta.items()),
        topics=[clean_line(t) for t in alert.topics],
        speakers=[_quote(speaker, item, alert.hits) for speaker in alert.speakers],
        passages=shown[:MAX_PASSAGES],
        more_passages=max(0, len(shown) - MAX_PASSAGES),
        hits=_hit_rows(alert.hits),
        hit_total=len(alert.hits),
        hit_counts=counts.most_common(),
        url=safe_url(item.url),
        alert_url=alert_page_url(public_url, alert.id),
        also=also,
        language=clean_line(item.language) or None,
    )
