"""The deal watch's rows: events found, filer checks, poll slots, subscriptions and posts.

Exactly once per channel: a post is claimed by inserting its (event, platform, channel) row;
the unique key lets one process win whatever the backend, as with scheduled slots. Later
moves (posted, retry, take-over after a crash) are UPDATEs naming the state they expect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.db import Database
from bot.store.models import (
    DealEvent,
    DealWatchPoll,
    DealWatchPost,
    DealWatchSubscription,
    EdgarCheck,
)


@dataclass(frozen=True, slots=True)
class PostClaim:
    """A post this process won: which event goes to which channel, and how many tries."""

    post_id: int
    platform: str
    channel_id: str
    attempts: int
    event: DealEvent
    guild_id: str | None = None  # the subscribing channel's server / workspace (whose token)


class WatchStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _insert(self, model: type[Any]) -> Any:
        maker = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        return maker(model)

    # ------------------------------------------------------------------ events

    async def known(self, deal_ids: Iterable[str]) -> set[tuple[str, str]]:
        """(deal, accession) pairs already classified."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(DealEvent.deal_id, DealEvent.accession).where(
                    DealEvent.deal_id.in_(list(deal_ids))
                )
            )
            return {(d, a) for d, a in rows}

    async def add_events(self, rows: Sequence[dict[str, Any]]) -> list[tuple[int, str, str | None]]:
        """Insert events; returns (id, kind, new_status) of those this process added."""
        if not rows:
            return []
        async with self.db.session() as session:
            stmt = (
                self._insert(DealEvent)
                .values(list(rows))
                .on_conflict_do_nothing(index_elements=["deal_id", "accession"])
                .returning(DealEvent.id, DealEvent.kind, DealEvent.new_status)
            )
            return [(i, k, n) for i, k, n in (await session.execute(stmt)).all()]

    async def events(self, deal_id: str | None = None) -> list[DealEvent]:
        """Events, oldest filing first (one deal's, or all)."""
        async with self.db.session() as session:
            query = select(DealEvent).order_by(DealEvent.filing_date, DealEvent.id)
            if deal_id is not None:
                query = query.where(DealEvent.deal_id == deal_id)
            return list((await session.scalars(query)).all())

    # ------------------------------------------------------------------ checks and polls

    async def record_check(self, cik: int, now: datetime, outcome: str) -> None:
        key = f"{cik:010d}"
        async with self.db.session() as session:
            stmt = self._insert(EdgarCheck).values(cik=key, checked_at=now, outcome=outcome)
            stmt = stmt.on_conflict_do_update(
                index_elements=["cik"], set_={"checked_at": now, "outcome": outcome}
            )
            await session.execute(stmt)

    async def checks(self) -> dict[str, EdgarCheck]:
        async with self.db.session() as session:
            return {c.cik: c for c in (await session.scalars(select(EdgarCheck))).all()}

    async def claim_poll(self, slot: datetime, instance: str, now: datetime) -> bool:
        """True for the one process that gets to poll the SEC in this slot."""
        async with self.db.session() as session:
            stmt = (
                self._insert(DealWatchPoll)
                .values(slot=slot, claimed_by=instance, claimed_at=now)
                .on_conflict_do_nothing(index_elements=["slot"])
                .returning(DealWatchPoll.slot)
            )
            won = (await session.scalars(stmt)).first() is not None
            # Keep a day of slots: enough to stop a replica polling twice.
            await session.execute(
                delete(DealWatchPoll).where(DealWatchPoll.slot < now - timedelta(days=1))
            )
            return won

    async def last_poll(self) -> datetime | None:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(DealWatchPoll.claimed_at).order_by(DealWatchPoll.claimed_at.desc()).limit(1)
            )
            return rows.first()

    # ------------------------------------------------------------------ subscriptions

    async def subscribe(
        self, platform: str, channel_id: str, guild_id: str | None, user: str, now: datetime
    ) -> bool:
        """Subscribe a channel; False when it already was."""
        async with self.db.session() as session:
            stmt = (
                self._insert(DealWatchSubscription)
                .values(
                    platform=platform,
                    channel_id=channel_id,
                    guild_id=guild_id,
                    created_by=user,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["platform", "channel_id"])
                .returning(DealWatchSubscription.id)
            )
            return (await session.scalars(stmt)).first() is not None

    async def unsubscribe(self, platform: str, channel_id: str) -> bool:
        async with self.db.session() as session:
            result = await session.execute(
                delete(DealWatchSubscription).where(
                    DealWatchSubscription.platform == platform,
                    DealWatchSubscription.channel_id == channel_id,
                )
            )
            return bool(getattr(result, "rowcount", 0))

    async def subscription(self, platform: str, channel_id: str) -> DealWatchSubscription | None:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(DealWatchSubscription).where(
                    DealWatchSubscription.platform == platform,
                    DealWatchSubscription.channel_id == channel_id,
                )
            )
            return rows.first()

    # ------------------------------------------------------------------ posts

    async def claim_posts(
        self, now: datetime, instance: str, platforms: Sequence[str], lease: timedelta
    ) -> list[PostClaim]:
        """Claim every (status change, subscribed channel) post not yet claimed, plus posts
        whose retry time came or whose claimer died (older than the lease)."""
        won: list[int] = []
        async with self.db.session() as session:
            pairs = await session.execute(
                select(
                    DealEvent.id, DealWatchSubscription.platform, DealWatchSubscription.channel_id
                )
                .join(
                    DealWatchSubscription,
                    DealEvent.found_at >= DealWatchSubscription.created_at,
                )
                .outerjoin(
                    DealWatchPost,
                    and_(
                        DealWatchPost.event_id == DealEvent.id,
                        DealWatchPost.platform == DealWatchSubscription.platform,
                        DealWatchPost.channel_id == DealWatchSubscription.channel_id,
                    ),
                )
                .where(
                    DealEvent.new_status.is_not(None),
                    DealWatchSubscription.platform.in_(list(platforms)),
                    DealWatchPost.id.is_(None),
                )
                .order_by(
                    DealEvent.id, DealWatchSubscription.platform, DealWatchSubscription.channel_id
                )
            )
            rows = [
                {
                    "event_id": event_id,
                    "platform": platform,
                    "channel_id": channel_id,
                    "status": "claimed",
                    "claimed_by": instance,
                    "claimed_at": now,
                    "attempts": 1,
                }
                for event_id, platform, channel_id in pairs
            ]
            if rows:
                stmt = (
                    self._insert(DealWatchPost)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["event_id", "platform", "channel_id"])
                    .returning(DealWatchPost.id)
                )
                won += (await session.scalars(stmt)).all()
            again = await session.scalars(
                update(DealWatchPost)
                .where(
                    DealWatchPost.platform.in_(list(platforms)),
                    or_(
                        and_(DealWatchPost.status == "retry", DealWatchPost.retry_at <= now),
                        and_(
                            DealWatchPost.status == "claimed",
                            DealWatchPost.claimed_at < now - lease,
                        ),
                    ),
                )
                .values(
                    status="claimed",
                    claimed_by=instance,
                    claimed_at=now,
                    attempts=DealWatchPost.attempts + 1,
                    retry_at=None,
                )
                .returning(DealWatchPost.id)
            )
            won += again.all()
            if not won:
                return []
            result = await session.execute(
                select(DealWatchPost, DealEvent, DealWatchSubscription.guild_id)
                .join(DealEvent, DealEvent.id == DealWatchPost.event_id)
                .outerjoin(
                    DealWatchSubscription,
                    and_(
                        DealWatchSubscription.platform == DealWatchPost.platform,
                        DealWatchSubscription.channel_id == DealWatchPost.channel_id,
                    ),
                )
                .where(DealWatchPost.id.in_(won))
                .order_by(DealWatchPost.id)
            )
            return [
                PostClaim(p.id, p.platform, p.channel_id, p.attempts, e, guild)
                for p, e, guild in result.all()
            ]

    async def finish_post(
        self,
        post_id: int,
        instance: str,
        status: str,
        now: datetime,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(DealWatchPost)
                .where(
                    DealWatchPost.id == post_id,
                    DealWatchPost.status == "claimed",
                    DealWatchPost.claimed_by == instance,
                )
                .values(
                    status=status,
                    posted_at=now if status == "posted" else None,
                    error=error,
                    retry_at=retry_at,
                )
            )

    async def posts(self) -> list[DealWatchPost]:
        async with self.db.session() as session:
            return list(
                (await session.scalars(select(DealWatchPost).order_by(DealWatchPost.id))).all()
            )
