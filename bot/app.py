"""Wiring: Settings -> services -> Core. Nothing global; tests build as many apps as they like."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from bot.charts.service import ChartService
from bot.config import Settings
from bot.context import Clock, Services, SystemClock
from bot.core import Core
from bot.market.calendar import MarketCalendar
from bot.market.service import MarketData
from bot.market.symbols import SymbolResolver, load_aliases
from bot.market.transport import UpstreamStats
from bot.market.yahoo import YahooClient
from commands import build_registry


def bundled_data(name: str) -> Path:
    """A data file shipped in commands/data/."""
    return Path(str(files("commands") / "data" / name))


@dataclass
class App:
    settings: Settings
    services: Services
    core: Core
    market: MarketData

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None) -> App:
        clock = clock or SystemClock()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        client = YahooClient(
            base_url=settings.yahoo_base_url,
            timeout_cap=settings.yahoo_timeout,
            cache_dir=settings.resolved_cache_dir / "yfinance",
            stats=UpstreamStats(),
        )
        market = MarketData(
            client=client,
            calendar=MarketCalendar(today=clock.now().date()),
            clock=clock,
            workers=settings.yahoo_workers,
            budget=settings.quote_budget,
        )
        aliases = load_aliases(
            [bundled_data("symbol_aliases.yaml"), settings.data_dir / "symbol_aliases.yaml"]
        )
        services = Services(
            settings=settings,
            clock=clock,
            registry=build_registry(),
            market=market,
            symbols=SymbolResolver(aliases=aliases),
            charts=ChartService(market=market, calendar=market.calendar, clock=clock),
        )
        core = Core(services=services, deadline=settings.command_timeout)
        return cls(settings=settings, services=services, core=core, market=market)

    async def start(self) -> None:
        await self.market.start()

    async def close(self) -> None:
        if self.services.charts is not None:
            await self.services.charts.close()
        await self.market.close()
