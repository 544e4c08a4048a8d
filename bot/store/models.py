"""The tables: schedules, their deliveries (one row per claimed slot) and price alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.store.columns import UTCDateTime

# Row ids are 32-bit on every backend (PostgreSQL INTEGER); commands refuse larger ids before
# any query rather than let the driver overflow.
MAX_ROW_ID = 2**31 - 1


class Base(DeclarativeBase):
    pass


class Schedule(Base):
    """A recurring price post into one channel."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[str] = mapped_column(String(100))
    guild_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))
    symbols: Mapped[str] = mapped_column(Text)  # comma-separated Yahoo symbols
    at: Mapped[str] = mapped_column(String(40))  # normalised: "16:05", "close+5m", "every 30m"
    days: Mapped[str] = mapped_column(String(40))  # "weekdays", "daily", "mon,wed,fri"
    tz: Mapped[str] = mapped_column(String(64))
    calendar: Mapped[str | None] = mapped_column(String(16), nullable=True)  # e.g. "XNYS"
    holidays: Mapped[bool] = mapped_column(Boolean, default=False)  # post on exchange holidays
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_due: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_schedules_due", "next_due"),
        Index("ix_schedules_channel", "platform", "channel_id"),
    )

    @property
    def symbol_list(self) -> list[str]:
        return [s for s in self.symbols.split(",") if s]


class Delivery(Base):
    """One claimed slot of a schedule. The unique key is what makes a slot post only once."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # claimed -> posted | retry -> claimed ... | failed | expired | abandoned
    status: Mapped[str] = mapped_column(String(16))
    claimed_by: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    recovered: Mapped[bool] = mapped_column(Boolean, default=False)  # re-claimed after a crash
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("schedule_id", "due_at", name="uq_deliveries_slot"),
        Index("ix_deliveries_status", "status"),
    )


class Alert(Base):
    """A price threshold on one symbol; `armed` flips off when it fires, on when price returns."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[str] = mapped_column(String(100))
    guild_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))
    symbol: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))  # above | below | move
    threshold: Mapped[float] = mapped_column(Float)  # a price, or a percentage for "move"
    armed: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    fire_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_alerts_channel", "platform", "channel_id"),)


class SeenRequest(Base):
    """A delivery (Slack trigger_id or event_id) some replica already took; pruned when expired."""

    __tablename__ = "seen_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
