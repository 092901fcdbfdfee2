"""A page of alerts under filters, newest first: what the web console lists.

Does I/O (SQL through the ``History``'s engine). A page is read with keyset
pagination on ``(created_at, id)``: the ``ix_alerts_created_at`` index walks the
alerts newest first and ``LIMIT`` stops it after one page, so the page costs the same
over 100 alerts or 100,000. Feed and language are the alert's item's (a join on the
items' unique id); a speaker filter keeps the alerts whose evidence names the speaker
as the config spells the name (a text match on the stored message narrows the rows, the
decoded alert decides).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from monitor.history.records import StoredAlert
from monitor.history.store import History, _aware, utc_naive
from monitor.history.tables import alerts, items
from monitor.model import Alert

__all__ = [
    "AlertFilters",
    "AlertPage",
    "alert_page",
    "alerts_of_items",
    "cursor_of",
    "parse_cursor",
]

PAGE_SIZE = 50
_SPEAKER_SCAN = 200  # rows read per round when the speaker filter drops some


@dataclass(frozen=True)
class AlertFilters:
    """What the alerts page shows: each filter None for any."""

    watchlist: str | None = None
    feed: str | None = None
    language: str | None = None
    speaker: str | None = None
    since: datetime | None = None  # aware UTC
    before: tuple[datetime, str] | None = None  # the cursor: older than this alert


@dataclass(frozen=True)
class AlertPage:
    alerts: tuple[StoredAlert, ...]
    next_cursor: str | None  # the cursor of the page after this one; None: the last


def cursor_of(stored: StoredAlert) -> str:
    """A position after which the next page starts: the alert's time and id."""
    return f"{stored.created_at.isoformat()}|{stored.alert.id}"


def parse_cursor(text: str) -> tuple[datetime, str]:
    """``cursor_of``'s text back; ValueError for anything else."""
    moment, sep, alert_id = text.partition("|")
    if not sep or not alert_id:
        raise ValueError("bad cursor: expected TIME|ID")
    return utc_naive(datetime.fromisoformat(moment)), alert_id


def _speaks(alert: Alert, speaker: str) -> bool:
    return any(s.name == speaker for s in alert.speakers)


def _statement(filters: AlertFilters) -> sa.Select[tuple[str, object, datetime]]:
    statement = sa.select(alerts.c.id, alerts.c.message, alerts.c.created_at)
    if filters.feed is not None or filters.language is not None:
        statement = statement.join(items, items.c.id == alerts.c.item_id)
        if filters.feed is not None:
            statement = statement.where(items.c.feed_id == filters.feed)
        if filters.language is not None:
            statement = statement.where(items.c.language == filters.language)
    if filters.watchlist is not None:
        statement = statement.where(alerts.c.watchlist == filters.watchlist)
    if filters.since is not None:
        statement = statement.where(alerts.c.created_at >= utc_naive(filters.since))
    if filters.speaker is not None:
        # the speaker's entry as the stored JSON spells it (History writes JSON with
        # json.dumps' separators): a narrowing in SQL, ``_speaks`` decides
        spelled = '"name": ' + json.dumps(filters.speaker, ensure_ascii=False)
        pattern = "%" + spelled.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        text = sa.cast(alerts.c.message, sa.Text)
        statement = statement.where(text.like(pattern, escape="\\"))
    return statement.order_by(alerts.c.created_at.desc(), alerts.c.id.desc())


def _before(
    statement: sa.Select[tuple[str, object, datetime]], cursor: tuple[datetime, str]
) -> sa.Select[tuple[str, object, datetime]]:
    moment, alert_id = cursor
    # the first condition alone walks the created_at index; the second settles ties
    return statement.where(
        alerts.c.created_at <= moment,
        sa.or_(alerts.c.created_at < moment, alerts.c.id < alert_id),
    )


def alert_page(history: History, filters: AlertFilters, size: int = PAGE_SIZE) -> AlertPage:
    """One page of alerts (newest first) and the cursor of the next; deliveries left out."""
    base = _statement(filters)
    cursor = filters.before
    found: list[StoredAlert] = []
    more = False
    while True:
        statement = base if cursor is None else _before(base, cursor)
        want = size + 1 if filters.speaker is None else max(size + 1, _SPEAKER_SCAN)
        rows = history._read(statement.limit(want))
        for row in rows:
            stored = StoredAlert(Alert.from_message(row.message), _aware(row.created_at))
            if filters.speaker is not None and not _speaks(stored.alert, filters.speaker):
                continue
            if len(found) == size:
                more = True
                break
            found.append(stored)
        if more or len(rows) < want:
            break
        cursor = (utc_naive(rows[-1].created_at), rows[-1].id)
    return AlertPage(tuple(found), cursor_of(found[-1]) if more and found else None)


def alerts_of_items(history: History, item_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """The alerts each item raised, as ``(alert id, watchlist)``, by item id (the
    ``ix_alerts_item_id`` index finds them)."""
    found: dict[str, list[tuple[str, str]]] = {}
    if not item_ids:
        return found
    statement = (
        sa.select(alerts.c.item_id, alerts.c.id, alerts.c.watchlist)
        .where(alerts.c.item_id.in_(sorted(set(item_ids))))
        .order_by(alerts.c.watchlist)
    )
    for row in history._read(statement):
        found.setdefault(row.item_id, []).append((row.id, row.watchlist))
    return found
