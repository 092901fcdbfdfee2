"""SQLite: the full-text index of new items is filled by ``History.write``, one
statement per batch, instead of a trigger per inserted row, which cost several times
more. The delete and update triggers stay. PostgreSQL (a GIN index) is unchanged.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

# as revision 0001 made it; every row inserted since is indexed already
_INSERT_TRIGGER = """CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts(rowid, keys) VALUES (new.pk, new.keys); END"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER items_fts_insert")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_INSERT_TRIGGER)
