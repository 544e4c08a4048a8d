"""Alerts can be paused: `alerts.paused`, false for every alert of before.

A paused alert is not polled and never fires; `alert resume` clears it (and arms the alert
again unless the price is already past its line).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A server default fills the rows already there (SQLite cannot add a NOT NULL column
    # without one) and is the same literal on both databases.
    op.add_column(
        "alerts",
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("paused")
