"""The history: every item seen, match, alert and delivery attempt, in SQL (docs/history.md).

``open_history(url)`` opens SQLite or PostgreSQL and upgrades the schema to the
newest migration; the ``History`` it returns writes batches and answers the
commands' questions (alerts, items search, per-feed stats).
"""

from __future__ import annotations

from monitor.history.database import default_history_url, parse_history_url
from monitor.history.fulltext import KeyGroup, KeyQuery, item_keys, parse_search
from monitor.history.records import (
    DeliveryAttempt,
    FeedStats,
    HistoryBatch,
    StoredAlert,
    StoredItem,
    StoryAddition,
)
from monitor.history.store import DEFAULT_RETENTION, History

__all__ = [
    "DEFAULT_RETENTION",
    "DeliveryAttempt",
    "FeedStats",
    "History",
    "HistoryBatch",
    "KeyGroup",
    "KeyQuery",
    "StoredAlert",
    "StoredItem",
    "StoryAddition",
    "default_history_url",
    "item_keys",
    "open_history",
    "parse_history_url",
    "parse_search",
]


def open_history(url: str) -> History:
    """The history at ``url``, its schema upgraded to head. ``HistoryError`` (one line
    naming ``settings.history_url``) when it cannot be opened or migrated."""
    from monitor.history.database import create_history_engine, migrate

    engine = create_history_engine(url)
    migrate(engine)
    return History(engine)
