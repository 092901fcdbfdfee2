"""What the history commands print: text for a reader, JSON for a program.

Pure: no I/O, no clock (``now`` is passed in). Feed text (titles, outlets, quotes) is
made one clean line (``render.clean_line``) before it reaches a terminal.

Gone quiet (``monitor feeds status``): a feed's usual gap is the median time between
its consecutive stored items; it has gone quiet when nothing came for more than
``QUIET_FACTOR`` times that gap. A feed needs ``QUIET_MIN_ITEMS`` items before it has
a rhythm to judge.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.alerts.render import clean_line, headline
from monitor.history.backtest import Comparison
from monitor.history.readers import Counts
from monitor.history.records import StoredAlert
from monitor.model import Alert

__all__ = [
    "QUIET_FACTOR",
    "QUIET_MIN_ITEMS",
    "FeedStatus",
    "alert_json",
    "alert_row",
    "alert_show",
    "backtest_json",
    "backtest_text",
    "duration_text",
    "feed_status",
    "feeds_text",
    "stats_json",
    "stats_text",
]

QUIET_FACTOR = 4.0
QUIET_MIN_ITEMS = 5
_RATE_DAYS = 7


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.3g}s"


# --- alerts ------------------------------------------------------------------------
def alert_row(stored: StoredAlert) -> str:
    """One line of ``alerts list --watchlist/--since``: id, watchlist, created, headline."""
    alert = stored.alert
    return "\t".join([alert.id, alert.watchlist, _when(stored.created_at), headline(alert)])


def alert_json(stored: StoredAlert, also: Sequence[str] = ()) -> dict[str, Any]:
    """The alert (its message: id, item, topics, speakers, hits with snippets, sources),
    when it was raised, its delivery attempts and the outlets that also carried it."""
    return {
        **stored.alert.to_message(),
        "created_at": _when(stored.created_at),
        "deliveries": [
            {
                "channel": d.channel,
                "series": d.series or 0,
                "attempt": d.attempt,
                "at": _when(d.at),
                "status": d.status,
                "detail": d.detail,
            }
            for d in stored.deliveries
        ],
        "also_carried_by": list(also),
    }


def also_carried_by(alert: Alert, story_outlets: Sequence[str]) -> list[str]:
    """The story's outlets other than the one the alert shows: those the alert gathered,
    then any other stored item of the story carried."""
    first = alert.sources[0] if alert.sources else ""
    outlets = dict.fromkeys([*alert.sources, *story_outlets])
    return [outlet for outlet in outlets if outlet != first]


def alert_show(stored: StoredAlert, also: Sequence[str]) -> str:
    """``monitor alerts show ID`` for a reader."""
    alert = stored.alert
    item = alert.item
    lines = [
        f"alert {alert.id}",
        f"  watchlist: {clean_line(alert.watchlist)}",
        f"  raised:    {_when(stored.created_at)}"
        + (f" (update {alert.update})" if alert.update else ""),
        f"  headline:  {headline(alert)}",
        f"  outlet:    {clean_line(alert.sources[0]) if alert.sources else '-'}",
        f"  item:      {clean_line(item.id)} ({item.language or '?'}, "
        f"{item.published or 'no date'})",
    ]
    if item.url:
        lines.append(f"  url:       {clean_line(item.url)}")
    lines.append(f"  topics:    {', '.join(alert.topics) or '-'}")
    hits = [
        f"{clean_line(h.topic or h.speaker or '?')} in {h.field} [{h.start}:{h.end}] "
        f"{clean_line(h.text)!r}: {clean_line(h.snippet)}"
        for h in alert.hits
    ]
    speakers = [
        f"{clean_line(s.name)} ({s.role})" + (f': "{clean_line(s.quote)}"' if s.quote else "")
        for s in alert.speakers
    ]
    attempts = [
        f"{_when(d.at)} {d.channel}"
        + (f" retry {d.series}" if d.series else "")
        + f" attempt {d.attempt}: {d.status}"
        + (f" {clean_line(d.detail)}" if d.detail else "")
        for d in stored.deliveries
    ]
    for title, entries, empty in (
        ("evidence", hits, "(no hits stored)"),
        ("speakers", speakers, "-"),
        ("deliveries", attempts, "(none recorded)"),
    ):
        lines.append(f"{title}:")
        lines.extend(f"  {entry}" for entry in entries or [empty])
    lines.append("also carried by: " + (", ".join(clean_line(o) for o in also) or "-"))
    return "\n".join(lines)


# --- backtest ----------------------------------------------------------------------
def _alert_brief(alert: Alert) -> dict[str, Any]:
    return {
        "watchlist": alert.watchlist,
        "item": alert.item.id,
        "headline": alert.item.title,
        "language": alert.item.language,
        "feed": alert.item.feed_id,
        "at": alert.created_at,
        "topics": list(alert.topics),
    }


def backtest_json(comparison: Comparison, baseline: str) -> dict[str, Any]:
    """The backtest as one JSON object: counts, every would-be alert, added, removed."""
    run = comparison.candidate
    return {
        "items": run.items,
        "matches": run.matches,
        "alerts": [_alert_brief(a) for a in run.alerts],
        "baseline": baseline,
        "baseline_alerts": len(comparison.baseline.alerts),
        "added": [_alert_brief(a) for a in comparison.added],
        "removed": [_alert_brief(a) for a in comparison.removed],
    }


def _alert_line(sign: str, alert: Alert) -> str:
    return f"{sign} {clean_line(alert.watchlist)}\t{alert.created_at}\t{headline(alert)}"


def backtest_text(comparison: Comparison, baseline: str) -> str:
    """The backtest for a reader: what would have alerted, then the changes."""
    run = comparison.candidate
    lines = [
        f"backtest: {run.items} items, {run.matches} matches, {len(run.alerts)} alerts "
        "(nothing sent)"
    ]
    lines.extend(_alert_line(" ", alert) for alert in run.alerts)
    lines.append(
        f"against {baseline} ({len(comparison.baseline.alerts)} alerts): "
        f"{len(comparison.added)} added, {len(comparison.removed)} removed"
    )
    lines.extend(_alert_line("+", alert) for alert in comparison.added)
    lines.extend(_alert_line("-", alert) for alert in comparison.removed)
    return "\n".join(lines)


# --- stats -------------------------------------------------------------------------
def stats_json(found: Mapping[str, Mapping[str, Counts]]) -> dict[str, Any]:
    return {
        dimension: {
            name: {"items": c.items, "matches": c.matches, "alerts": c.alerts}
            for name, c in names.items()
        }
        for dimension, names in found.items()
    }


def stats_text(found: Mapping[str, Mapping[str, Counts]], since: str | None) -> str:
    """A table per watchlist, feed and language (watchlists count no items)."""
    lines = [f"since {since}" if since else "all of the history"]
    for dimension, names in found.items():
        lines.append("")
        lines.append(f"{dimension.upper()}\tITEMS\tMATCHES\tALERTS")
        for name, c in names.items():
            number = "-" if dimension == "watchlist" else str(c.items)
            lines.append(f"{clean_line(name)}\t{number}\t{c.matches}\t{c.alerts}")
        if not names:
            lines.append("(none)")
    return "\n".join(lines)


# --- feeds status ------------------------------------------------------------------
@dataclass(frozen=True)
class FeedStatus:
    """One feed's health: from the config, the state store and the history."""

    feed_id: str
    configured: bool
    last_success: datetime | None  # last successful poll (state store)
    last_error: str | None
    error_streak: int
    interval: float | None  # current poll interval, seconds
    items: int
    per_day: float  # items seen per day over the last week
    last_item: datetime | None
    usual_gap: float | None  # median seconds between items
    quiet: bool


def feed_status(
    feed_id: str,
    times: Sequence[datetime],
    *,
    now: datetime,
    configured: bool,
    last_success: datetime | None = None,
    last_error: str | None = None,
    error_streak: int = 0,
    interval: float | None = None,
) -> FeedStatus:
    """A feed's status from its item times (oldest first) and its runtime state."""
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    usual = statistics.median(gaps) if len(times) >= QUIET_MIN_ITEMS else None
    last = times[-1] if times else None
    quiet = (
        usual is not None
        and last is not None
        and (now - last).total_seconds() > QUIET_FACTOR * max(usual, 1.0)
    )
    week = now - timedelta(days=_RATE_DAYS)
    recent = sum(1 for moment in times if moment >= week)
    return FeedStatus(
        feed_id,
        configured,
        last_success,
        last_error,
        error_streak,
        interval,
        len(times),
        recent / _RATE_DAYS,
        last,
        usual,
        quiet,
    )


FEEDS_HEADER = (
    "FEED", "LAST_SUCCESS", "LAST_ERROR", "STREAK", "INTERVAL", "ITEMS/DAY", "LAST_ITEM",
    "USUAL_GAP", "STATE",
)  # fmt: skip


def feeds_text(statuses: Sequence[FeedStatus]) -> str:
    lines = ["\t".join(FEEDS_HEADER)]
    for s in statuses:
        state = "quiet" if s.quiet else "ok"
        if s.error_streak:
            state = "failing"
        if not s.configured:
            state += " (not in config)"
        lines.append(
            "\t".join(
                [
                    clean_line(s.feed_id),
                    _when(s.last_success),
                    clean_line(s.last_error) or "-",
                    str(s.error_streak),
                    duration_text(s.interval),
                    f"{s.per_day:.1f}",
                    _when(s.last_item),
                    duration_text(s.usual_gap),
                    state,
                ]
            )
        )
    return "\n".join(lines)


def feed_json(s: FeedStatus) -> dict[str, Any]:
    return {
        "feed": s.feed_id,
        "configured": s.configured,
        "last_success": None if s.last_success is None else _when(s.last_success),
        "last_error": s.last_error,
        "error_streak": s.error_streak,
        "interval": s.interval,
        "items": s.items,
        "items_per_day": round(s.per_day, 2),
        "last_item": None if s.last_item is None else _when(s.last_item),
        "usual_gap": s.usual_gap,
        "quiet": s.quiet,
    }
