"""The tables: schedules, their deliveries (one row per claimed slot), price alerts, and the
EDGAR deal watch (events found in filings, subscriptions, one row per post and poll slot)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.store.columns import UTCDateTime
from bot.store.keys import MAX_ROW_ID as MAX_ROW_ID  # re-exported; commands read bot.store.keys


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
    # Whose watchlist the schedule posts ("channel"), read when each slot comes; None for a
    # schedule of its own `symbols` (then empty here).
    watchlist: Mapped[str | None] = mapped_column(String(10), nullable=True)
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

    @property
    def what(self) -> str:
        """What it posts, as answers name it: "SPCX, AMZN" or "watchlist (channel)"."""
        return f"watchlist ({self.watchlist})" if self.watchlist else ", ".join(self.symbol_list)


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
    # Paused by a channel manager (`alert pause`): not polled, never fires, until resumed.
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
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


class DealEvent(Base):
    """A deal event the EDGAR watch found in a filing: a status change or a weaker signal.

    The curated deal book is never written; answers merge these rows over it. One row per
    (deal, filing): the unique key makes a filing count once however many replicas see it.
    """

    __tablename__ = "deal_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(String(80))
    deal_title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # completed | terminated | announced | signal
    new_status: Mapped[str | None] = mapped_column(String(16), nullable=True)  # strong only
    replaced_status: Mapped[str] = mapped_column(String(16))  # the curated status then
    form: Mapped[str] = mapped_column(String(20))
    items: Mapped[str] = mapped_column(String(100))
    accession: Mapped[str] = mapped_column(String(25))
    filer_cik: Mapped[str] = mapped_column(String(10))
    role: Mapped[str] = mapped_column(String(10))  # acquirer | target
    filing_date: Mapped[str] = mapped_column(String(10))  # ISO date, as EDGAR gives it
    url: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("deal_id", "accession", name="uq_deal_events_filing"),
        Index("ix_deal_events_deal", "deal_id"),
    )


class EdgarCheck(Base):
    """When each SEC filer was last polled, and how that went (for `dealwatch status`)."""

    __tablename__ = "edgar_checks"

    cik: Mapped[str] = mapped_column(String(10), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(40))


class DealWatchPoll(Base):
    """One poll slot, claimed by inserting its row: replicas never poll the SEC twice a slot."""

    __tablename__ = "dealwatch_polls"

    slot: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DealWatchSubscription(Base):
    """A channel that wants deal status changes posted into it."""

    __tablename__ = "dealwatch_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[str] = mapped_column(String(100))
    guild_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("platform", "channel_id", name="uq_dealwatch_channel"),)


class DealWatchPost(Base):
    """One (event, channel) post. Inserting the row claims it: each channel gets it once."""

    __tablename__ = "dealwatch_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("deal_events.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[str] = mapped_column(String(100))
    # claimed -> posted | retry -> claimed ... | failed
    status: Mapped[str] = mapped_column(String(16))
    claimed_by: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("event_id", "platform", "channel_id", name="uq_dealwatch_post"),
        Index("ix_dealwatch_posts_status", "status"),
    )


class WatchlistEntry(Base):
    """One symbol on a watchlist: a person's (across a server's channels) or a channel's.

    `owner` is the user id for scope "user" and the channel id for scope "channel"; `guild_id`
    is the Discord guild / Slack team, "" outside one (a DM, the console), so that the unique
    key below holds on both backends (NULLs never collide).
    """

    __tablename__ = "watchlist_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(10))  # user | channel
    guild_id: Mapped[str] = mapped_column(String(100))
    owner: Mapped[str] = mapped_column(String(100))
    symbol: Mapped[str] = mapped_column(String(40))
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint(
            "platform", "scope", "guild_id", "owner", "symbol", name="uq_watchlist_entry"
        ),
        Index("ix_watchlist_guild", "platform", "guild_id"),
    )


class ChannelSetting(Base):
    """Per-channel switches a channel manager sets (cashtag answers); absent means defaults."""

    __tablename__ = "channel_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[str] = mapped_column(String(100))
    guild_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    cashtags: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("platform", "channel_id", name="uq_channel_settings_channel"),
    )
