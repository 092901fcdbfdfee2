"""What the history's readers return: plain frozen dataclasses, no I/O."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.model import Alert, DeliveryResult, Match, WireItem


@dataclass(frozen=True)
class HistoryBatch:
    """What one transaction writes: items seen, their matches (``(item_id, match)``),
    alerts (new or updated: the highest ``update`` wins), delivery results (one
    row per alert, channel and attempt) and additions to stored alerts' stories."""

    items: tuple[WireItem, ...] = ()
    matches: tuple[tuple[str, Match], ...] = ()
    alerts: tuple[Alert, ...] = ()
    deliveries: tuple[DeliveryAttempt, ...] = ()
    additions: tuple[StoryAddition, ...] = ()


@dataclass(frozen=True)
class StoryAddition:
    """Outlets that carried an alert's story since (``StoryRecord``): its stored alert
    gets them, with the update count, if that is newer than what it holds."""

    alert_id: str
    sources: tuple[str, ...]
    update: int


@dataclass(frozen=True)
class DeliveryAttempt:
    """One attempt to send one alert to one channel. ``at`` is UTC.

    ``series`` counts the series of attempts: 0 for the delivery as decided, then one
    more for each ``monitor alerts retry`` of it, whose attempts are numbered from 1
    again. A runner does not know it (None): the history writes the attempt in the
    newest series it holds for that alert and channel. ``retried`` marks the attempt
    ``alerts retry`` made: it opens the next series."""

    alert_id: str
    channel: str
    attempt: int
    status: str  # sent, retry, dead, held
    at: datetime
    detail: str = ""
    series: int | None = None
    retried: bool = False

    def to_dict(self) -> dict[str, Any]:
        """As JSON (a task argument); ``from_dict`` reads it back. ``series`` and
        ``retried`` only when set: a worker of an earlier release reads the rest."""
        data = {**dataclasses.asdict(self), "at": self.at.isoformat()}
        if self.series is None:
            del data["series"]
        if not self.retried:
            del data["retried"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeliveryAttempt:
        return cls(**{**data, "at": datetime.fromisoformat(data["at"])})

    @classmethod
    def from_result(
        cls, result: DeliveryResult, at: datetime, *, retried: bool = False
    ) -> DeliveryAttempt:
        """The attempt a channel's ``DeliveryResult`` reports (its ``attempts``-th)."""
        return cls(
            result.alert_id,
            result.channel,
            result.attempts,
            result.status,
            at,
            result.detail,
            retried=retried,
        )


@dataclass(frozen=True)
class StoredItem:
    """An item as stored, with when the monitor first saw it (UTC)."""

    item: WireItem
    seen_at: datetime


@dataclass(frozen=True)
class StoredAlert:
    """An alert with its evidence (in ``alert``) and every delivery attempt, oldest
    first (``alerts list`` leaves them out)."""

    alert: Alert
    created_at: datetime
    deliveries: tuple[DeliveryAttempt, ...] = ()


@dataclass(frozen=True)
class FeedStats:
    """One feed's items over a period (``feed_id`` None: local files, pushed items)."""

    feed_id: str | None
    items: int
    matched: int  # items that matched at least one watchlist
    alerts: int
    first_seen: datetime
    last_seen: datetime
