"""An index of the alerts by the item that raised them: the web console's search
links each item found to its alerts (docs/web.md).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_alerts_item_id", "alerts", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_alerts_item_id", table_name="alerts")
