"""Who asked what, where, and the services a command may use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.charts.service import ChartService
    from bot.config import Settings
    from bot.edgar.watch import DealWatch
    from bot.market.service import MarketData
    from bot.market.symbols import SymbolResolver
    from bot.registry import CommandSpec, Registry
    from bot.scheduler import Scheduler
    from bot.store.repo import Store


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class ManualClock:
    """A clock tests move by hand, so nothing sleeps."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.current = self.current + timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class User:
    id: str = "console"
    name: str = "console"
    # Set by the adapter from the platform's own permission model (Manage Channels on Discord,
    # workspace admin or ORBITDESK_SLACK_ADMINS on Slack, always on the local console).
    can_manage_channel: bool = False


@dataclass(frozen=True, slots=True)
class Channel:
    id: str = "console"
    name: str = "console"
    guild_id: str | None = None  # Discord guild / Slack team


@dataclass(frozen=True, slots=True)
class Invocation:
    """One command as an adapter received it.

    Text platforms (Slack, console) fill `text` ("quote SPCX AMZN"). Platforms that parse
    options themselves (Discord) fill `path` ("orbital", "radiator") and `options` by parameter
    name; values may be strings or already typed.
    """

    text: str = ""
    path: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    platform: str = "console"
    user: User = field(default_factory=User)
    channel: Channel = field(default_factory=Channel)


@dataclass(slots=True)
class Services:
    """Everything commands may reach, built once by bot.app and passed in (no globals)."""

    settings: Settings
    clock: Clock
    registry: Registry
    market: MarketData | None = None
    symbols: SymbolResolver | None = None
    store: Store | None = None  # schedules and alerts (bot.store)
    scheduler: Scheduler | None = None
    charts: ChartService | None = None
    dealwatch: DealWatch | None = None  # EDGAR deal watch (its events stay readable when off)
    # Wiring filled in after build: "adapters" (name -> ChatAdapter, by the runner or console),
    # "http" (the health/metrics listener), "doctor_checks", and the knowledge data sets.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Context:
    """What a command function receives as its first argument."""

    invocation: Invocation
    services: Services
    spec: CommandSpec
    now: datetime

    @property
    def user(self) -> User:
        return self.invocation.user

    @property
    def channel(self) -> Channel:
        return self.invocation.channel

    @property
    def platform(self) -> str:
        return self.invocation.platform

    @property
    def market(self) -> MarketData:
        market = self.services.market
        if market is None:  # pragma: no cover - wiring error, not user input
            raise RuntimeError("market data service is not configured")
        return market

    @property
    def symbols(self) -> SymbolResolver:
        symbols = self.services.symbols
        if symbols is None:  # pragma: no cover - wiring error, not user input
            raise RuntimeError("symbol resolver is not configured")
        return symbols
