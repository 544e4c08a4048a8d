"""The EDGAR deal watch: events found in filings, filer checks, poll slots, subscriptions, posts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.columns import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deal_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("deal_id", sa.String(80), nullable=False),
        sa.Column("deal_title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("new_status", sa.String(16), nullable=True),
        sa.Column("replaced_status", sa.String(16), nullable=False),
        sa.Column("form", sa.String(20), nullable=False),
        sa.Column("items", sa.String(100), nullable=False),
        sa.Column("accession", sa.String(25), nullable=False),
        sa.Column("filer_cik", sa.String(10), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("filing_date", sa.String(10), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("deal_id", "accession", name="uq_deal_events_filing"),
    )
    op.create_index("ix_deal_events_deal", "deal_events", ["deal_id"])
    op.create_table(
        "edgar_checks",
        sa.Column("cik", sa.String(10), primary_key=True),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
    )
    op.create_table(
        "dealwatch_polls",
        sa.Column("slot", UTCDateTime(), primary_key=True),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "dealwatch_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("channel_id", sa.String(100), nullable=False),
        sa.Column("guild_id", sa.String(100), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("platform", "channel_id", name="uq_dealwatch_channel"),
    )
    op.create_table(
        "dealwatch_posts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("deal_events.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("channel_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retry_at", UTCDateTime(), nullable=True),
        sa.Column("posted_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("event_id", "platform", "channel_id", name="uq_dealwatch_post"),
    )
    op.create_index("ix_dealwatch_posts_status", "dealwatch_posts", ["status"])


def downgrade() -> None:
    op.drop_table("dealwatch_posts")
    op.drop_table("dealwatch_subscriptions")
    op.drop_table("dealwatch_polls")
    op.drop_table("edgar_checks")
    op.drop_table("deal_events")
