"""The operators' questions to the history: items in replay order, counts per
watchlist/feed/language, a story's outlets, each feed's item times.

Does I/O (SQL through the ``History``'s engine); returns plain values. Times in and
out are UTC (aware out, naive in the tables).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from monitor.alerts.decide import item_source
from monitor.history.records import StoredItem
from monitor.history.store import History, _aware, _stored_item, utc_naive
from monitor.history.tables import alerts, items, matches

__all__ = [
    "Counts",
    "feed_item_times",
    "last_item_key",
    "replay_items",
    "stats",
    "story_outlets",
]

_CHUNK = 2000


def last_item_key(history: History) -> int:
    """The storage key of the newest item written (0: none): ``replay_items(up_to=)``
    then leaves out whatever is written after it."""
    return int(history._read(sa.select(sa.func.coalesce(sa.func.max(items.c.pk), 0)))[0][0])


def replay_items(
    history: History, *, since: datetime | None = None, up_to: int | None = None
) -> Iterator[StoredItem]:
    """Every stored item seen since ``since`` (and written no later than ``up_to``), in
    the order seen (oldest first), read a chunk at a time so 100,000 items never sit
    in memory at once."""
    statement = sa.select(items.c.data, items.c.title, items.c.body, items.c.seen_at)
    if since is not None:
        statement = statement.where(items.c.seen_at >= utc_naive(since))
    if up_to is not None:
        statement = statement.where(items.c.pk <= up_to)
    statement = statement.order_by(items.c.seen_at, items.c.pk)
    try:
        with history.engine.connect() as connection:
            result = connection.execution_options(yield_per=_CHUNK).execute(statement)
            for row in result:
                yield _stored_item(row)  # type: ignore[arg-type]
    except SQLAlchemyError as exc:
        raise history._fault(exc, "reading items") from None


def _rows(history: History, statement: sa.Executable) -> list[sa.Row[Any]]:
    return history._read(statement)


@dataclass(frozen=True)
class Counts:
    """Items, matches and alerts of one watchlist, feed or language."""

    items: int = 0
    matches: int = 0
    alerts: int = 0


def stats(history: History, *, since: datetime | None = None) -> dict[str, dict[str, Counts]]:
    """``{"watchlist": {...}, "feed": {...}, "language": {...}}``: counts per name
    (an item's feed or language unknown: ``"-"``; watchlists have no item count)."""
    cutoff = None if since is None else utc_naive(since)
    found: dict[str, dict[str, dict[str, int]]] = {
        "watchlist": defaultdict(lambda: defaultdict(int)),
        "feed": defaultdict(lambda: defaultdict(int)),
        "language": defaultdict(lambda: defaultdict(int)),
    }
    item_window = [] if cutoff is None else [items.c.seen_at >= cutoff]
    match_window = [] if cutoff is None else [matches.c.seen_at >= cutoff]
    alert_window = [] if cutoff is None else [alerts.c.created_at >= cutoff]
    for dimension, column in (("feed", items.c.feed_id), ("language", items.c.language)):
        counted = (
            (
                "items",
                sa.select(column.label("name"), sa.func.count().label("n")).where(*item_window),
            ),
            (
                "matches",
                sa.select(column.label("name"), sa.func.count().label("n"))
                .select_from(matches.join(items, items.c.id == matches.c.item_id))
                .where(*match_window),
            ),
            (
                "alerts",
                sa.select(column.label("name"), sa.func.count().label("n"))
                .select_from(alerts.join(items, items.c.id == alerts.c.item_id))
                .where(*alert_window),
            ),
        )
        for kind, statement in counted:
            for row in _rows(history, statement.group_by(column)):
                found[dimension][row.name or "-"][kind] += int(row.n)
    for kind, table, window in (
        ("matches", matches, match_window),
        ("alerts", alerts, alert_window),
    ):
        statement = (
            sa.select(table.c.watchlist.label("name"), sa.func.count().label("n"))
            .where(*window)
            .group_by(table.c.watchlist)
        )
        for row in _rows(history, statement):
            found["watchlist"][row.name][kind] += int(row.n)
    return {
        dimension: {name: Counts(**values) for name, values in sorted(names.items())}
        for dimension, names in found.items()
    }


def story_outlets(history: History, story_id: str) -> list[str]:
    """The outlets of every stored item of one story, first seen first."""
    statement = (
        sa.select(items.c.data, items.c.title, items.c.body, items.c.seen_at)
        .where(items.c.story_id == story_id)
        .order_by(items.c.seen_at, items.c.pk)
    )
    outlets = [item_source(_stored_item(row).item) for row in _rows(history, statement)]
    return list(dict.fromkeys(outlets))


def feed_item_times(history: History) -> dict[str | None, list[datetime]]:
    """Per feed (None: items of no feed), when each of its items was seen, oldest first."""
    statement = sa.select(items.c.feed_id, items.c.seen_at).order_by(
        items.c.feed_id, items.c.seen_at
    )
    times: dict[str | None, list[datetime]] = defaultdict(list)
    for row in _rows(history, statement):
        times[row.feed_id].append(_aware(row.seen_at))
    return dict(times)
