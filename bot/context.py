"""Who asked what, where, and the services a command may use."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    # None of these imports bot.context back (the clock lives in bot.clock for that reason).
    from bot.adapters.base import ChatAdapter
    from bot.charts.service import ChartService
    from bot.clock import Clock
    from bot.config import Settings
    from bot.edgar.watch import DealWatch
    from bot.glance import Glances
    from bot.http_server import HttpServer
    from bot.market.service import MarketData
    from bot.market.symbols import SymbolResolver
    from bot.permissions import Authorize
    from bot.registry import CommandSpec, Registry
    from bot.router.ask import Asker
    from bot.scheduler import Scheduler
    from bot.store.repo import Store


@dataclass(frozen=True, slots=True)
class User:
    id: str = "console"
    name: str = "console"
    # May change this channel, when the platform sends that with the command (Discord's resolved
    # Manage Channels; always on the local console). The core's default authorize callback
    # reads it; platforms that must ask (Slack) pass their own callback (bot.permissions).
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
    source: str = "typed"  # "typed", or "action": a button or menu (bot.actions) ran it


T = TypeVar("T")

# `orbitdesk doctor` runs each: returns (line to print, passed).
DoctorCheck = Callable[[], Awaitable[tuple[str, bool]]]


@dataclass(frozen=True, slots=True, eq=False)  # a key is itself, whatever its name
class DataKey(Generic[T]):
    """Names one feature's data set in `FeatureData`, and says its type.

    Features own their data types (bot/ never imports commands/), so a feature declares its
    key beside its type: `DEAL_BOOK: DataKey[DealBook] = DataKey("deal book")`.
    """

    name: str


@dataclass(slots=True)
class FeatureData:
    """Data sets features load once per app (the deal book, the orbital claims), typed by key."""

    _values: dict[DataKey[Any], Any] = field(default_factory=dict, init=False, repr=False)
    # Data sets registered with `put_lazy`, loaded by their first `get` or by `load_all`.
    _loaders: dict[DataKey[Any], Callable[[], Any]] = field(
        default_factory=dict, init=False, repr=False
    )

    def put(self, key: DataKey[T], value: T) -> None:
        self._loaders.pop(key, None)
        self._values[key] = value

    def put_lazy(self, key: DataKey[T], load: Callable[[], T]) -> None:
        """Register how to load a data set; it loads on first `get` (or `load_all`)."""
        self._values.pop(key, None)
        self._loaders[key] = load

    def load_all(self) -> None:
        """Load every data set not loaded yet (start-up: a bad file stops it here)."""
        for key in list(self._loaders):
            self.get(key)

    def get(self, key: DataKey[T]) -> T:
        if key not in self._values and key in self._loaders:
            self._values[key] = self._loaders.pop(key)()
        try:
            value: T = self._values[key]
        except KeyError:  # a wiring error, not user input
            raise LookupError(f"{key.name} was not loaded when the app was built") from None
        return value

    def __contains__(self, key: DataKey[Any]) -> bool:
        return key in self._values or key in self._loaders


@dataclass(slots=True)
class Services:
    """Everything commands may reach, built once by bot.app and passed in (no globals)."""

    settings: Settings
    clock: Clock
    registry: Registry
    market: MarketData
    symbols: SymbolResolver
    store: Store  # schedules and alerts (bot.store)
    charts: ChartService
    scheduler: Scheduler
    glances: Glances  # cashtags, link unfurls, the home: the features' functions (bot.glance)
    dealwatch: DealWatch  # EDGAR deal watch (its events stay readable when it is off)
    asker: Asker  # questions in plain words -> one command (bot.router)
    # Filled in after build by whoever connects platforms: the runner (`orbitdesk run`) or the
    # console. Platform name -> adapter; the scheduler posts through these.
    adapters: dict[str, ChatAdapter] = field(default_factory=dict)
    http: HttpServer | None = None  # the health/metrics listener, under `orbitdesk run`
    doctor_checks: list[DoctorCheck] = field(default_factory=list)
    data: FeatureData = field(default_factory=FeatureData)


async def _with_command(invocation: Invocation, spec: CommandSpec) -> bool:
    """bot.permissions.granted_with_command, kept here: bot.context imports nothing of bot."""
    return invocation.user.can_manage_channel


@dataclass(frozen=True, slots=True)
class Context:
    """What a command function receives as its first argument."""

    invocation: Invocation
    services: Services
    spec: CommandSpec
    now: datetime
    # The words given for each parameter, before conversion: what `again` builds on.
    arguments: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # The platform's answer to "may this user change this channel?" (bot.permissions), for
    # commands that decide per call (`watchlist add ... list:channel`, manage buttons).
    authorize: Authorize = _with_command

    def again(self, **changes: object) -> str:
        """This command's line with some arguments changed, for a button: `again(page=2)`.

        ValueError when it cannot be written as a line that reads back the same.
        """
        from bot.actions import command_line  # bot.actions imports the registry

        return command_line(self.spec, self.arguments, changes)

    async def may_manage_channel(self) -> bool:
        """Whether the user may change this channel, asked of the platform only when called."""
        return await self.authorize(self.invocation, self.spec)

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
        return self.services.market

    @property
    def symbols(self) -> SymbolResolver:
        return self.services.symbols
