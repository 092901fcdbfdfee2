"""The history's tables, as SQLAlchemy Core metadata (the migrations create them).

No I/O. ``items`` keeps every item seen with ``keys``, its folded token keys
(``monitor.history.fulltext``), which SQLite indexes in the FTS5 table
``items_fts`` and PostgreSQL in a GIN index over ``array_to_tsvector``; both are
made by the migrations, not by this metadata. Times are naive UTC (SQLite keeps no offset).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

items = sa.Table(
    "items",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String, nullable=False, unique=True),
    sa.Column("story_id", sa.String, nullable=False),
    sa.Column("feed_id", sa.String),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("url", sa.String),
    sa.Column("agency", sa.String),
    sa.Column("publisher", sa.String),
    sa.Column("language", sa.String),
    sa.Column("published", sa.String),  # ISO 8601 as the item carries it
    sa.Column("seen_at", sa.DateTime(), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("keys", sa.Text, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),  # WireItem.to_dict(), to rebuild it
)

# SQLite's FTS5 index of ``items.keys`` (rowid: ``items.pk``), for the statements that
# fill and query it; not part of ``metadata``.
items_fts = sa.table("items_fts", sa.column("rowid"), sa.column("keys"))

matches = sa.Table(
    "matches",
    metadata,
    sa.Column("item_id", sa.String, primary_key=True),
    sa.Column("watchlist", sa.String, primary_key=True),
    sa.Column("seen_at", sa.DateTime(), nullable=False),
    sa.Column("topics", sa.JSON, nullable=False),
    sa.Column("speakers", sa.JSON, nullable=False),  # names, roles and quotes
    sa.Column("hits", sa.JSON, nullable=False),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("watchlist", sa.String, nullable=False, index=True),
    sa.Column("story_id", sa.String, nullable=False),
    sa.Column("item_id", sa.String, nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("update", sa.Integer, nullable=False),
    sa.Column("sources", sa.JSON, nullable=False),
    sa.Column("message", sa.JSON, nullable=False),  # Alert.to_message()
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("alert_id", sa.String, primary_key=True),
    sa.Column("channel", sa.String, primary_key=True),
    # 0: the delivery as decided; 1, 2, ...: each `monitor alerts retry` of it
    sa.Column("series", sa.Integer, primary_key=True, server_default="0"),
    sa.Column("attempt", sa.Integer, primary_key=True),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(), nullable=False),
)
