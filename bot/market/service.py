"""The market-data service: yfinance with a budget, a session-aware cache and batching.

- Blocking yfinance calls run in a dedicated thread pool; callers wait at most their budget.
- Quotes are cached per symbol with a TTL from the exchange calendar (15 s while the market
  trades, up to 15 min while it is shut); a cached value whose TTL ran out is still served,
  marked stale with its "as of" time, when Yahoo fails.
- Symbols missing from the cache during one event-loop turn go to Yahoo together, in one v7
  quote request per 50 symbols; a symbol already being fetched is awaited, not asked again.
- If the batch route answers garbage, each symbol falls back to its own chart request; so does
  an answer with no price at all (Yahoo's empty or null glitch). A symbol Yahoo leaves out of
  a partial answer is "missing" only if we never had a price for it: for a known symbol that is
  a failed fetch, and the cached price is served marked stale.
- A 429 starts a cool-down during which Yahoo is not asked at all.
- With a shared cache (Redis, bot.market.shared), what one replica fetched serves them all: a
  miss here looks there first, and a key nobody has is fetched by the replica that takes its
  lock while the others wait for the answer (at most the budget, then they ask themselves).
  A cool-down started by one replica's 429 holds for every replica.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from bot.clock import Clock
from bot.errors import UpstreamError
from bot.market.calendar import MarketCalendar
from bot.market.codec import QUOTE_ENTRY, SHARED_KINDS, CodecError, dump_kept, load_kept
from bot.market.earnings import EarningsDate, EarningsDates, EarningsDetail
from bot.market.news import (
    MARKET_NEWS_SYMBOL,
    NEWS_COUNT,
    NEWS_TTL_SHUT,
    NEWS_TTL_TRADING,
    NewsBatch,
    NewsFeed,
)
from bot.market.profile import PROFILE_TTL, CompanyProfile
from bot.market.screeners import SCREEN_TTL_SHUT, SCREEN_TTL_TRADING, Screen, ScreenResult
from bot.market.shared import NoSharing, SharedCache
from bot.market.transport import UpstreamStats
from bot.market.types import History, Quote, QuoteBatch, SearchHit
from bot.market.yahoo import QUOTE_CHUNK, classify

if TYPE_CHECKING:
    from bot.market.options import OptionChain

log = logging.getLogger(__name__)

T = TypeVar("T")

MISSING_TTL = 300.0  # remember "no such symbol" this long
SEARCH_TTL = 86400.0
EARNINGS_TTL = 6 * 3600.0  # report dates and estimates move rarely: hours, not seconds
COOLDOWN_FIRST = 30.0  # seconds without Yahoo after a 429, doubling up to COOLDOWN_MAX
COOLDOWN_MAX = 600.0
# The batch route is broken (not Yahoo as a whole): unknown symbols come back as a 200 with
# fewer results, so a 404, a 5xx or an unreadable answer means the endpoint itself failed.
FALLBACK_REASONS = ("bad_answer", "not_found", "server_error")
SHARED_POLL = 0.02  # seconds between looks at the shared cache while another replica fetches


class QuoteSource(Protocol):
    """What the service needs from a Yahoo client (bot.market.yahoo.YahooClient)."""

    stats: UpstreamStats

    def fetch_quotes(
        self, symbols: Sequence[str], now: datetime
    ) -> tuple[dict[str, Quote], list[str]]: ...

    def fetch_chart_quote(self, symbol: str, now: datetime) -> Quote: ...

    def search(self, query: str) -> list[SearchHit]: ...

    def history(
        self,
        symbol: str,
        period: str,
        interval: str,
        prepost: bool,
        now: datetime,
        exchange_tz: str | None = None,
    ) -> History: ...

    def reset_after_failure(self) -> None: ...

    def fetch_earnings_dates(
        self, symbols: Sequence[str], now: datetime
    ) -> dict[str, EarningsDate]: ...

    def fetch_earnings_detail(self, symbol: str, now: datetime) -> EarningsDetail: ...
    # market breadth (issue 13): one HTTP request each
    def news(self, symbol: str, count: int, now: datetime) -> NewsFeed: ...

    def screen(self, screen: Screen, region: str, now: datetime) -> ScreenResult: ...

    def option_chain(self, symbol: str, expiry: date | None, now: datetime) -> OptionChain: ...

    def profile(self, symbol: str, now: datetime) -> CompanyProfile: ...


@runtime_checkable
class MarksStale(Protocol):
    """A cached value that can say it was served stale, and why (news, chains, profiles)."""

    def as_stale(self, reason: str) -> Any: ...


def _stale(value: Any, reason: str) -> Any:
    return value.as_stale(reason) if isinstance(value, MarksStale) else value


@dataclass(slots=True)
class _Entry(Generic[T]):
    value: T | None  # None: Yahoo says there is no such thing
    fresh_until: float  # clock timestamp


@dataclass(slots=True)
class _Kept(Generic[T]):
    """A cached search or history answer (those are never "no such thing")."""

    value: T
    fresh_until: float  # clock timestamp


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    stale_served: int = 0

    @property
    def hit_ratio(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


@dataclass
class MarketData:
    client: QuoteSource
    calendar: MarketCalendar
    clock: Clock
    workers: int = 4
    budget: float = 2.5
    cache_stats: CacheStats = field(default_factory=CacheStats)
    shared: SharedCache = field(default_factory=NoSharing)

    def __post_init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="yahoo")
        self._quotes: dict[str, _Entry[Quote]] = {}
        self._inflight: dict[str, asyncio.Future[Quote | None]] = {}
        self._queued: list[str] = []
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._cooldown_until = 0.0
        self._cooldown = COOLDOWN_FIRST
        self._other: dict[tuple[Any, ...], _Kept[Any]] = {}
        self._earnings_dates: dict[str, _Entry[EarningsDate]] = {}  # issue 13, per symbol
        self._other_inflight: dict[tuple[Any, ...], asyncio.Future[Any]] = {}
        self._warming: asyncio.Future[None] | None = None  # _warmed(): imports under way/done
        self._history_library: asyncio.Future[None] | None = None  # yfinance, on first history

    @property
    def stats(self) -> UpstreamStats:
        return self.client.stats

    async def start(self) -> None:
        """Load the New York calendar and the Yahoo library now, before a command needs them."""
        await self._warmed()

    async def _warmed(self) -> None:
        """Wait until the calendar and yfinance are loaded, loading them on the first call.

        Every request waits for this before its budget starts: a process that skipped
        start() (one `orbitdesk ask`) pays the imports once, outside the budget.
        """
        if self._warming is None:
            self._warming = asyncio.ensure_future(self._run(self._warm))
        if not self._warming.done():
            await asyncio.shield(self._warming)

    def _warm(self) -> None:
        try:
            self.calendar.schedule("XNYS")
            warm = getattr(self.client, "warm", None)
            if warm is not None:
                warm()
        except Exception:  # each request loads what it needs again, and says what failed
            log.warning("loading the market calendar or yfinance ahead failed", exc_info=True)

    async def _history_library_loaded(self) -> None:
        """Load yfinance (and pandas) on the first history, before its budget starts.

        Quotes and the other JSON APIs never need it (bot/market/crumb.py); charts do.
        """
        if self._history_library is None:
            self._history_library = asyncio.ensure_future(self._run(self._load_history_library))
        if not self._history_library.done():
            await asyncio.shield(self._history_library)

    def _load_history_library(self) -> None:
        load = getattr(self.client, "load_history_library", None)  # YahooClient: yfinance
        try:
            if load is not None:
                load()
        except Exception:  # the history itself loads it again, and says what failed
            log.warning("loading yfinance for price history failed", exc_info=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ----------------------------------------------------------------------------- quotes

    async def quotes(self, symbols: Sequence[str], *, budget: float | None = None) -> QuoteBatch:
        """Quotes for Yahoo symbols (already resolved); never waits longer than the budget."""
        await self._warmed()
        now = self.clock.now().timestamp()
        found: dict[str, Quote] = {}
        missing: list[str] = []
        waits: dict[str, asyncio.Future[Quote | None]] = {}
        for symbol in dict.fromkeys(symbols):
            entry = self._quotes.get(symbol)
            if entry is not None and entry.fresh_until > now:
                self.cache_stats.hits += 1
                if entry.value is None:
                    missing.append(symbol)
                else:
                    found[symbol] = entry.value
            else:
                self.cache_stats.misses += 1
                waits[symbol] = self._request(symbol)
        failed: dict[str, str] = {}
        if waits:
            await asyncio.wait(set(waits.values()), timeout=budget or self.budget)
            for symbol, future in waits.items():
                if future.done() and future.exception() is None:
                    value = future.result()
                    if value is None:
                        missing.append(symbol)
                    else:
                        found[symbol] = value
                    continue
                reason = classify(future.exception()).reason if future.done() else "timeout"  # type: ignore[arg-type]
                entry = self._quotes.get(symbol)
                if entry is not None and entry.value is not None:
                    self.cache_stats.stale_served += 1
                    found[symbol] = entry.value.as_stale()
                failed[symbol] = reason
        ordered = {s: found[s] for s in symbols if s in found}
        return QuoteBatch(quotes=ordered, missing=tuple(missing), failed=failed)

    def _request(self, symbol: str) -> asyncio.Future[Quote | None]:
        future = self._inflight.get(symbol)
        if future is not None:
            return future
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        future.add_done_callback(_consume)
        self._inflight[symbol] = future
        self._queued.append(symbol)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        """Send every symbol queued during this loop turn, 50 to a request."""
        self._flush_scheduled = False
        batch, self._queued = self._queued, []
        for i in range(0, len(batch), QUOTE_CHUNK):
            self._spawn(self._fetch_chunk(batch[i : i + QUOTE_CHUNK]))

    async def _fetch_chunk(self, chunk: list[str]) -> None:
        results: dict[str, Quote | BaseException | None] = {}

        async def fetch(symbols: list[str]) -> None:
            try:
                got = await self._fetch_quotes(symbols)
            except Exception as exc:  # every symbol of the chunk fails the same way
                got = {s: exc for s in symbols}
            results.update(got)
            if self.shared.active:
                await self._publish_quotes(s for s, v in got.items() if not _failure(v))

        if self.shared.active:
            await self._shared_quotes(chunk, results, fetch)
        else:
            await fetch(chunk)
        for symbol in chunk:
            future = self._inflight.pop(symbol, None)
            if future is None or future.done():
                continue
            outcome = results.get(symbol)
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def _shared_quotes(
        self,
        chunk: list[str],
        results: dict[str, Quote | BaseException | None],
        fetch: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        """Take what other replicas fetched; fetch the rest once across all of them."""
        keys = {f"quote:{s}": s for s in chunk}

        def adopt(key: str, payload: bytes) -> bool:
            try:
                quote, fresh_until = QUOTE_ENTRY.loads(payload)
            except CodecError:
                return False
            if fresh_until <= self.clock.now().timestamp():
                return False
            symbol = keys[key]
            self._quotes[symbol] = _Entry(quote, fresh_until)
            results[symbol] = quote
            return True

        async def fetch_keys(won: list[str]) -> None:
            await fetch([keys[k] for k in won])

        await self._coordinate(list(keys), adopt, fetch_keys)

    async def _publish_quotes(self, symbols: Iterable[str]) -> None:
        now = self.clock.now().timestamp()
        items: dict[str, tuple[bytes, float]] = {}
        for symbol in symbols:
            entry = self._quotes.get(symbol)
            if entry is not None and entry.fresh_until > now:
                payload = QUOTE_ENTRY.dumps((entry.value, entry.fresh_until))
                items[f"quote:{symbol}"] = (payload, entry.fresh_until - now)
        await self.shared.put_many(items)

    async def _coordinate(
        self,
        keys: list[str],
        adopt: Callable[[str, bytes], bool],
        fetch: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        """Single flight across replicas: `adopt` each key some replica has cached; `fetch`
        (which publishes) the keys whose lock this process takes; wait for the others' locks
        to yield an answer, at most the budget, then fetch what is still missing ourselves."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.budget
        todo = keys
        waited = False
        while todo:
            found = await self.shared.get_many(todo)
            todo = [k for k in todo if not (k in found and adopt(k, found[k]))]
            if not todo:
                return
            if loop.time() >= give_up:
                await fetch(todo)  # the replica holding the lock is slow or gone
                return
            won, token = await self.shared.claim(todo)
            if won:
                mine = [k for k in todo if k in won]
                try:
                    # A replica may have published and let go between our look and our lock:
                    # look again before asking Yahoo (locks are taken after answers are kept).
                    found = await self.shared.get_many(mine)
                    rest = [k for k in mine if not (k in found and adopt(k, found[k]))]
                    if rest:
                        await fetch(rest)
                finally:
                    await self.shared.release(mine, token)
                todo = [k for k in todo if k not in won]
                if not todo:
                    return
            if not waited:
                waited = True
                self.shared.stats.waits += 1
            await asyncio.sleep(SHARED_POLL)

    async def _fetch_quotes(self, chunk: list[str]) -> dict[str, Quote | BaseException | None]:
        await self._check_cooldown()
        now = self.clock.now()
        try:
            found, missing, ttls = await self._run(self._batch_job, chunk, now)
        except Exception as exc:
            error = self._failed(exc)
            if error.reason not in FALLBACK_REASONS:
                raise error from None
            log.warning("v7 quote route failed (%s); falling back to charts", error.message)
            return await self._charts(chunk, now)
        self._cooldown = COOLDOWN_FIRST  # Yahoo answered: forget earlier rate limits
        if chunk and not found:
            # Nothing priced at all: an empty or null answer is how Yahoo glitches. Ask each
            # symbol's chart instead, whose 404 is the real proof that a symbol does not exist.
            return await self._charts(chunk, now)
        stamp = now.timestamp()
        results: dict[str, Quote | BaseException | None] = {}
        for symbol in chunk:
            quote = found.get(symbol.upper())
            if quote is not None:
                self._quotes[symbol] = _Entry(quote, stamp + ttls[quote.symbol])
                results[symbol] = quote
            elif symbol.upper() in missing and not self._known(symbol):
                self._quotes[symbol] = _Entry(None, stamp + MISSING_TTL)
                results[symbol] = None
            else:
                # Known a moment ago, or listed without a price: a failed fetch, not proof that
                # the symbol is gone. Keep the cached price (served stale) and ask again next time.
                results[symbol] = self._glitch(symbol)
        return results

    def _known(self, symbol: str) -> bool:
        entry = self._quotes.get(symbol)
        return entry is not None and entry.value is not None

    def _glitch(self, symbol: str) -> UpstreamError:
        self.stats.record_error("bad_answer")
        log.warning("Yahoo sent no price for %s; keeping the last one", symbol)
        return UpstreamError("bad_answer", f"Yahoo sent no price for {symbol} this time.")

    def _batch_job(
        self, chunk: list[str], now: datetime
    ) -> tuple[dict[str, Quote], list[str], dict[str, float]]:
        found, missing = self.client.fetch_quotes(chunk, now)
        ttls = {s: self.calendar.ttl(s, q.exchange_tz, q.quote_type, now) for s, q in found.items()}
        return found, missing, ttls

    async def _charts(
        self, chunk: list[str], now: datetime
    ) -> dict[str, Quote | BaseException | None]:
        outcomes = await asyncio.gather(*(self._chart(s, now) for s in chunk))
        return dict(zip(chunk, outcomes, strict=True))

    async def _chart(self, symbol: str, now: datetime) -> Quote | BaseException | None:
        try:
            quote = await self._run(self.client.fetch_chart_quote, symbol, now)
        except Exception as exc:
            error = self._failed(exc)
            if error.reason == "not_found":
                self._quotes[symbol] = _Entry(None, now.timestamp() + MISSING_TTL)
                return None
            return error
        ttl = await self._run(self.calendar.ttl, symbol, quote.exchange_tz, quote.quote_type, now)
        self._quotes[symbol] = _Entry(quote, now.timestamp() + ttl)
        return quote

    # ------------------------------------------------------------ earnings (issue 13)

    async def earnings_dates(
        self, symbols: Sequence[str], *, budget: float | None = None
    ) -> EarningsDates:
        """Next report dates for Yahoo symbols: one v7 request per 50 not cached (hours).

        Per symbol: a fresh cached date is used as is; the rest go to Yahoo together, and if
        Yahoo fails, an expired date is served marked stale.
        """
        now = self.clock.now().timestamp()
        found: dict[str, EarningsDate] = {}
        missing: list[str] = []
        expired: dict[str, EarningsDate] = {}
        need: list[str] = []
        for symbol in dict.fromkeys(symbols):
            entry = self._earnings_dates.get(symbol)
            if entry is not None and entry.fresh_until > now:
                self.cache_stats.hits += 1
                if entry.value is None:
                    missing.append(symbol)
                else:
                    found[symbol] = entry.value
                continue
            self.cache_stats.misses += 1
            need.append(symbol)
            if entry is not None and entry.value is not None:
                expired[symbol] = entry.value
        failed: dict[str, str] = {}
        if need:
            wanted = tuple(need)

            async def fetch() -> dict[str, EarningsDate]:
                found = await self._run(self._earnings_dates_job, wanted, self.clock.now())
                if not found and expired:
                    # Yahoo's empty-answer glitch: symbols it knew before did not vanish.
                    raise UpstreamError("bad_answer", "Yahoo sent an empty answer.")
                return found

            try:
                fetched: dict[str, EarningsDate] = await self._cached(
                    ("earnings_dates", wanted), fetch, lambda _: EARNINGS_TTL, budget
                )
            except UpstreamError as exc:
                for symbol in need:
                    failed[symbol] = exc.reason
                    if symbol in expired:
                        self.cache_stats.stale_served += 1
                        found[symbol] = expired[symbol].as_stale()
            else:
                # Per-symbol entries are the cache; the batch entry only served single-flight
                # (left in place it would come back, unmarked, as a stale answer on failure).
                self._other.pop(("earnings_dates", wanted), None)
                stamp = self.clock.now().timestamp()
                for symbol in need:
                    value = fetched.get(symbol.upper())
                    life = EARNINGS_TTL if value is not None else MISSING_TTL
                    self._earnings_dates[symbol] = _Entry(value, stamp + life)
                    if value is None:
                        missing.append(symbol)
                    else:
                        found[symbol] = value
        ordered = {s: found[s] for s in symbols if s in found}
        return EarningsDates(dates=ordered, missing=tuple(missing), failed=failed)

    def _earnings_dates_job(self, symbols: Sequence[str], now: datetime) -> dict[str, EarningsDate]:
        out: dict[str, EarningsDate] = {}
        for i in range(0, len(symbols), QUOTE_CHUNK):
            out.update(self.client.fetch_earnings_dates(symbols[i : i + QUOTE_CHUNK], now))
        return out

    async def earnings_detail(self, symbol: str, *, budget: float | None = None) -> EarningsDetail:
        """Estimates and the last four quarters for one symbol (one request, cached hours).

        Raises UpstreamError; when Yahoo fails after an earlier answer, that answer comes back
        (its `fetched_at` tells how old it is).
        """

        async def fetch() -> EarningsDetail:
            return await self._run(self.client.fetch_earnings_detail, symbol, self.clock.now())

        result: EarningsDetail = await self._cached(
            ("earnings_detail", symbol), fetch, lambda _: EARNINGS_TTL, budget
        )
        return result

    # ----------------------------------------------------------------- search and history

    async def search(self, query: str, *, budget: float | None = None) -> list[SearchHit]:
        """Yahoo's symbol search (cached a day). Raises UpstreamError."""
        key = ("search", query.strip().lower())
        result: list[SearchHit] = await self._cached(
            key, lambda: self._run(self.client.search, query), lambda _: SEARCH_TTL, budget
        )
        return result

    async def history(
        self,
        symbol: str,
        period: str,
        interval: str,
        *,
        prepost: bool = False,
        budget: float | None = None,
    ) -> History:
        """Bars for one symbol and range (cached by market session). Raises UpstreamError."""
        key = ("history", symbol, period, interval, prepost)
        await self._history_library_loaded()

        async def fetch() -> History:
            now = self.clock.now()
            # The time zone a quote already told us spares yfinance its own look-up request.
            known = self._quotes.get(symbol)
            tz = known.value.exchange_tz if known is not None and known.value else None
            return await self._run(
                self.client.history, symbol, period, interval, prepost, now, tz or None
            )

        def ttl(value: History) -> float:
            base = self.calendar.ttl(symbol, value.exchange_tz, "EQUITY", self.clock.now())
            return base * 4 if interval.endswith(("m", "h")) else max(base * 20, 300.0)

        result: History = await self._cached(key, fetch, ttl, budget)
        return result

    # ------------------------------------------- market breadth: news, movers, options, profile

    def _trading_ttl(self, trading: float, shut: float) -> float:
        """`trading` while US markets trade (pre-market to after hours), else `shut`."""
        base = self.calendar.ttl("SPY", "America/New_York", "EQUITY", self.clock.now())
        return trading if base < shut else shut

    async def news(self, symbols: Sequence[str], *, budget: float | None = None) -> NewsBatch:
        """Each symbol's latest headlines (no symbols: market news), fetched side by side.

        One request per symbol not cached; a stream stays fresh for minutes. A symbol whose
        fetch fails is listed in `failed`; a cached stream is served stale instead if there is one.
        """
        wanted = list(dict.fromkeys(symbols)) or [MARKET_NEWS_SYMBOL]

        async def one(symbol: str) -> NewsFeed:
            async def fetch() -> NewsFeed:
                return await self._run(self.client.news, symbol, NEWS_COUNT, self.clock.now())

            feed: NewsFeed = await self._cached(
                ("news", symbol),
                fetch,
                lambda _: self._trading_ttl(NEWS_TTL_TRADING, NEWS_TTL_SHUT),
                budget,
            )
            return feed

        outcomes = await asyncio.gather(*(one(s) for s in wanted), return_exceptions=True)
        feeds: dict[str, NewsFeed] = {}
        failed: dict[str, str] = {}
        for symbol, outcome in zip(wanted, outcomes, strict=True):
            if isinstance(outcome, NewsFeed):
                feeds[symbol] = outcome
            elif isinstance(outcome, UpstreamError):
                failed[symbol] = outcome.reason
            elif isinstance(outcome, BaseException):
                failed[symbol] = classify(outcome).reason
        return NewsBatch(feeds=feeds, failed=failed)

    async def movers(
        self, screen: Screen, region: str = "US", *, budget: float | None = None
    ) -> ScreenResult:
        """A day-mover screen's top 25 (cached about a minute while markets trade)."""

        async def fetch() -> ScreenResult:
            return await self._run(self.client.screen, screen, region, self.clock.now())

        result: ScreenResult = await self._cached(
            ("screen", screen.value, region),
            fetch,
            lambda _: self._trading_ttl(SCREEN_TTL_TRADING, SCREEN_TTL_SHUT),
            budget,
        )
        return result

    async def option_chain(
        self, symbol: str, expiry: date | None = None, *, budget: float | None = None
    ) -> OptionChain:
        """One expiry's chain (None: the nearest) with the list of expiries.

        Fresh for seconds while the underlying trades, until near the next open otherwise.
        """
        from bot.market.options import OPTIONS_TTL_OPEN

        async def fetch() -> OptionChain:
            return await self._run(self.client.option_chain, symbol, expiry, self.clock.now())

        def ttl(chain: OptionChain) -> float:
            quote = chain.underlying
            tz = quote.exchange_tz if quote else "America/New_York"
            base = self.calendar.ttl(symbol, tz, "EQUITY", self.clock.now())
            return max(OPTIONS_TTL_OPEN, base)

        result: OptionChain = await self._cached(("options", symbol, expiry), fetch, ttl, budget)
        return result

    async def profile(self, symbol: str, *, budget: float | None = None) -> CompanyProfile:
        """Company profile, key statistics and analysts' view in one request (cached a day)."""

        async def fetch() -> CompanyProfile:
            return await self._run(self.client.profile, symbol, self.clock.now())

        result: CompanyProfile = await self._cached(
            ("profile", symbol), fetch, lambda _: PROFILE_TTL, budget
        )
        return result

    async def _cached(
        self,
        key: tuple[Any, ...],
        fetch: Callable[[], Awaitable[T]],
        ttl: Callable[[T], float],
        budget: float | None,
    ) -> T:
        await self._warmed()
        now = self.clock.now().timestamp()
        entry = self._other.get(key)
        if entry is not None and entry.fresh_until > now:
            self.cache_stats.hits += 1
            value: T = entry.value
            return value
        self.cache_stats.misses += 1
        future = self._other_inflight.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            future.add_done_callback(_consume)
            self._other_inflight[key] = future
            self._spawn(self._fill(key, fetch, ttl, future))
        try:
            return await asyncio.wait_for(asyncio.shield(future), budget or self.budget)
        except TimeoutError:
            if entry is not None:
                self.cache_stats.stale_served += 1
                stale: T = _stale(entry.value, "timeout")
                return stale
            raise UpstreamError("timeout", "Yahoo did not answer in time.") from None
        except UpstreamError as exc:
            if entry is not None and entry.value is not None:
                self.cache_stats.stale_served += 1
                kept: T = _stale(entry.value, exc.reason)
                return kept
            raise

    async def _fill(
        self,
        key: tuple[Any, ...],
        fetch: Callable[[], Awaitable[T]],
        ttl: Callable[[T], float],
        future: asyncio.Future[Any],
    ) -> None:
        try:
            codec = SHARED_KINDS.get(key[0]) if self.shared.active else None
            if codec is None:
                value = await self._fetch_kept(key, fetch, ttl)
            else:
                name = ":".join(str(part) for part in key)
                box: list[T] = []

                def adopt(_: str, payload: bytes) -> bool:
                    try:
                        shared, fresh_until = load_kept(codec, payload)
                    except CodecError:
                        return False
                    if fresh_until <= self.clock.now().timestamp():
                        return False
                    self._other[key] = _Kept(shared, fresh_until)
                    box.append(shared)
                    return True

                async def fetch_and_publish(_: list[str]) -> None:
                    fetched = await self._fetch_kept(key, fetch, ttl)
                    box.append(fetched)
                    kept = self._other[key]
                    left = kept.fresh_until - self.clock.now().timestamp()
                    if left > 0:
                        payload = dump_kept(codec, fetched, kept.fresh_until)
                        await self.shared.put_many({name: (payload, left)})

                await self._coordinate([name], adopt, fetch_and_publish)
                value = box[-1]
            future.set_result(value)
        except UpstreamError as exc:
            future.set_exception(exc)
        except Exception as exc:
            future.set_exception(self._failed(exc))
        finally:
            self._other_inflight.pop(key, None)

    async def _fetch_kept(
        self,
        key: tuple[Any, ...],
        fetch: Callable[[], Awaitable[T]],
        ttl: Callable[[T], float],
    ) -> T:
        """Ask Yahoo (unless cooling down) and keep the answer in this process's cache."""
        await self._check_cooldown()
        try:
            value = await fetch()
        except Exception as exc:
            raise self._failed(exc) from None
        lifetime = await self._run(ttl, value)
        self._other[key] = _Kept(value, self.clock.now().timestamp() + lifetime)
        return value

    # ----------------------------------------------------------------------------- plumbing

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, func, *args)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _check_cooldown(self) -> None:
        if time.monotonic() >= self._cooldown_until and self.shared.active:
            left = await self.shared.cooldown()  # another replica's 429 counts here too
            if left > 0:
                self._cooldown_until = time.monotonic() + left
        if time.monotonic() < self._cooldown_until:
            raise UpstreamError(
                "rate_limited", "Yahoo is rate-limiting us; pausing requests for a moment."
            )

    def _failed(self, exc: BaseException) -> UpstreamError:
        error = classify(exc)
        self.stats.record_error(error.reason)
        if error.reason != "not_found":
            log.warning("Yahoo request failed: %s (%s)", error.reason, exc)
        self.client.reset_after_failure()
        if error.reason == "rate_limited":
            self._cooldown_until = time.monotonic() + self._cooldown
            if self.shared.active:
                self._spawn(self.shared.start_cooldown(self._cooldown))
            self._cooldown = min(self._cooldown * 2, COOLDOWN_MAX)
        return error


def _failure(outcome: Quote | BaseException | None) -> bool:
    return isinstance(outcome, BaseException)


def _consume(future: asyncio.Future[Any]) -> None:
    """Mark a shared future's exception as seen: its waiters may all have given up."""
    if not future.cancelled():
        future.exception()
