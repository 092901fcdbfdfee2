"""Delivery attempts by series, so a dead letter re-sent by ``monitor alerts retry``
keeps the attempts before it; items found by story (``alerts show``'s "also carried by").

``deliveries`` gains ``series`` (0: the delivery as decided; 1, 2, ...: each retry
asked for), part of its key. Its key changes, so the table is copied into the new
shape (the same statements on SQLite and PostgreSQL). Going down keeps, of attempts
numbered alike, the newest series'.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_COLUMNS = "alert_id, channel, attempt, status, detail, at"


def _deliveries(name: str, *, series: bool, key: str) -> None:
    """The deliveries table, with or without ``series``, under ``name``."""
    columns: list[sa.Column[Any]] = [
        sa.Column("alert_id", sa.String, nullable=False),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    ]
    if series:
        columns.insert(2, sa.Column("series", sa.Integer, nullable=False, server_default="0"))
    keyed = ["alert_id", "channel", *(["series"] if series else []), "attempt"]
    op.create_table(name, *columns, sa.PrimaryKeyConstraint(*keyed, name=key))


def upgrade() -> None:
    op.drop_index("ix_deliveries_at", table_name="deliveries")
    op.rename_table("deliveries", "deliveries_0002")
    # PostgreSQL names indexes per schema: the old key's index keeps its name
    _deliveries("deliveries", series=True, key="pk_deliveries")
    op.execute(
        f"INSERT INTO deliveries ({_COLUMNS}, series) SELECT {_COLUMNS}, 0 FROM deliveries_0002"
    )
    op.drop_table("deliveries_0002")
    op.create_index("ix_deliveries_at", "deliveries", ["at"])
    op.create_index("ix_items_story_id", "items", ["story_id", "seen_at"])


def downgrade() -> None:
    op.drop_index("ix_items_story_id", table_name="items")
    op.drop_index("ix_deliveries_at", table_name="deliveries")
    op.rename_table("deliveries", "deliveries_0003")
    _deliveries("deliveries", series=False, key="deliveries_pkey")
    op.execute(
        f"INSERT INTO deliveries ({_COLUMNS}) SELECT {_COLUMNS} FROM deliveries_0003 AS d"
        " WHERE d.series = (SELECT max(n.series) FROM deliveries_0003 AS n"
        " WHERE n.alert_id = d.alert_id AND n.channel = d.channel AND n.attempt = d.attempt)"
    )
    op.drop_table("deliveries_0003")
    op.create_index("ix_deliveries_at", "deliveries", ["at"])
