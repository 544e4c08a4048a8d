"""ChartService: fetch bars, render off the event loop, and keep each PNG while it is true.

- Renders run in the service's own small thread pool (matplotlib is CPU-bound and blocking).
- Finished charts are cached per (symbols, range, type, theme). Their lifetime follows the
  market session as the bars behind them do: short while a market trades, long while it is
  shut (bot.market.calendar.MarketCalendar.ttl).
- Identical requests that arrive while one is being built wait for it (single flight), so a
  burst of the same /chart renders once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.charts.render import ChartKind, ChartOptions, render_chart
from bot.charts.timeline import is_intraday
from bot.clock import Clock
from bot.errors import UpstreamError
from bot.market.calendar import MarketCalendar
from bot.market.service import MarketData
from bot.market.types import History

log = logging.getLogger(__name__)

ChartRange = Literal["1d", "5d", "1mo", "3mo", "6mo", "ytd", "1y", "2y", "5y", "max"]

# range -> (bar interval, include pre-market and after-hours bars)
RANGE_BARS: dict[str, tuple[str, bool]] = {
    "1d": ("5m", True),
    "5d": ("15m", True),
    "1mo": ("1d", False),
    "3mo": ("1d", False),
    "6mo": ("1d", False),
    "ytd": ("1d", False),
    "1y": ("1d", False),
    "2y": ("1d", False),
    "5y": ("1wk", False),
    "max": ("1mo", False),
}
_BAR_DAYS = {"1d": 1, "5d": 5, "1wk": 7, "1mo": 31, "3mo": 92}  # calendar days a bar spans
FETCH_BUDGET = 6.0  # seconds one history may take; the command's deadline is 8 s
MIN_TTL = 15.0


@dataclass(frozen=True, slots=True)
class ChartRequest:
    """What to draw; also the cache key."""

    symbols: tuple[str, ...]  # resolved Yahoo symbols, the first one is the main symbol
    range: str
    kind: ChartKind = "line"
    theme: str = "dark"


@dataclass(frozen=True, slots=True)
class Chart:
    """A rendered chart and the bars it shows."""

    request: ChartRequest
    png: bytes
    histories: tuple[History, ...]
    rendered_at: datetime


class ChartDataError(Exception):
    """Bars for one symbol of a request could not be had; `error` says why."""

    def __init__(self, symbol: str, error: UpstreamError) -> None:
        super().__init__(f"{symbol}: {error.message}")
        self.symbol = symbol
        self.error = error


@dataclass
class ChartStats:
    renders: int = 0
    hits: int = 0
    misses: int = 0
    joined: int = 0  # requests that waited for an identical one in flight


@dataclass(slots=True)
class _Entry:
    chart: Chart
    fresh_until: float


Renderer = Callable[[Sequence[History], ChartOptions], bytes]


@dataclass
class ChartService:
    market: MarketData
    calendar: MarketCalendar
    clock: Clock
    workers: int = 2
    max_entries: int = 64
    renderer: Renderer = render_chart
    stats: ChartStats = field(default_factory=ChartStats)

    def __post_init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="chart")
        self._cache: OrderedDict[ChartRequest, _Entry] = OrderedDict()
        self._inflight: dict[ChartRequest, asyncio.Future[Chart]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def chart(self, request: ChartRequest) -> Chart:
        """The chart for `request`, from cache, from an identical build in flight, or new.

        Raises ChartDataError when a symbol's bars cannot be fetched.
        """
        if request.range not in RANGE_BARS:
            raise ValueError(f"unknown chart range {request.range!r}")
        now = self.clock.now().timestamp()
        entry = self._cache.get(request)
        if entry is not None and entry.fresh_until > now:
            self._cache.move_to_end(request)
            self.stats.hits += 1
            return entry.chart
        future = self._inflight.get(request)
        if future is None:
            self.stats.misses += 1
            future = asyncio.get_running_loop().create_future()
            future.add_done_callback(_consume)
            self._inflight[request] = future
            task = asyncio.ensure_future(self._build(request, future))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            self.stats.joined += 1
        # Shielded: a caller that gives up (its command deadline) leaves the build running
        # for the others and for the cache.
        return await asyncio.shield(future)

    async def _build(self, request: ChartRequest, future: asyncio.Future[Chart]) -> None:
        try:
            histories = await self._histories(request)
            loop = asyncio.get_running_loop()
            histories, png, ttl = await loop.run_in_executor(
                self._executor, self._render, request, histories
            )
            chart = Chart(request, png, histories, self.clock.now())
            self._store(request, chart, ttl)
            future.set_result(chart)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
        finally:
            self._inflight.pop(request, None)

    async def _histories(self, request: ChartRequest) -> tuple[History, ...]:
        interval, prepost = RANGE_BARS[request.range]

        async def one(symbol: str) -> History:
            try:
                return await self.market.history(
                    symbol, request.range, interval, prepost=prepost, budget=FETCH_BUDGET
                )
            except UpstreamError as exc:
                raise ChartDataError(symbol, exc) from exc

        results = await asyncio.gather(*(one(s) for s in request.symbols), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        histories = tuple(r for r in results if isinstance(r, History))
        for symbol, history in zip(request.symbols, histories, strict=True):
            if not history.bars:
                raise ChartDataError(
                    symbol, UpstreamError("not_found", f"Yahoo has no bars for {symbol}.")
                )
        return histories

    def _render(
        self, request: ChartRequest, histories: tuple[History, ...]
    ) -> tuple[tuple[History, ...], bytes, float]:
        """Runs in a worker thread: the histories as drawn, the PNG, how long it stays fresh."""
        # Here, not on the event loop: the first look at an exchange loads its calendar.
        histories = tuple(self._settle_as_of(h) for h in histories)
        options = ChartOptions(range=request.range, kind=request.kind, theme=request.theme)
        png = self.renderer(histories, options)
        self.stats.renders += 1
        return histories, png, self._ttl(histories)

    def _settle_as_of(self, history: History) -> History:
        """Daily and longer bars: date the last price by its session, not by a bar's start.

        A finished session's last daily bar holds that session's close, so the chart is "as of"
        the close (16:00, or 13:00 on an early close), whatever Yahoo's market time says (it
        may be the bar's own 09:30 start, or missing, which left a bar's midnight). While the
        session still runs at fetch time, Yahoo's market time is the live price's time.
        """
        if is_intraday(history.interval) or not history.bars or history.fetched_at is None:
            return history
        schedule = self.calendar.schedule_for(history.symbol, history.exchange_tz)
        if schedule is None:  # crypto and FX: no sessions, Yahoo's time is the price's time
            return history
        if history.as_of is not None:
            session = schedule.session_at(history.as_of) or schedule.previous_session(history.as_of)
        else:
            # The latest session by fetch time, if it falls in the last bar (yfinance stamps
            # bars at midnight of their first day); else the last bar's own day (no trades since).
            fetched = history.fetched_at
            session = schedule.session_at(fetched) or schedule.previous_session(fetched)
            zone = ZoneInfo(schedule.tz)
            first_day = history.bars[-1].time.astimezone(zone).date()
            span = timedelta(days=_BAR_DAYS.get(history.interval, 1))
            if session is None or not (
                first_day <= session.open.astimezone(zone).date() < first_day + span
            ):
                session = schedule.session_on(first_day)
        if session is None:
            return history
        if session.close <= history.fetched_at:
            return replace(history, as_of=session.close)
        return replace(history, as_of=history.as_of or history.fetched_at)

    def _ttl(self, histories: Sequence[History]) -> float:
        # The bars behind a chart are cached by the market service with these same lifetimes
        # (intraday: 4x the quote TTL; daily and longer: 20x, at least 5 min), so a chart lives
        # exactly as long as its data would.
        now = self.clock.now()
        base = min(self.calendar.ttl(h.symbol, h.exchange_tz, "EQUITY", now) for h in histories)
        if any(is_intraday(h.interval) for h in histories):
            return max(MIN_TTL, base * 4)
        return max(base * 20, 300.0)

    def _store(self, request: ChartRequest, chart: Chart, ttl: float) -> None:
        self._cache[request] = _Entry(chart, self.clock.now().timestamp() + ttl)
        self._cache.move_to_end(request)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)


def _consume(future: asyncio.Future[Any]) -> None:
    """Mark a shared future's exception as seen: its waiters may all have given up."""
    if not future.cancelled():
        future.exception()
