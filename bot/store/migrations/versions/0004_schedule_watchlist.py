"""Schedules that post a watchlist: `schedules.watchlist` names whose list ("channel").

NULL for the price schedules of before: they post their own `symbols`. A watchlist schedule
stores no symbols; the scheduler reads the list when the slot comes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("schedules", sa.Column("watchlist", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("watchlist")
