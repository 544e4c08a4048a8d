"""Queries the commands and the scheduler use; every claim is a conditional write.

Exactly once: a slot (schedule, due time) is claimed by inserting its `deliveries` row; the
unique key (schedule_id, due_at) lets only one process win, whatever the backend. Later state
changes (posted, retry, re-claim after a crash) are UPDATEs whose WHERE clause names the state
they expect, so two processes can never both move the same row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.channel_settings import ChannelSettingsStore
from bot.store.db import Database
from bot.store.models import (
    Alert,
    DealWatchSubscription,
    Delivery,
    Schedule,
    SeenRequest,
    WatchlistEntry,
)
from bot.store.watchlists import WatchlistStore

CHUNK = 500  # rows per multi-row statement (well under SQLite's bound-parameter limit)

# Whether this process posts for (platform, guild_id): a process running some of a Discord
# bot's shards posts only for the guilds on them, and leaves the rest to the others.
Serves = Callable[[str, str | None], bool]


@dataclass(frozen=True, slots=True)
class DueSchedule:
    """The columns the scheduler needs to decide a due schedule's slot."""

    id: int
    next_due: datetime
    at: str
    days: str
    tz: str
    calendar: str | None
    holidays: bool
    platform: str = ""
    guild_id: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery this process owns and must post."""

    delivery_id: int
    schedule_id: int
    due_at: datetime
    platform: str
    channel_id: str
    symbols: tuple[str, ...]
    at: str
    tz: str
    attempts: int
    recovered: bool = False  # taken over from a process that stopped while holding it
    guild_id: str | None = None  # the Discord guild / Slack workspace (whose token posts it)
    # A watchlist schedule's list ("channel"): `symbols` is empty in the row and filled in
    # by the scheduler with the list as it is when the slot is posted.
    watchlist: str | None = None

    @property
    def maybe_sent(self) -> bool:
        """An earlier attempt may have reached the platform before its outcome was recorded."""
        return self.recovered or self.attempts > 1


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one claimed delivery."""

    delivery_id: int
    status: str  # posted | retry | failed
    error: str | None = None
    retry_at: datetime | None = None


class Store:
    """Query helpers over one Database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.channels = ChannelSettingsStore(db)  # per-channel switches (cashtags)
        self.watchlists = WatchlistStore(db)  # issue 13: personal and channel watchlists

    # ---------------------------------------------------------------------- schedules

    async def add_schedule(self, **values: Any) -> Schedule:
        async with self.db.session() as session:
            row = Schedule(**values)
            session.add(row)
            await session.flush()
            return row

    async def count_schedules(self, platform: str, channel_id: str) -> int:
        return await self._count(
            Schedule, Schedule.platform == platform, Schedule.channel_id == channel_id
        )

    async def list_schedules(
        self, platform: str, channel_id: str, guild_id: str | None
    ) -> list[Schedule]:
        """Schedules of a Discord guild / Slack workspace, or of one channel without one."""
        scope = Schedule.guild_id == guild_id if guild_id else Schedule.channel_id == channel_id
        async with self.db.session() as session:
            result = await session.scalars(
                select(Schedule).where(Schedule.platform == platform, scope).order_by(Schedule.id)
            )
            return list(result)

    async def get_schedule(self, schedule_id: int) -> Schedule | None:
        async with self.db.session() as session:
            return await session.get(Schedule, schedule_id)

    async def update_schedule(self, schedule_id: int, **values: Any) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(Schedule).where(Schedule.id == schedule_id).values(**values)
            )

    async def delete_schedule(self, schedule_id: int) -> None:
        async with self.db.session() as session:
            await session.execute(delete(Delivery).where(Delivery.schedule_id == schedule_id))
            await session.execute(delete(Schedule).where(Schedule.id == schedule_id))

    async def disable_schedule(self, schedule_id: int, reason: str) -> None:
        await self.update_schedule(schedule_id, disabled_reason=reason[:500])

    async def deliveries(self, schedule_id: int) -> list[Delivery]:
        async with self.db.session() as session:
            result = await session.scalars(
                select(Delivery).where(Delivery.schedule_id == schedule_id).order_by(Delivery.id)
            )
            return list(result)

    async def next_wakeup(
        self, platforms: Sequence[str], lease: timedelta | None = None
    ) -> datetime | None:
        """The earliest moment the scheduler has work: a due schedule, a retry, or (with
        `lease`) the moment the oldest claim would go stale if nobody renews it."""
        async with self.db.session() as session:
            due = await session.scalar(
                select(func.min(Schedule.next_due)).where(
                    Schedule.platform.in_(platforms),
                    Schedule.paused.is_(False),
                    Schedule.disabled_reason.is_(None),
                )
            )
            retry = await session.scalar(
                select(func.min(Delivery.retry_at)).where(Delivery.status == "retry")
            )
            claimed = None
            if lease is not None:
                claimed = await session.scalar(
                    select(func.min(Delivery.claimed_at)).where(Delivery.status == "claimed")
                )
        stale = claimed + lease if claimed is not None and lease is not None else None
        times = [t for t in (due, retry, stale) if t is not None]
        return min(times) if times else None

    # ---------------------------------------------------------------------- claims

    async def due_schedules(self, now: datetime, platforms: Sequence[str]) -> list[DueSchedule]:
        async with self.db.session() as session:
            result = await session.execute(
                select(
                    Schedule.id,
                    Schedule.next_due,
                    Schedule.at,
                    Schedule.days,
                    Schedule.tz,
                    Schedule.calendar,
                    Schedule.holidays,
                    Schedule.platform,
                    Schedule.guild_id,
                )
                .where(
                    Schedule.next_due <= now,
                    Schedule.platform.in_(platforms),
                    Schedule.paused.is_(False),
                    Schedule.disabled_reason.is_(None),
                )
                .order_by(Schedule.id)
            )
            return [DueSchedule(*row) for row in result]

    async def claim_slots(
        self,
        slots: Sequence[tuple[int, datetime]],
        advances: Sequence[tuple[int, datetime, datetime | None]],
        instance: str,
        now: datetime,
    ) -> list[int]:
        """Insert a delivery row per (schedule_id, due_at); returns the delivery ids we won.

        `advances` moves each schedule's next_due from the value we read to the next one, only
        if nobody moved it first. Both happen in one transaction.
        """
        won: list[int] = []
        async with self.db.session() as session:
            make_insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
            ordered = sorted(slots)  # one lock order for every process: no deadlocks
            for i in range(0, len(ordered), CHUNK):
                rows = [
                    {
                        "schedule_id": sid,
                        "due_at": due,
                        "status": "claimed",
                        "claimed_by": instance,
                        "claimed_at": now,
                        "attempts": 1,
                        "recovered": False,
                    }
                    for sid, due in ordered[i : i + CHUNK]
                ]
                stmt = (
                    make_insert(Delivery)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["schedule_id", "due_at"])
                    .returning(Delivery.id)
                )
                won.extend((await session.scalars(stmt)).all())
            if advances:
                # The Core table, not the ORM class: one executemany of a compare-and-set.
                table = Schedule.__table__
                assert isinstance(table, Table)
                await session.execute(
                    update(table)
                    .where(
                        and_(
                            table.c.id == bindparam("sid"),
                            table.c.next_due == bindparam("old"),
                        )
                    )
                    .values(next_due=bindparam("new")),
                    [{"sid": s, "old": old, "new": new} for s, old, new in sorted(advances)],
                )
        return won

    async def claim_retries(
        self, now: datetime, instance: str, serves: Serves | None = None
    ) -> list[int]:
        """Take over deliveries whose retry time has come (one process wins each); with
        `serves`, only those of schedules this process posts for."""
        async with self.db.session() as session:
            where = [Delivery.status == "retry", Delivery.retry_at <= now]
            if serves is not None:
                ids = await self._served(session, serves, *where)
                if not ids:
                    return []
                where.append(Delivery.id.in_(ids))
            result = await session.scalars(
                update(Delivery)
                .where(*where)
                .values(
                    status="claimed",
                    claimed_by=instance,
                    claimed_at=now,
                    attempts=Delivery.attempts + 1,
                    retry_at=None,
                )
                .returning(Delivery.id)
            )
            return list(result)

    async def _served(self, session: Any, serves: Serves, *where: Any) -> list[int]:
        """Ids of the deliveries matching `where` whose schedule this process posts for."""
        rows = await session.execute(
            select(Delivery.id, Schedule.platform, Schedule.guild_id)
            .join(Schedule, Schedule.id == Delivery.schedule_id)
            .where(*where)
        )
        return [row[0] for row in rows if serves(row[1], row[2])]

    async def recover_stale(
        self, now: datetime, lease: timedelta, instance: str, serves: Serves | None = None
    ) -> tuple[list[int], list[int]]:
        """Claims older than the lease belong to a process that died before posting.

        Each is taken over once (returned first); one that was already taken over and went
        stale again is abandoned (returned second), so a crash loop cannot post forever.
        With `serves`, only claims of schedules this process posts for are taken over.
        """
        cutoff = now - lease
        async with self.db.session() as session:
            abandoned = await session.scalars(
                update(Delivery)
                .where(
                    Delivery.status == "claimed",
                    Delivery.claimed_at < cutoff,
                    Delivery.recovered.is_(True),
                )
                .values(status="abandoned", error="process died twice before posting")
                .returning(Delivery.id)
            )
            abandoned_ids = list(abandoned)
            where = [
                Delivery.status == "claimed",
                Delivery.claimed_at < cutoff,
                Delivery.recovered.is_(False),
            ]
            if serves is not None:
                ids = await self._served(session, serves, *where)
                if not ids:
                    return [], abandoned_ids
                where.append(Delivery.id.in_(ids))
            recovered = await session.scalars(
                update(Delivery)
                .where(*where)
                .values(
                    claimed_by=instance,
                    claimed_at=now,
                    recovered=True,
                    attempts=Delivery.attempts + 1,
                )
                .returning(Delivery.id)
            )
            return list(recovered), abandoned_ids

    async def claims(self, delivery_ids: Iterable[int]) -> list[Claim]:
        ids = list(delivery_ids)
        out: list[Claim] = []
        async with self.db.session() as session:
            for i in range(0, len(ids), CHUNK):
                result = await session.execute(
                    select(
                        Delivery.id,
                        Delivery.schedule_id,
                        Delivery.due_at,
                        Schedule.platform,
                        Schedule.channel_id,
                        Schedule.symbols,
                        Schedule.at,
                        Schedule.tz,
                        Delivery.attempts,
                        Delivery.recovered,
                        Schedule.guild_id,
                        Schedule.watchlist,
                    )
                    .join(Schedule, Schedule.id == Delivery.schedule_id)
                    .where(Delivery.id.in_(ids[i : i + CHUNK]))
                )
                for row in result:
                    out.append(
                        Claim(
                            delivery_id=row[0],
                            schedule_id=row[1],
                            due_at=row[2],
                            platform=row[3],
                            channel_id=row[4],
                            symbols=tuple(s for s in row[5].split(",") if s),
                            at=row[6],
                            tz=row[7],
                            attempts=row[8],
                            recovered=bool(row[9]),
                            guild_id=row[10],
                            watchlist=row[11],
                        )
                    )
        out.sort(key=lambda c: c.delivery_id)
        return out

    async def renew(self, delivery_ids: Sequence[int], instance: str, now: datetime) -> int:
        """Heartbeat: push the lease of claims this process still holds; returns rows renewed."""
        renewed = 0
        async with self.db.session() as session:
            for i in range(0, len(delivery_ids), CHUNK):
                result = await session.execute(
                    update(Delivery)
                    .where(
                        Delivery.id.in_(delivery_ids[i : i + CHUNK]),
                        Delivery.status == "claimed",
                        Delivery.claimed_by == instance,
                    )
                    .values(claimed_at=now)
                )
                renewed += result.rowcount or 0  # type: ignore[attr-defined]
        return renewed

    async def expire(self, delivery_ids: Sequence[int], reason: str) -> None:
        await self._set_status(delivery_ids, "expired", error=reason)

    async def record(self, outcomes: Sequence[Outcome], instance: str, now: datetime) -> None:
        """Store what each post did; only rows this process still holds are touched."""
        posted = [o.delivery_id for o in outcomes if o.status == "posted"]
        async with self.db.session() as session:
            for i in range(0, len(posted), CHUNK):
                chunk = posted[i : i + CHUNK]
                await session.execute(
                    update(Delivery)
                    .where(
                        Delivery.id.in_(chunk),
                        Delivery.status == "claimed",
                        Delivery.claimed_by == instance,
                    )
                    .values(status="posted", posted_at=now)
                )
                await session.execute(
                    update(Schedule)
                    .where(
                        Schedule.id.in_(select(Delivery.schedule_id).where(Delivery.id.in_(chunk)))
                    )
                    .values(last_posted_at=now)
                )
            for outcome in outcomes:
                if outcome.status == "posted":
                    continue
                await session.execute(
                    update(Delivery)
                    .where(
                        Delivery.id == outcome.delivery_id,
                        Delivery.status == "claimed",
                        Delivery.claimed_by == instance,
                    )
                    .values(
                        status=outcome.status,
                        error=(outcome.error or "")[:500],
                        retry_at=outcome.retry_at,
                    )
                )

    async def prune(self, before: datetime) -> int:
        """Delete finished deliveries due before `before` (their slots can never come back)."""
        async with self.db.session() as session:
            result = await session.execute(
                delete(Delivery).where(
                    Delivery.due_at < before, Delivery.status.not_in(("claimed", "retry"))
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def first_delivery(self, key: str, expires_at: datetime) -> bool:
        """Record `key` as taken; False when some process recorded it first."""
        async with self.db.session() as session:
            make_insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
            stmt = (
                make_insert(SeenRequest)
                .values(key=key[:200], expires_at=expires_at)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(SeenRequest.key)
            )
            return (await session.scalars(stmt)).first() is not None

    async def prune_deliveries_seen(self, now: datetime) -> int:
        """Forget delivery keys whose window has passed."""
        async with self.db.session() as session:
            result = await session.execute(delete(SeenRequest).where(SeenRequest.expires_at < now))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def _set_status(self, delivery_ids: Sequence[int], status: str, error: str) -> None:
        async with self.db.session() as session:
            for i in range(0, len(delivery_ids), CHUNK):
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(delivery_ids[i : i + CHUNK]))
                    .values(status=status, error=error[:500])
                )

    # ---------------------------------------------------------------------- alerts

    async def add_alert(self, **values: Any) -> Alert:
        async with self.db.session() as session:
            row = Alert(**values)
            session.add(row)
            await session.flush()
            return row

    async def count_alerts(self, platform: str, channel_id: str) -> int:
        return await self._count(Alert, Alert.platform == platform, Alert.channel_id == channel_id)

    async def list_alerts(
        self, platform: str, channel_id: str, guild_id: str | None
    ) -> list[Alert]:
        scope = Alert.guild_id == guild_id if guild_id else Alert.channel_id == channel_id
        async with self.db.session() as session:
            result = await session.scalars(
                select(Alert).where(Alert.platform == platform, scope).order_by(Alert.id)
            )
            return list(result)

    async def get_alert(self, alert_id: int) -> Alert | None:
        async with self.db.session() as session:
            return await session.get(Alert, alert_id)

    async def delete_alert(self, alert_id: int) -> None:
        async with self.db.session() as session:
            await session.execute(delete(Alert).where(Alert.id == alert_id))

    async def active_alerts(self, platforms: Sequence[str]) -> list[Alert]:
        async with self.db.session() as session:
            result = await session.scalars(
                select(Alert)
                .where(
                    Alert.platform.in_(platforms),
                    Alert.disabled_reason.is_(None),
                    Alert.paused.is_(False),
                )
                .order_by(Alert.id)
            )
            return list(result)

    async def fire_alert(self, alert_id: int, price: float, now: datetime) -> bool:
        """Disarm an armed alert; True only for the one process that did it."""
        async with self.db.session() as session:
            result = await session.execute(
                update(Alert)
                # Paused meanwhile (after the poll read it): it does not fire.
                .where(Alert.id == alert_id, Alert.armed.is_(True), Alert.paused.is_(False))
                .values(
                    armed=False, last_price=price, fired_at=now, fire_count=Alert.fire_count + 1
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def set_armed(self, alert_id: int, armed: bool, price: float | None = None) -> bool:
        """Arm or disarm; True when the row changed state."""
        async with self.db.session() as session:
            result = await session.execute(
                update(Alert)
                .where(Alert.id == alert_id, Alert.armed.is_(not armed))
                .values(armed=armed, last_price=price)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def pause_alert(self, alert_id: int) -> bool:
        """Stop polling an alert; True when it was not paused before."""
        async with self.db.session() as session:
            result = await session.execute(
                update(Alert)
                .where(Alert.id == alert_id, Alert.paused.is_(False))
                .values(paused=True)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def resume_alert(self, alert_id: int, *, armed: bool, price: float | None = None) -> bool:
        """Poll a paused or disabled alert again, armed as given (False: it waits until the
        price comes back past its line); True when it was paused or disabled before."""
        async with self.db.session() as session:
            result = await session.execute(
                update(Alert)
                .where(
                    Alert.id == alert_id,
                    or_(Alert.paused.is_(True), Alert.disabled_reason.is_not(None)),
                )
                .values(paused=False, disabled_reason=None, armed=armed, last_price=price)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def disable_alert(self, alert_id: int, reason: str) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(Alert).where(Alert.id == alert_id).values(disabled_reason=reason[:500])
            )

    # ---------------------------------------------------------------------- workspaces

    async def delete_workspace(self, platform: str, guild_id: str) -> tuple[int, int]:
        """Forget a workspace / guild that removed the bot: its schedules (and their
        deliveries), its alerts, its watchlists and its deal-watch subscriptions. Returns
        (schedules, alerts) deleted."""
        async with self.db.session() as session:
            ids = select(Schedule.id).where(
                Schedule.platform == platform, Schedule.guild_id == guild_id
            )
            await session.execute(delete(Delivery).where(Delivery.schedule_id.in_(ids)))
            schedules = await session.execute(
                delete(Schedule).where(Schedule.platform == platform, Schedule.guild_id == guild_id)
            )
            alerts = await session.execute(
                delete(Alert).where(Alert.platform == platform, Alert.guild_id == guild_id)
            )
            for model in (WatchlistEntry, DealWatchSubscription):
                await session.execute(
                    delete(model).where(model.platform == platform, model.guild_id == guild_id)
                )
            return (
                int(schedules.rowcount or 0),  # type: ignore[attr-defined]
                int(alerts.rowcount or 0),  # type: ignore[attr-defined]
            )

    # ---------------------------------------------------------------------- misc

    async def _count(self, model: type[Any], *where: Any) -> int:
        async with self.db.session() as session:
            return int(
                await session.scalar(select(func.count()).select_from(model).where(*where)) or 0
            )

    async def totals(self) -> dict[str, int]:
        """Row counts for doctor."""
        async with self.db.session() as session:
            return {
                "schedules": int(await session.scalar(select(func.count(Schedule.id))) or 0),
                "alerts": int(await session.scalar(select(func.count(Alert.id))) or 0),
            }
