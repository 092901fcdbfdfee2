"""The first history schema: items (with their full-text index), matches, alerts and
delivery attempts.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_TZ = sa.DateTime()  # naive, always UTC: SQLite keeps no offset

# SQLite: an external-content FTS5 index over items.keys, kept in step by triggers.
# The ascii tokenizer takes every non-ASCII character as part of a token and ':' is
# added, so each space-separated key is one token, read back unchanged; no positions
# are kept (detail=none): the search needs only which items hold a key.
_SQLITE_FTS = [
    """CREATE VIRTUAL TABLE items_fts USING fts5(
        keys, content='items', content_rowid='pk',
        tokenize="ascii tokenchars ':'", detail=none)""",
    """CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
        INSERT INTO items_fts(rowid, keys) VALUES (new.pk, new.keys); END""",
    """CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
        INSERT INTO items_fts(items_fts, rowid, keys) VALUES ('delete', old.pk, old.keys); END""",
    """CREATE TRIGGER items_fts_update AFTER UPDATE OF keys ON items BEGIN
        INSERT INTO items_fts(items_fts, rowid, keys) VALUES ('delete', old.pk, old.keys);
        INSERT INTO items_fts(rowid, keys) VALUES (new.pk, new.keys); END""",
]
_SQLITE_FTS_DROP = [
    "DROP TRIGGER items_fts_update",
    "DROP TRIGGER items_fts_delete",
    "DROP TRIGGER items_fts_insert",
    "DROP TABLE items_fts",
]
# PostgreSQL: the keys as lexemes, verbatim (no parser, no dictionary), in a GIN index.
_PG_FTS = [
    "CREATE INDEX items_keys_fts ON items"
    " USING gin (array_to_tsvector(string_to_array(keys, ' ')))",
]


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String, nullable=False, unique=True),
        sa.Column("story_id", sa.String, nullable=False),
        sa.Column("feed_id", sa.String),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("url", sa.String),
        sa.Column("agency", sa.String),
        sa.Column("publisher", sa.String),
        sa.Column("language", sa.String),
        sa.Column("published", sa.String),
        sa.Column("seen_at", _TZ, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("keys", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_items_seen_at", "items", ["seen_at"])
    op.create_index("ix_items_feed_id", "items", ["feed_id", "seen_at"])
    op.create_table(
        "matches",
        sa.Column("item_id", sa.String, primary_key=True),
        sa.Column("watchlist", sa.String, primary_key=True),
        sa.Column("seen_at", _TZ, nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("speakers", sa.JSON, nullable=False),
        sa.Column("hits", sa.JSON, nullable=False),
    )
    op.create_index("ix_matches_seen_at", "matches", ["seen_at"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("watchlist", sa.String, nullable=False),
        sa.Column("story_id", sa.String, nullable=False),
        sa.Column("item_id", sa.String, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("update", sa.Integer, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("message", sa.JSON, nullable=False),
    )
    op.create_index("ix_alerts_watchlist", "alerts", ["watchlist", "created_at"])
    op.create_index("ix_alerts_created_at", "alerts", ["created_at"])
    op.create_table(
        "deliveries",
        sa.Column("alert_id", sa.String, primary_key=True),
        sa.Column("channel", sa.String, primary_key=True),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("at", _TZ, nullable=False),
    )
    op.create_index("ix_deliveries_at", "deliveries", ["at"])
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_FTS if dialect == "sqlite" else _PG_FTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_FTS_DROP:
            op.execute(statement)
    for table in ("deliveries", "alerts", "matches", "items"):
        op.drop_table(table)
