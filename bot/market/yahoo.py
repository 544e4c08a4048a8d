"""Blocking calls to Yahoo, and their failures sorted into a few reasons.

Yahoo's JSON APIs go through our own cookie/crumb session (bot/market/crumb.py); yfinance
(and pandas under it, ~90 MB) loads only for price history (charts). Everything here runs in
the market service's own thread pool, never on the event loop.
"""

from __future__ import annotations

import functools
import logging
import math
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from bot.errors import UpstreamError
from bot.market.crumb import CrumbSession
from bot.market.earnings import EarningsDate, EarningsDetail
from bot.market.news import NewsFeed, fetch_news
from bot.market.profile import CompanyProfile, fetch_profile
from bot.market.screeners import Screen, ScreenResult, fetch_screen
from bot.market.transport import UpstreamStats, YahooSession
from bot.market.types import Bar, ExtendedPrice, History, MarketState, Quote, SearchHit
from bot.market.upstream_json import answer_json
from bot.market.yahoo_earnings import fetch_earnings_dates, fetch_earnings_detail

if TYPE_CHECKING:
    from types import ModuleType

    from bot.market.options import OptionChain

# yfinance (and pandas under it, ~90 MB) loads with the first price history, not at import nor
# for quotes, search, earnings, news, screeners, options or profiles.

log = logging.getLogger(__name__)

QUOTE_URL = "https://query1.finance.yahoo.com/v7/finance/quote"
CHART_URL = "https://query2.finance.yahoo.com/v8/finance/chart/{symbol}"
SEARCH_URL = "https://query2.finance.yahoo.com/v1/finance/search"
# Yahoo answers a few hundred symbols per quote request; stay well below URL-length trouble.
QUOTE_CHUNK = 50

P = ParamSpec("P")
R = TypeVar("R")

_configure_lock = threading.Lock()
_configured_dir: Path | None = None


def configure_yfinance(cache_dir: Path) -> ModuleType:
    """Import yfinance and set it up for the process, once; returns the module.

    Must run before its first request (yfinance ignores later moves of its cache).
    """
    global _configured_dir
    import pandas as pd
    import yfinance as yf

    with _configure_lock:
        if _configured_dir is not None:
            return yf
        cache_dir.mkdir(parents=True, exist_ok=True)
        yf.set_tz_cache_location(str(cache_dir))
        # With hidden exceptions, failures turn into empty frames depending on call history;
        # we classify them ourselves instead.
        yf.config.debug.hide_exceptions = False
        yf.config.network.retries = 0
        warnings.filterwarnings("ignore", module="yfinance")
        pandas_future = getattr(pd.errors, "Pandas4Warning", None)
        if pandas_future is not None:  # yfinance on pandas 3 warns on every call
            warnings.filterwarnings("ignore", category=pandas_future)
        logging.getLogger("yfinance").setLevel(logging.CRITICAL)
        _configured_dir = cache_dir
    return yf


def remember_time_zone(symbol: str, exchange_tz: str) -> None:
    """Put a symbol's zone in yfinance's time-zone cache (the one set_tz_cache_location
    places), unless it is there already; never fails a request."""
    try:
        from yfinance import cache as yf_cache  # loaded with yfinance, on first use

        cache = yf_cache.get_tz_cache()
        if cache.lookup(symbol) != exchange_tz:
            cache.store(symbol, exchange_tz)
    except Exception:  # a cache yfinance could not open: it asks Yahoo, as before
        log.debug("yfinance time-zone cache unavailable", exc_info=True)


def server_error(status: int | None) -> UpstreamError:
    """Yahoo answered HTTP 5xx: it is failing, not us and not the symbol."""
    code = f"HTTP {status}" if status else "a server error"
    return UpstreamError(
        "server_error", f"Yahoo Finance is having trouble ({code}); try again in a minute."
    )


def classify(exc: BaseException) -> UpstreamError:
    """Sort any failure from yfinance or the transport into an UpstreamError."""
    if isinstance(exc, UpstreamError):
        return exc
    from curl_cffi.requests import exceptions as curl_exc

    # yfinance's own exceptions can only come from yfinance, once loaded (by a history call);
    # importing it here would load it (and pandas) for every failed quote.
    yf_exc = sys.modules.get("yfinance.exceptions")
    if yf_exc is not None:
        if isinstance(exc, yf_exc.YFRateLimitError):
            return UpstreamError(
                "rate_limited", "Yahoo is rate-limiting us; try again in a minute."
            )
        if isinstance(exc, yf_exc.YFTickerMissingError | yf_exc.YFInvalidPeriodError):
            return UpstreamError("not_found", "Yahoo has no data for that.")
        if isinstance(exc, yf_exc.YFException):
            return UpstreamError("bad_answer", "Yahoo sent an answer we could not read.")
    if isinstance(exc, curl_exc.HTTPError):  # before RequestException: it is a subclass
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 404:
            return UpstreamError("not_found", "Yahoo has no data for that.")
        if status == 429:
            return UpstreamError(
                "rate_limited", "Yahoo is rate-limiting us; try again in a minute."
            )
        if isinstance(status, int) and status >= 500:
            return server_error(status)
        return UpstreamError("bad_answer", f"Yahoo answered with an error (HTTP {status}).")
    if isinstance(exc, curl_exc.Timeout | TimeoutError):
        return UpstreamError("timeout", "Yahoo did not answer in time.")
    if isinstance(exc, curl_exc.RequestException | OSError):
        return UpstreamError("unreachable", "Yahoo Finance cannot be reached right now.")
    if isinstance(exc, ValueError | KeyError | TypeError | IndexError):
        return UpstreamError("bad_answer", "Yahoo sent an answer we could not read.")
    return UpstreamError("bad_answer", f"Yahoo request failed ({type(exc).__name__}).")


class NoBarsError(UpstreamError):
    """Yahoo knows the symbol but has no bars in the range asked for (a weekend, a new listing).

    Its reason stays "not_found" for callers that only look at the reason; commands that can
    say something better ("no data for that range") catch this subclass first.
    """

    def __init__(self, message: str) -> None:
        super().__init__("not_found", message)


def _num(value: Any) -> float | None:
    if isinstance(value, dict):  # formatted=true style {"raw": 1.2, "fmt": "1.20"}
        value = value.get("raw")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _ts(value: Any) -> datetime | None:
    if isinstance(value, datetime):  # yfinance's history_metadata turns epochs into Timestamps
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    number = _num(value)
    return datetime.fromtimestamp(number, UTC) if number else None


def _extended(row: dict[str, Any], prefix: str) -> ExtendedPrice | None:
    price = _num(row.get(f"{prefix}Price"))
    if not price:  # absent or 0: Yahoo's way of saying there is none
        return None
    return ExtendedPrice(
        price=price,
        change=_num(row.get(f"{prefix}Change")),
        change_pct=_num(row.get(f"{prefix}ChangePercent")),
        time=_ts(row.get(f"{prefix}Time")),
    )


def quote_from_v7(row: dict[str, Any], fetched_at: datetime) -> Quote | None:
    """One result object of /v7/finance/quote as a Quote; None when it carries no price."""
    price = _num(row.get("regularMarketPrice"))
    symbol = row.get("symbol")
    if price is None or not isinstance(symbol, str):
        return None
    state = MarketState.from_yahoo(row.get("marketState"))
    volume = _num(row.get("regularMarketVolume"))
    return Quote(
        symbol=symbol.upper(),
        name=str(row.get("longName") or row.get("shortName") or row.get("displayName") or symbol),
        price=price,
        currency=str(row.get("currency") or ""),
        exchange=str(row.get("fullExchangeName") or row.get("exchange") or ""),
        exchange_tz=str(row.get("exchangeTimezoneName") or "UTC"),
        as_of=_ts(row.get("regularMarketTime")) or fetched_at,
        change=_num(row.get("regularMarketChange")),
        change_pct=_num(row.get("regularMarketChangePercent")),
        previous_close=_num(row.get("regularMarketPreviousClose")),
        open=_num(row.get("regularMarketOpen")),
        day_low=_num(row.get("regularMarketDayLow")),
        day_high=_num(row.get("regularMarketDayHigh")),
        volume=int(volume) if volume is not None else None,
        market_cap=_num(row.get("marketCap")),
        year_low=_num(row.get("fiftyTwoWeekLow")),
        year_high=_num(row.get("fiftyTwoWeekHigh")),
        market_state=state,
        quote_type=str(row.get("quoteType") or "EQUITY"),
        pre_market=_extended(row, "preMarket") if state is MarketState.PRE else None,
        post_market=_extended(row, "postMarket")
        if state in (MarketState.POST, MarketState.CLOSED)
        else None,
        delay_minutes=int(_num(row.get("exchangeDataDelayedBy")) or 0),
        route="quote",
        fetched_at=fetched_at,
    )


def _reports_server_errors(
    method: Callable[Concatenate[YahooClient, P], R],
) -> Callable[Concatenate[YahooClient, P], R]:
    """A failure after Yahoo answered 5xx is Yahoo failing, whatever yfinance raised.

    (yfinance parses the 5xx error page as JSON and raises a decode error, which on its own
    reads as "an answer we could not read".)
    """

    @functools.wraps(method)
    def watched(self: YahooClient, *args: P.args, **kwargs: P.kwargs) -> R:
        self.session.begin_call()
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            status = self.session.server_error()
            if status is not None and classify(exc).reason == "bad_answer":
                raise server_error(status) from exc
            raise

    return watched


class YahooClient:
    """Yahoo behind one capped session. Methods block; call them from worker threads.

    JSON requests go through `crumbs` (our cookie/crumb session); yfinance, imported on the
    first history, shares the same HTTP session and is handed the crumb we already hold.
    """

    def __init__(
        self, *, base_url: str | None, timeout_cap: float, cache_dir: Path, stats: UpstreamStats
    ) -> None:
        self.cache_dir = cache_dir
        self.stats = stats
        self.session = YahooSession(base_url=base_url, timeout_cap=timeout_cap, stats=stats)
        self.crumbs = CrumbSession(self.session)
        self.timeout_cap = timeout_cap

    def warm(self) -> None:
        """Nothing heavy to load ahead: quotes need only curl_cffi, already loaded.

        yfinance waits for the first price history (load_history_library)."""

    def load_history_library(self) -> None:
        """Import and set up yfinance (and pandas) now, blocking: before a history's budget."""
        self._yf()

    def _yf(self) -> ModuleType:
        """yfinance, imported and configured on first use."""
        yf = configure_yfinance(self.cache_dir)
        self._share_crumb(yf)
        return yf

    def _share_crumb(self, yf: ModuleType) -> None:
        """Give yfinance's session singleton our session and crumb, so that its first history
        does not fetch a cookie and crumb of its own (private attributes: best effort)."""
        data = yf.data.YfData(session=self.session)
        crumb = self.crumbs.crumb
        try:
            if crumb is not None and getattr(data, "_crumb", None) is None:
                data._crumb = crumb
                data._cookie = True
        except Exception:  # a yfinance without these attributes fetches its own: still works
            log.debug("could not share the crumb with yfinance", exc_info=True)

    def reset_after_failure(self) -> None:
        """yfinance memoises responses (error pages too) in an lru_cache: forget them."""
        if "yfinance.data" in sys.modules:  # never loaded: nothing memoised, nothing to load
            sys.modules["yfinance.data"].YfData.cache_get.cache_clear()

    @_reports_server_errors
    def fetch_quotes(
        self, symbols: Sequence[str], now: datetime
    ) -> tuple[dict[str, Quote], list[str]]:
        """Quotes for many symbols in one request to Yahoo's v7 quote endpoint.

        Returns (found, missing): `missing` holds the symbols Yahoo left out of its answer; a
        symbol in neither came back without a price. Sent with our cookie and crumb.
        """
        params = {
            "symbols": ",".join(symbols),
            "formatted": "false",
            "lang": "en-US",
            "region": "US",
        }
        payload = self.crumbs.get_raw_json(QUOTE_URL, params=params, timeout=self.timeout_cap)
        body = payload.get("quoteResponse") if isinstance(payload, dict) else None
        if not isinstance(body, dict) or not isinstance(body.get("result"), list):
            raise ValueError("quoteResponse.result missing")
        found: dict[str, Quote] = {}
        listed: set[str] = set()  # symbols Yahoo answered for, with or without a price
        for row in body["result"]:
            if not isinstance(row, dict):
                continue
            if isinstance(row.get("symbol"), str):
                listed.add(row["symbol"].upper())
            if (quote := quote_from_v7(row, now)) is not None:
                found[quote.symbol] = quote
        # Only symbols Yahoo left out entirely may be unknown; a row without a price is a
        # glitch for a symbol that exists.
        missing = [s for s in symbols if s.upper() not in listed]
        return found, missing

    # ---- earnings (issue 13): one v7 request for many symbols' dates, one quoteSummary each

    @_reports_server_errors
    def fetch_earnings_dates(
        self, symbols: Sequence[str], now: datetime
    ) -> dict[str, EarningsDate]:
        return fetch_earnings_dates(self.crumbs, symbols, now, self.timeout_cap)

    @_reports_server_errors
    def fetch_earnings_detail(self, symbol: str, now: datetime) -> EarningsDetail:
        return fetch_earnings_detail(self.crumbs, symbol, now, self.timeout_cap)

    # ---- end earnings

    @_reports_server_errors
    def fetch_chart_quote(self, symbol: str, now: datetime) -> Quote:
        """A quote from five days of daily bars: the fallback when the batch route fails.

        One v8 chart request read as JSON (no yfinance: a failing quote route must not load
        pandas to answer)."""
        params = {
            "range": "5d",
            "interval": "1d",
            "includePrePost": "false",
            "events": "div,splits,capitalGains",
        }
        response = self.crumbs.get(
            CHART_URL.format(symbol=symbol), params=params, timeout=self.timeout_cap
        )
        meta, closes, volumes = _chart_bars(answer_json(response), symbol)
        price = _num(meta.get("regularMarketPrice")) or closes[-1]
        previous = closes[-2] if len(closes) >= 2 else _num(meta.get("chartPreviousClose"))
        change = price - previous if previous else None
        volume = volumes[-1]
        return Quote(
            symbol=str(meta.get("symbol") or symbol).upper(),
            name=str(meta.get("longName") or meta.get("shortName") or symbol),
            price=price,
            currency=str(meta.get("currency") or ""),
            exchange=str(meta.get("fullExchangeName") or meta.get("exchangeName") or ""),
            exchange_tz=str(meta.get("exchangeTimezoneName") or "UTC"),
            as_of=_ts(meta.get("regularMarketTime")) or now,
            change=change,
            change_pct=(change / previous * 100) if change is not None and previous else None,
            previous_close=previous,
            day_low=_num(meta.get("regularMarketDayLow")),
            day_high=_num(meta.get("regularMarketDayHigh")),
            volume=int(volume) if volume is not None else None,
            year_low=_num(meta.get("fiftyTwoWeekLow")),
            year_high=_num(meta.get("fiftyTwoWeekHigh")),
            market_state=_state_from_periods(meta, now),
            quote_type=str(meta.get("instrumentType") or "EQUITY"),
            route="chart",
            fetched_at=now,
        )

    @_reports_server_errors
    def search(self, query: str) -> list[SearchHit]:
        """Yahoo's symbol search, with the parameters yfinance's Search sends."""
        params = {
            "q": query,
            "quotesCount": 8,
            "enableFuzzyQuery": False,
            "newsCount": 0,
            "quotesQueryId": "tss_match_phrase_query",
            "newsQueryId": "news_cie_vespa",
            "listsCount": 0,
            "enableCb": False,
            "enableNavLinks": False,
            "enableResearchReports": False,
            "enableCulturalAssets": False,
            "recommendedCount": 8,
        }
        response = self.crumbs.get(SEARCH_URL, params=params, timeout=self.timeout_cap)
        if getattr(response, "status_code", 0) == 404:  # yfinance read this as no matches
            return []
        payload = answer_json(response)
        rows = payload.get("quotes") if isinstance(payload, dict) else None
        hits = []
        for row in rows if isinstance(rows, list) else []:
            symbol = row.get("symbol") if isinstance(row, dict) else None
            if not isinstance(symbol, str):  # Crunchbase rows carry no symbol
                continue
            hits.append(
                SearchHit(
                    symbol=symbol.upper(),
                    name=str(row.get("longname") or row.get("shortname") or symbol),
                    exchange=str(row.get("exchDisp") or row.get("exchange") or ""),
                    quote_type=str(row.get("quoteType") or ""),
                )
            )
        return hits

    @_reports_server_errors
    def history(
        self,
        symbol: str,
        period: str,
        interval: str,
        prepost: bool,
        now: datetime,
        exchange_tz: str | None = None,
    ) -> History:
        """Bars for a symbol over a Yahoo range ("1d", "5d", "1mo", ..., "max").

        `exchange_tz` (the symbol's zone, when a quote told us): yfinance asks Yahoo for a
        symbol's time zone before its first history in a process, one more chart request per
        symbol and process; given the zone, its time-zone cache already holds it."""
        yf = self._yf()
        if exchange_tz:
            remember_time_zone(symbol, exchange_tz)
        ticker = yf.Ticker(symbol, session=self.session)
        try:
            # No raise_errors=True (deprecated): configure_yfinance already makes it raise.
            frame = ticker.history(
                period=period, interval=interval, prepost=prepost, auto_adjust=False
            )
        except (
            yf.exceptions.YFPricesMissingError
        ) as exc:  # the symbol exists (its 404 raises elsewhere)
            raise NoBarsError(f"Yahoo has no {period} data for {symbol}.") from exc
        meta = ticker.history_metadata or {}
        if frame is None or frame.empty:
            raise NoBarsError(f"Yahoo has no {period} data for {symbol}.")
        bars = []
        for stamp, row in frame.iterrows():
            close = float(row["Close"])
            if close != close:  # NaN: a bar Yahoo left empty
                continue
            volume = row.get("Volume")
            bars.append(
                Bar(
                    time=stamp.to_pydatetime().astimezone(UTC),
                    open=float(row["Open"]),
                    high=float(row["High"]),
                    low=float(row["Low"]),
                    close=close,
                    volume=int(volume) if volume == volume and volume is not None else 0,
                )
            )
        return History(
            symbol=str(meta.get("symbol") or symbol).upper(),
            name=str(meta.get("longName") or meta.get("shortName") or symbol),
            currency=str(meta.get("currency") or ""),
            exchange_tz=str(meta.get("exchangeTimezoneName") or "UTC"),
            interval=interval,
            range=period,
            bars=tuple(bars),
            sessions=tuple(_regular_sessions(meta)),
            fetched_at=now,
            previous_close=_num(meta.get("previousClose")) or _num(meta.get("chartPreviousClose")),
            as_of=_ts(meta.get("regularMarketTime")),
        )

    # --- market breadth (issue 13): news, screeners, options, profiles -----------------
    # Sent through our cookie/crumb session (capped timeouts); parsed in their own modules.
    # Each is one HTTP request.

    def news(self, symbol: str, count: int, now: datetime) -> NewsFeed:
        return fetch_news(self.crumbs, symbol, count, self.timeout_cap, now)

    def screen(self, screen: Screen, region: str, now: datetime) -> ScreenResult:
        return fetch_screen(self.crumbs, screen, region, self.timeout_cap, now)

    def option_chain(self, symbol: str, expiry: date | None, now: datetime) -> OptionChain:
        from bot.market.options import fetch_chain  # options reads quotes with quote_from_v7

        return fetch_chain(self.crumbs, symbol, expiry, self.timeout_cap, now)

    def profile(self, symbol: str, now: datetime) -> CompanyProfile:
        return fetch_profile(self.crumbs, symbol, self.timeout_cap, now)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _chart_bars(
    payload: Any, symbol: str
) -> tuple[dict[str, Any], list[float], list[float | None]]:
    """A v8 chart answer's meta, its closes and their volumes (bars without a close dropped).

    Raises UpstreamError "not_found" when Yahoo has no bars for the symbol."""
    chart = payload.get("chart") if isinstance(payload, dict) else None
    if not isinstance(chart, dict):
        raise ValueError("chart missing")
    results = chart.get("result")
    if not results:  # {"result": null, "error": {"code": "Not Found", ...}}
        raise UpstreamError("not_found", f"Yahoo has no data for {symbol}.")
    first = results[0]
    if not isinstance(first, dict):
        raise ValueError("chart.result[0] is not an object")
    meta = first.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    indicators = first.get("indicators")
    quotes = indicators.get("quote") if isinstance(indicators, dict) else None
    bars = quotes[0] if isinstance(quotes, list) and quotes and isinstance(quotes[0], dict) else {}
    raw_closes = _list(bars.get("close"))
    raw_volumes = _list(bars.get("volume"))
    closes: list[float] = []
    volumes: list[float | None] = []
    for i, close in enumerate(raw_closes):
        value = _num(close)
        if value is None:  # a bar Yahoo left empty
            continue
        closes.append(value)
        volumes.append(_num(raw_volumes[i]) if i < len(raw_volumes) else None)
    if not closes:
        raise UpstreamError("not_found", f"Yahoo has no data for {symbol}.")
    return meta, closes, volumes


def _state_from_periods(meta: dict[str, Any], now: datetime) -> MarketState:
    """Market state from the chart meta's current trading periods (pre, regular, post)."""
    periods = meta.get("currentTradingPeriod") or {}
    for key, state in (
        ("pre", MarketState.PRE),
        ("regular", MarketState.OPEN),
        ("post", MarketState.POST),
    ):
        period = periods.get(key) or {}
        # yfinance's history_metadata holds these as Timestamps; raw Yahoo JSON as epochs.
        start, end = _ts(period.get("start")), _ts(period.get("end"))
        if start and end and start <= now < end:
            return state
    return MarketState.CLOSED


def _regular_sessions(meta: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    periods = meta.get("tradingPeriods")
    pd = sys.modules.get("pandas")  # a frame comes from yfinance only, which loaded pandas
    if pd is not None and isinstance(periods, pd.DataFrame):
        # yfinance's history_metadata holds tradingPeriods as a frame with one row per day
        # (start/end, plus pre_*/post_* with prepost), not as Yahoo's raw lists.
        if not {"start", "end"} <= set(periods.columns):
            return []
        return [
            (
                pd.Timestamp(s).to_pydatetime().astimezone(UTC),
                pd.Timestamp(e).to_pydatetime().astimezone(UTC),
            )
            for s, e in zip(periods["start"], periods["end"], strict=True)
            if pd.notna(s) and pd.notna(e)
        ]
    if isinstance(periods, dict):
        periods = periods.get("regular")
    out = []
    if isinstance(periods, list):
        for day in periods:
            for period in day if isinstance(day, list) else [day]:
                if isinstance(period, dict):
                    start, end = _ts(period.get("start")), _ts(period.get("end"))
                    if start and end:
                        out.append((start, end))
    return out
