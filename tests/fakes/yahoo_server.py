"""A fake Yahoo Finance on 127.0.0.1 that the real yfinance talks to over HTTP.

The bot reaches it through ORBITDESK_YAHOO_BASE_URL: `https://HOST/PATH?Q` arrives here as
`/HOST/PATH?Q`. Response shapes follow the recorded captures in research/yahoo-formats.md:
the v7 quote envelope (86-key equity objects trimmed to the keys that matter, pre/post fields
only in the states Yahoo sends them), v8 chart meta with integer times and validRanges, v1
search with a symbol-less Crunchbase row, 401 "Invalid Crumb" without a crumb, plain-text
"Edge: Too Many Requests" for 429, and 404 chart errors for unknown symbols.

Failure modes are switched per endpoint with `fail(endpoint, mode)`:
  "401" (Invalid Crumb), "404", "429", "500" (an HTML error page), "garbage" (200 with
  HTML), "hang" (never answers until released), "empty" (quote only: 200 with an empty result
  list) and "null" (quote only: 200 with each row's prices null, as Yahoo glitches), or None
  to heal. Every request is recorded in `requests`. `consent_wall = True` plays Yahoo's EU
  consent wall: no cookie from fc.yahoo.com, one from the consent form.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import pandas as pd

from tests.fakes import yahoo_breadth as breadth
from tests.fakes.yahoo_earnings import (
    FakeEarnings,
    default_earnings,
    quote_fields,
    with_earnings,
)

CRUMB = "fAkeCrumb123"
CONSENT_TOKEN = "csrf-tok-42"
CONSENT_SESSION = "3_cc-session_0f1e"
COOKIE = "A3=d=AQABBfake&S=AQAAAfake"
VALID_RANGES = ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]
RANGE_DAYS = {
    "1d": 1,
    "5d": 5,
    "1mo": 31,
    "3mo": 92,
    "6mo": 183,
    "1y": 366,
    "2y": 731,
    "5y": 1827,
    "10y": 3653,
    "max": 3653,
}
INTERVAL_SECONDS = {
    "1m": 60,
    "2m": 120,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "60m": 3600,
    "1h": 3600,
    "90m": 5400,
}
ENDPOINTS = (
    "cookie",
    "crumb",
    "quote",
    "chart",
    "search",
    "quoteSummary",
    "timeseries",
    # market breadth (issue 13): tests/fakes/yahoo_breadth.py builds these answers
    "news",
    "options",
    "screener",
)


@dataclass
class FakeSymbol:
    """One listing the fake knows, with the numbers its answers are built from."""

    symbol: str
    name: str
    price: float
    previous_close: float
    currency: str = "USD"
    exchange: str = "NMS"
    full_exchange: str = "NasdaqGS"
    tz: str = "America/New_York"
    quote_type: str = "EQUITY"
    calendar: str | None = "XNYS"  # None: trades every day (crypto)
    market_state: str | None = None  # None: from the calendar at the fake's "now"
    pre_price: float | None = None
    post_price: float | None = None
    volume: int = 12_345_678
    market_cap: int | None = None
    has_pre_post: bool = True
    delayed_by: int = 0
    listed_since: date | None = None  # first trading day (for IPOs such as SPCX in June 2026)


def _us(
    symbol: str, name: str, price: float, prev: float, cap: int | None, **kw: Any
) -> FakeSymbol:
    return FakeSymbol(symbol, name, price, prev, market_cap=cap, **kw)


def default_universe() -> dict[str, FakeSymbol]:
    """Symbols every test can ask for. SPCX's numbers are the seed article's quote box."""
    rows = [
        _us(
            "SPCX",
            "Space Exploration Technologies Corp.",
            153.20,
            153.00,
            1_930_000_000_000,
            listed_since=date(2026, 6, 12),
        ),
        _us("AMZN", "Amazon.com, Inc.", 231.50, 225.98, 2_460_000_000_000),
        _us("GOOG", "Alphabet Inc.", 318.40, 311.57, 3_850_000_000_000),
        _us("GOOGL", "Alphabet Inc.", 316.90, 311.51, 3_840_000_000_000),
        _us("AAPL", "Apple Inc.", 271.49, 268.81, 4_030_000_000_000),
        _us("MSFT", "Microsoft Corporation", 478.43, 472.12, 3_560_000_000_000),
        _us("NVDA", "NVIDIA Corporation", 182.55, 180.64, 4_440_000_000_000),
        _us("META", "Meta Platforms, Inc.", 613.05, 609.46, 1_540_000_000_000),
        _us("TSLA", "Tesla, Inc.", 391.09, 395.23, 1_300_000_000_000),
        _us("NFLX", "Netflix, Inc.", 104.21, 103.98, 441_000_000_000),
        _us(
            "ORCL",
            "Oracle Corporation",
            198.76,
            200.28,
            560_000_000_000,
            exchange="NYQ",
            full_exchange="NYSE",
        ),
        _us(
            "IBM",
            "International Business Machines Corporation",
            305.12,
            301.11,
            284_000_000_000,
            exchange="NYQ",
            full_exchange="NYSE",
        ),
        _us("INTC", "Intel Corporation", 35.79, 36.10, 156_000_000_000),
        _us("AMD", "Advanced Micro Devices, Inc.", 215.05, 206.02, 349_000_000_000),
        _us("AVGO", "Broadcom Inc.", 377.96, 340.20, 1_780_000_000_000),
        _us(
            "CRM",
            "Salesforce, Inc.",
            234.10,
            230.73,
            223_000_000_000,
            exchange="NYQ",
            full_exchange="NYSE",
        ),
        _us("ADBE", "Adobe Inc.", 323.67, 320.08, 137_000_000_000),
        _us("RKLB", "Rocket Lab Corporation", 46.45, 43.68, 24_000_000_000),
        _us("ASTS", "AST SpaceMobile, Inc.", 63.20, 60.99, 22_000_000_000),
        _us(
            "BA",
            "The Boeing Company",
            196.69,
            191.40,
            149_000_000_000,
            exchange="NYQ",
            full_exchange="NYSE",
        ),
        _us(
            "LMT",
            "Lockheed Martin Corporation",
            470.12,
            466.80,
            109_000_000_000,
            exchange="NYQ",
            full_exchange="NYSE",
        ),
        _us(
            "PL",
            "Planet Labs PBC",
            12.64,
            12.10,
            3_900_000_000,
            exchange="NYQ",
            full_exchange="NYSE",
        ),
        _us(
            "BRK-B",
            "Berkshire Hathaway Inc.",
            510.33,
            507.10,
            1_100_000_000_000,
            exchange="NYQ",
            full_exchange="NYSE",
        ),
        FakeSymbol(
            "7203.T",
            "Toyota Motor Corporation",
            3021.0,
            2987.0,
            currency="JPY",
            exchange="JPX",
            full_exchange="Tokyo",
            tz="Asia/Tokyo",
            calendar="XTKS",
            has_pre_post=False,
            delayed_by=20,
            market_cap=47_000_000_000_000,
        ),
        FakeSymbol(
            "^GSPC",
            "S&P 500",
            6705.12,
            6656.92,
            exchange="SNP",
            full_exchange="SNP",
            quote_type="INDEX",
            has_pre_post=False,
            volume=2_900_000_000,
        ),
        FakeSymbol(
            "^DJI",
            "Dow Jones Industrial Average",
            47_112.45,
            46_448.27,
            exchange="DJI",
            full_exchange="DJI",
            quote_type="INDEX",
            has_pre_post=False,
            volume=410_000_000,
        ),
        FakeSymbol(
            "BTC-USD",
            "Bitcoin USD",
            87_450.12,
            86_012.40,
            exchange="CCC",
            full_exchange="CCC",
            tz="UTC",
            quote_type="CRYPTOCURRENCY",
            calendar=None,
            has_pre_post=False,
            market_state="REGULAR",
            market_cap=1_740_000_000_000,
        ),
        FakeSymbol(
            "EURUSD=X",
            "EUR/USD",
            1.1523,
            1.1511,
            exchange="CCY",
            full_exchange="CCY",
            tz="Europe/London",
            quote_type="CURRENCY",
            calendar=None,
            has_pre_post=False,
            market_state="REGULAR",
            volume=0,
        ),
        # issue 13 (earnings): a fund, which reports no earnings
        FakeSymbol(
            "QQQ",
            "Invesco QQQ Trust, Series 1",
            612.40,
            608.10,
            full_exchange="NasdaqGM",
            quote_type="ETF",
            market_cap=390_000_000_000,
        ),
    ]
    return {r.symbol: r for r in rows}


def synthetic_symbols(count: int, prefix: str = "TST") -> dict[str, FakeSymbol]:
    """`count` plain US equities (TST0001 ...), for benchmarks that need many symbols."""
    rng = random.Random(count)
    out = {}
    for i in range(1, count + 1):
        price = round(rng.uniform(5, 500), 2)
        sym = f"{prefix}{i:04d}"
        out[sym] = _us(
            sym, f"Test Company {i}", price, round(price * rng.uniform(0.95, 1.05), 2), None
        )
    return out


class FakeYahoo:
    """The server. `with FakeYahoo() as fake:` starts it; `fake.base_url` is what the bot uses.

    `now` is the fake's "current time" (market state, last session, chart ends, time-zone
    abbreviations): a fixed instant, a callable such as a test's `ManualClock.now` to follow
    it, or None for the wall clock (only for a fake serving a bot on the real clock).
    """

    def __init__(
        self,
        *,
        now: datetime | Callable[[], datetime] | None = None,
        delay: float = 0.0,
        symbols: dict[str, FakeSymbol] | None = None,
    ) -> None:
        self.now = now
        self.delay = delay
        self.symbols = symbols if symbols is not None else default_universe()
        self.failures: dict[str, str] = {}
        # True: fc.yahoo.com sets no cookie; only the consent form (the "csrf" way) gets one.
        self.consent_wall = False
        # Chart meta keys to answer differently (None leaves the key out), for Yahoo variants.
        self.meta_overrides: dict[str, Any] = {}
        self.requests: list[tuple[str, str]] = []  # (endpoint, path?query)
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._calendars: dict[str, Any] = {}
        # issue 13: earnings per symbol; equities not listed here get default_earnings()
        self.earnings: dict[str, FakeEarnings] = {}

    # -------------------------------------------------------------------------- control

    def __enter__(self) -> FakeYahoo:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, endpoint: str, mode: str | None) -> None:
        """Make `endpoint` (one of ENDPOINTS, or "all") fail with `mode`; None heals it."""
        targets = ENDPOINTS if endpoint == "all" else (endpoint,)
        with self._lock:
            for target in targets:
                if mode is None:
                    self.failures.pop(target, None)
                else:
                    self.failures[target] = mode
        if mode is None:
            self._release.set()
            self._release = threading.Event()

    def set_state(
        self, symbol: str, state: str, *, pre: float | None = None, post: float | None = None
    ) -> None:
        """Pin a symbol's market state (PRE, REGULAR, POST, CLOSED) and extended prices."""
        self.symbols[symbol] = replace(
            self.symbols[symbol], market_state=state, pre_price=pre, post_price=post
        )

    def count(self, endpoint: str | None = None) -> int:
        with self._lock:
            if endpoint is None:
                return len(self.requests)
            return sum(1 for e, _ in self.requests if e == endpoint)

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(e for e, _ in self.requests)

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()

    def current_time(self) -> datetime:
        if callable(self.now):
            return self.now()
        return self.now or datetime.now(UTC)

    def earnings_for(self, sym: FakeSymbol) -> FakeEarnings | None:
        """An equity's earnings (issue 13); None for funds, indices, crypto, currencies."""
        if sym.quote_type != "EQUITY":
            return None
        return self.earnings.get(sym.symbol) or default_earnings(sym.symbol, self.current_time())

    # -------------------------------------------------------------------------- answers

    def handle(
        self, host: str, path: str, query: dict[str, list[str]], cookie: str, body: bytes = b""
    ) -> tuple[int, str, bytes, dict[str, str]]:
        endpoint = _endpoint(host, path)
        with self._lock:
            self.requests.append((endpoint, f"{host}{path}"))
            mode = self.failures.get(endpoint)
        if self.delay:
            time.sleep(self.delay)
        if mode is not None:
            failed = self._failure(mode)
            if failed is not None:
                return failed
        if endpoint == "cookie":
            if self.consent_wall:  # the EU's fc.yahoo.com sets no cookie before consent
                return 404, "text/html", b"<html>fc</html>", {}
            return (
                404,
                "text/html",
                b"<html>fc</html>",
                {"Set-Cookie": f"{COOKIE}; Path=/; Max-Age=31536000"},
            )
        if endpoint == "crumb":
            if "A3=" not in cookie:
                return _json(
                    401,
                    {
                        "finance": {
                            "result": None,
                            "error": {"code": "Unauthorized", "description": "Invalid Cookie"},
                        }
                    },
                )
            return 200, "text/plain;charset=utf-8", CRUMB.encode(), {}
        if endpoint == "quote":
            if query.get("crumb", [""])[0] != CRUMB:
                return _json(
                    401,
                    {
                        "finance": {
                            "result": None,
                            "error": {"code": "Unauthorized", "description": "Invalid Crumb"},
                        }
                    },
                )
            symbols = [
                s.strip().upper()
                for s in ",".join(query.get("symbols", [""])).split(",")
                if s.strip()
            ]
            rows = [self.quote_row(self.symbols[s]) for s in symbols if s in self.symbols]
            if mode == "empty":
                rows = []
            elif mode == "null":
                rows = [{k: (None if "Price" in k else v) for k, v in r.items()} for r in rows]
            return _json(200, {"quoteResponse": {"result": rows, "error": None}})
        if endpoint == "chart":
            symbol = unquote(path.rsplit("/", 1)[1]).upper()
            if symbol not in self.symbols:
                return _json(
                    404,
                    {
                        "chart": {
                            "result": None,
                            "error": {
                                "code": "Not Found",
                                "description": "No data found, symbol may be delisted",
                            },
                        }
                    },
                )
            return self.chart(self.symbols[symbol], query)
        if endpoint == "search":
            return _json(200, self.search(query.get("q", [""])[0]))
        if endpoint == "quoteSummary":
            symbol = unquote(path.rsplit("/", 1)[1]).upper()
            answer = breadth.quote_summary_answer(self, symbol, query)
            return _json(*with_earnings(self, symbol, query, answer))  # issue 13: earnings
        # market breadth (issue 13) -----------------------------------------------------
        if endpoint == "news":
            return _json(200, breadth.news_answer(self, _json_body(body)))
        if endpoint == "options":
            symbol = unquote(path.rsplit("/", 1)[1]).upper()
            return _json(200, breadth.options_answer(self, symbol, query))
        if endpoint == "screener":
            if path.rstrip("/").endswith("/predefined/saved"):
                return _json(*breadth.predefined_answer(self, query))
            return _json(*breadth.screener_post_answer(self, _json_body(body)))
        if endpoint == "timeseries":
            return _json(200, {"timeseries": {"result": [], "error": None}})
        if endpoint == "consent":
            return self.consent(path, query, body)
        return _json(
            404,
            {
                "finance": {
                    "result": None,
                    "error": {"code": "Not Found", "description": "HTTP 404 Not Found"},
                }
            },
        )

    def consent(
        self, path: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, str, bytes, dict[str, str]]:
        """Yahoo's consent wall (guce/consent.yahoo.com), the crumb's "csrf" way in.

        Without `consent_wall` a bare page (no form: the csrf way finds nothing). With it: the
        form with csrfToken and sessionId; posting them back with agree sets the cookie.
        """
        if not self.consent_wall:
            return 200, "text/html", b"<html><body>consent</body></html>", {}
        if path.startswith("/consent"):
            page = (
                '<html><body><form method="post" action="/v2/collectConsent">'
                f'<input type="hidden" name="csrfToken" value="{CONSENT_TOKEN}">'
                f'<input type="hidden" value="{CONSENT_SESSION}" name="sessionId">'
                '<button name="agree" value="agree">Accept all</button></form></body></html>'
            )
            return 200, "text/html", page.encode(), {}
        if path.startswith("/v2/collectConsent"):
            form = parse_qs(body.decode(errors="replace"))
            if (
                form.get("csrfToken") == [CONSENT_TOKEN]
                and form.get("sessionId") == [CONSENT_SESSION]
                and query.get("sessionId") == [CONSENT_SESSION]
                and "agree" in form
            ):
                return 302, "text/html", b"", {"Set-Cookie": f"{COOKIE}; Path=/; Max-Age=3600"}
            return 400, "text/html", b"<html>bad consent</html>", {}
        return 200, "text/html", b"<html>copied</html>", {}  # copyConsent

    def _failure(self, mode: str) -> tuple[int, str, bytes, dict[str, str]] | None:
        if mode in ("empty", "null"):  # a 200 shaped by the endpoint itself
            return None
        if mode == "hang":
            self._release.wait(60)
            return 503, "text/plain", b"released", {}
        if mode == "429":
            return 429, "text/plain", b"Edge: Too Many Requests", {}
        if mode == "401":  # Yahoo refusing the cookie/crumb pair, whatever it is
            return _json(
                401,
                {
                    "finance": {
                        "result": None,
                        "error": {"code": "Unauthorized", "description": "Invalid Crumb"},
                    }
                },
            )
        if mode == "404":
            return _json(
                404,
                {
                    "finance": {
                        "result": None,
                        "error": {"code": "Not Found", "description": "HTTP 404 Not Found"},
                    }
                },
            )
        if mode == "500":
            return (
                500,
                "text/html",
                b"<html><head><title>500</title></head><body>Internal Server Error</body></html>",
                {},
            )
        if mode == "502":
            return 502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>", {}
        if mode == "garbage":
            return (
                200,
                "text/html",
                b"<!doctype html><html><body>Will be right back...</body></html>",
                {},
            )
        raise ValueError(f"unknown failure mode {mode!r}")

    def _calendar(self, code: str) -> Any:
        if code not in self._calendars:
            today = self.current_time().date()
            self._calendars[code] = xcals.get_calendar(
                code,
                start=pd.Timestamp(today - timedelta(days=3700)),
                end=pd.Timestamp(today + timedelta(days=30)),
            )
        return self._calendars[code]

    def state(self, sym: FakeSymbol) -> str:
        if sym.market_state:
            return sym.market_state
        if sym.calendar is None:
            return "REGULAR"
        now = self.current_time()
        cal = self._calendar(sym.calendar)
        minute = pd.Timestamp(now).floor("min")
        if cal.is_open_on_minute(minute):
            return "REGULAR"
        if sym.calendar != "XNYS":
            return "CLOSED"
        local = now.astimezone(ZoneInfo(sym.tz))
        if cal.is_session(pd.Timestamp(local.date())):
            if local.hour >= 4 and (local.hour, local.minute) < (9, 30):
                return "PRE"
            if 16 <= local.hour < 20:
                return "POST"
        return "CLOSED"

    def regular_time(self, sym: FakeSymbol) -> int:
        """regularMarketTime: now while open, else the last session's close."""
        now = self.current_time()
        if sym.calendar is None or self.state(sym) == "REGULAR":
            return int(now.timestamp())
        sessions = self.sessions(sym, now - timedelta(days=10), now)
        return int(sessions[-1][1].timestamp()) if sessions else int(now.timestamp())

    def quote_row(self, sym: FakeSymbol) -> dict[str, Any]:
        state = self.state(sym)
        local = self.current_time().astimezone(ZoneInfo(sym.tz))
        change = sym.price - sym.previous_close
        low, high = sorted((sym.previous_close, sym.price))
        row: dict[str, Any] = {
            "language": "en-US",
            "region": "US",
            "quoteType": sym.quote_type,
            "typeDisp": sym.quote_type.title(),
            "quoteSourceName": "Nasdaq Real Time Price",
            "triggerable": True,
            "currency": sym.currency,
            "shortName": sym.name,
            "longName": sym.name,
            "regularMarketChangePercent": change / sym.previous_close * 100,
            "regularMarketPrice": sym.price,
            "hasPrePostMarketData": sym.has_pre_post,
            "priceHint": 2,
            "regularMarketChange": change,
            "regularMarketDayHigh": round(high * 1.004, 4),
            "regularMarketDayRange": f"{round(low * 0.996, 4)} - {round(high * 1.004, 4)}",
            "regularMarketDayLow": round(low * 0.996, 4),
            "regularMarketVolume": sym.volume,
            "regularMarketPreviousClose": sym.previous_close,
            "fullExchangeName": sym.full_exchange,
            "regularMarketOpen": sym.previous_close,
            "fiftyTwoWeekLow": round(sym.price * 0.71, 4),
            "fiftyTwoWeekHigh": round(sym.price * 1.18, 4),
            "fiftyTwoWeekRange": f"{round(sym.price * 0.71, 4)} - {round(sym.price * 1.18, 4)}",
            "sourceInterval": 15,
            "exchangeDataDelayedBy": sym.delayed_by,
            "tradeable": False,
            "cryptoTradeable": False,
            "corporateActions": [],
            "regularMarketTime": self.regular_time(sym),
            "marketState": state,
            "exchange": sym.exchange,
            "exchangeTimezoneName": sym.tz,
            "exchangeTimezoneShortName": local.strftime("%Z"),
            "gmtOffSetMilliseconds": int(local.utcoffset().total_seconds() * 1000),  # type: ignore[union-attr]
            "market": "us_market" if sym.currency == "USD" else "jp_market",
            "esgPopulated": False,
            "displayName": sym.name.split(",")[0],
            "symbol": sym.symbol,
        }
        if sym.market_cap:
            row["marketCap"] = sym.market_cap
        row.update(quote_fields(self.earnings_for(sym)))  # issue 13: earnings keys
        now = int(self.current_time().timestamp())
        if state == "PRE" and sym.pre_price:
            pre_change = sym.pre_price - sym.price
            row.update(
                preMarketPrice=sym.pre_price,
                preMarketChange=pre_change,
                preMarketChangePercent=pre_change / sym.price * 100,
                preMarketTime=now,
            )
        if state in ("POST", "CLOSED", "PREPRE", "POSTPOST") and sym.post_price:
            post_change = sym.post_price - sym.price
            row.update(
                postMarketPrice=sym.post_price,
                postMarketChange=post_change,
                postMarketChangePercent=post_change / sym.price * 100,
                postMarketTime=now,
            )
        return row

    def summary_row(self, sym: FakeSymbol) -> dict[str, Any]:
        return {
            "quoteType": {
                "exchange": sym.exchange,
                "quoteType": sym.quote_type,
                "symbol": sym.symbol,
                "shortName": sym.name,
                "longName": sym.name,
                "timeZoneFullName": sym.tz,
            },
            "summaryDetail": {
                "previousClose": sym.previous_close,
                "regularMarketPreviousClose": sym.previous_close,
                "currency": sym.currency,
                "marketCap": sym.market_cap,
            },
            "financialData": {"currentPrice": sym.price, "financialCurrency": sym.currency},
            "defaultKeyStatistics": {},
            "assetProfile": {},
        }

    def search(self, q: str) -> dict[str, Any]:
        needle = q.strip().lower()
        hits = [
            s
            for s in self.symbols.values()
            if needle and (needle in s.symbol.lower() or needle in s.name.lower())
        ]
        hits.sort(
            key=lambda s: (
                s.symbol.lower() != needle,
                not s.name.lower().startswith(needle),
                s.symbol,
            )
        )
        quotes: list[dict[str, Any]] = [
            {
                "exchange": s.exchange,
                "shortname": s.name[:31],
                "quoteType": s.quote_type,
                "symbol": s.symbol,
                "index": "quotes",
                "score": 3804300 if s.symbol.lower() == needle else 20000 - i,
                "typeDisp": s.quote_type.title(),
                "longname": s.name,
                "exchDisp": s.full_exchange,
                "isYahooFinance": True,
            }
            for i, s in enumerate(hits[:8])
        ]
        if needle:
            quotes.append(
                {
                    "index": "78ddc07626ff4bbcae663e88514c23a0",
                    "name": q.title() + "ly",
                    "permalink": needle.replace(" ", "-"),
                    "isYahooFinance": False,
                }
            )
        return {
            "explains": [],
            "count": len(quotes),
            "quotes": quotes,
            "news": [],
            "nav": [],
            "lists": [],
            "researchReports": [],
            "screenerFieldResults": [],
            "totalTime": 83,
        }

    # -------------------------------------------------------------------------- charts

    def sessions(
        self, sym: FakeSymbol, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        """Regular sessions (open, close) in UTC between two moments."""
        if sym.calendar is None:
            days = []
            day = start.date()
            while day <= end.date():
                if sym.quote_type != "CURRENCY" or day.weekday() < 5:
                    days.append(
                        (
                            datetime(day.year, day.month, day.day, tzinfo=UTC),
                            datetime(day.year, day.month, day.day, 23, 59, tzinfo=UTC),
                        )
                    )
                day += timedelta(days=1)
            return days
        cal = self._calendar(sym.calendar)
        lo = max(pd.Timestamp(start.date()), cal.first_session)
        hi = min(pd.Timestamp(end.date()), cal.last_session)
        if lo > hi:
            return []
        sched = cal.schedule.loc[lo:hi]
        out = []
        for open_, close in zip(sched["open"], sched["close"], strict=True):
            o, c = open_.to_pydatetime(), close.to_pydatetime()
            if sym.listed_since and o.date() < sym.listed_since:
                continue
            if o <= end:
                out.append((o, c))
        return out

    def chart(
        self, sym: FakeSymbol, query: dict[str, list[str]]
    ) -> tuple[int, str, bytes, dict[str, str]]:
        interval = query.get("interval", ["1d"])[0]
        rng = query.get("range", [""])[0]
        prepost = query.get("includePrePost", ["false"])[0].lower() == "true"
        now = self.current_time()
        if rng:
            if rng not in VALID_RANGES:
                return _json(
                    400,
                    {
                        "chart": {
                            "result": None,
                            "error": {
                                "code": "Bad Request",
                                "description": f"Invalid input - range={rng}",
                            },
                        }
                    },
                )
            start = (
                datetime(now.year, 1, 1, tzinfo=UTC)
                if rng == "ytd"
                else now - timedelta(days=RANGE_DAYS[rng] * (1.5 if rng in ("1d", "5d") else 1) + 3)
            )
        else:
            start = datetime.fromtimestamp(int(query.get("period1", ["0"])[0]), UTC)
            now = min(
                now,
                datetime.fromtimestamp(
                    int(query.get("period2", [str(int(now.timestamp()))])[0]), UTC
                ),
            )
        intraday = interval in INTERVAL_SECONDS
        sessions = self.sessions(sym, start, now)
        if rng in ("1d", "5d") and sessions:
            sessions = sessions[-int(rng[0]) :]
        times: list[int] = []
        for open_, close in sessions:
            if not intraday:
                if open_ <= now:
                    times.append(int(open_.timestamp()))
                continue
            step = INTERVAL_SECONDS[interval]
            lo = open_ - timedelta(hours=5, minutes=30) if prepost and sym.has_pre_post else open_
            hi = close + timedelta(hours=4) if prepost and sym.has_pre_post else close
            t = lo
            while t < hi and t <= now:
                times.append(int(t.timestamp()))
                t += timedelta(seconds=step)
        if interval in ("1wk", "1mo", "3mo"):
            times = times[:: 5 if interval == "1wk" else 21]
        closes = _walk(sym, len(times), INTERVAL_SECONDS.get(interval))
        opens = [closes[0], *closes[:-1]] if closes else []
        meta = self.chart_meta(sym, rng, interval, sessions, intraday, prepost)
        result: dict[str, Any] = {"meta": meta}
        if times:
            result["timestamp"] = times
            result["indicators"] = {
                "quote": [
                    {
                        "open": [round(o, 4) for o in opens],
                        "high": [
                            round(max(o, c) * 1.003, 4) for o, c in zip(opens, closes, strict=True)
                        ],
                        "low": [
                            round(min(o, c) * 0.997, 4) for o, c in zip(opens, closes, strict=True)
                        ],
                        "close": [round(c, 4) for c in closes],
                        "volume": [
                            sym.volume // max(len(times), 1) if intraday else sym.volume
                            for _ in times
                        ],
                    }
                ],
            }
            if not intraday:
                result["indicators"]["adjclose"] = [{"adjclose": [round(c, 4) for c in closes]}]
        else:
            result["indicators"] = {"quote": [{}]}
        return _json(200, {"chart": {"result": [result], "error": None}})

    def chart_meta(
        self,
        sym: FakeSymbol,
        rng: str,
        interval: str,
        sessions: list[tuple[datetime, datetime]],
        intraday: bool,
        prepost: bool,
    ) -> dict[str, Any]:
        now = self.current_time()
        zone = ZoneInfo(sym.tz)
        offset = int(now.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]
        abbrev = now.astimezone(zone).strftime("%Z")
        today = self.sessions(sym, now - timedelta(days=7), now + timedelta(days=7))
        current = next(
            (s for s in today if s[0].date() >= now.date()), today[-1] if today else (now, now)
        )
        o, c = int(current[0].timestamp()), int(current[1].timestamp())

        def period(start: int, end: int) -> dict[str, Any]:
            return {"timezone": abbrev, "start": start, "end": end, "gmtoffset": offset}

        meta: dict[str, Any] = {
            "currency": sym.currency,
            "symbol": sym.symbol,
            "exchangeName": sym.exchange,
            "fullExchangeName": sym.full_exchange,
            "instrumentType": sym.quote_type,
            "firstTradeDate": int(datetime(2020, 1, 2, 14, 30, tzinfo=UTC).timestamp()),
            "regularMarketTime": self.regular_time(sym),
            "hasPrePostMarketData": sym.has_pre_post,
            "gmtoffset": offset,
            "timezone": abbrev,
            "exchangeTimezoneName": sym.tz,
            "regularMarketPrice": sym.price,
            "fiftyTwoWeekHigh": round(sym.price * 1.18, 4),
            "fiftyTwoWeekLow": round(sym.price * 0.71, 4),
            "regularMarketDayHigh": round(max(sym.price, sym.previous_close) * 1.004, 4),
            "regularMarketDayLow": round(min(sym.price, sym.previous_close) * 0.996, 4),
            "regularMarketVolume": sym.volume,
            "longName": sym.name,
            "shortName": sym.name,
            "chartPreviousClose": sym.previous_close,
            "priceHint": 2,
            "currentTradingPeriod": {
                "pre": period(o - 19800, o),
                "regular": period(o, c),
                "post": period(c, c + 14400),
            },
            "dataGranularity": interval,
            "range": rng,
            "validRanges": VALID_RANGES,
        }
        if intraday:
            meta["previousClose"] = sym.previous_close
            meta["scale"] = 3
            regular = [[period(int(a.timestamp()), int(b.timestamp()))] for a, b in sessions]
            if prepost:
                meta["tradingPeriods"] = {
                    "pre": [
                        [period(int(a.timestamp()) - 19800, int(a.timestamp()))]
                        for a, _ in sessions
                    ],
                    "regular": regular,
                    "post": [
                        [period(int(b.timestamp()), int(b.timestamp()) + 14400)]
                        for _, b in sessions
                    ],
                }
            else:
                meta["tradingPeriods"] = regular
        for key, value in self.meta_overrides.items():
            if value is None:
                meta.pop(key, None)
            else:
                meta[key] = value
        return meta


def _walk(sym: FakeSymbol, n: int, step_seconds: int | None = None) -> list[float]:
    """A deterministic random walk of n closes ending at the symbol's price.

    Daily bars move about 1.2 % a day and the day before the last closes at the previous
    close; intraday bars (`step_seconds`) move by the same daily volatility scaled to their
    length, so a 1d chart stays near the day's quote instead of wandering off.
    """
    if n == 0:
        return []
    rng = random.Random(sym.symbol)
    scale = math.sqrt(step_seconds / 23400) if step_seconds else 1.0
    steps = [rng.gauss(0.0004 * scale * scale, 0.012 * scale) for _ in range(n - 1)]
    values = [sym.price]
    for step in reversed(steps):
        values.append(values[-1] / math.exp(step))
    values.reverse()
    if n >= 2 and step_seconds is None:
        values[-2] = sym.previous_close
    return values


def _endpoint(host: str, path: str) -> str:
    if host == "fc.yahoo.com":
        return "cookie"
    if host in ("guce.yahoo.com", "consent.yahoo.com"):
        return "consent"
    for marker, name in (
        ("/v1/test/getcrumb", "crumb"),
        ("/v7/finance/quote", "quote"),
        ("/v8/finance/chart/", "chart"),
        ("/v1/finance/search", "search"),
        ("/v10/finance/quoteSummary/", "quoteSummary"),
        ("/timeseries/", "timeseries"),
        ("/v7/finance/options/", "options"),
        ("/v1/finance/screener", "screener"),
        ("/xhr/ncp", "news"),
    ):
        if path.startswith(marker) or marker in path:
            return name
    return "other"


def _json_body(body: bytes) -> dict[str, Any]:
    """A POST's JSON body (requests and curl_cffi serialise it differently: parse, never compare)."""
    try:
        loaded = json.loads(body or b"{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _json(status: int, body: Any) -> tuple[int, str, bytes, dict[str, str]]:
    return status, "application/json;charset=utf-8", json.dumps(body).encode(), {}


def _handler_for(fake: FakeYahoo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            segments = parts.path.lstrip("/").split("/", 1)
            host = segments[0]
            path = "/" + (segments[1] if len(segments) > 1 else "")
            length = int(self.headers.get("Content-Length") or 0)
            posted = self.rfile.read(length) if length else b""
            status, ctype, body, headers = fake.handle(
                host, path, parse_qs(parts.query), self.headers.get("Cookie", ""), posted
            )
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "public, max-age=1, stale-while-revalidate=9")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = _serve
        do_POST = _serve

    return Handler


def unused_port() -> int:
    """A loopback port nothing listens on (for "connection refused")."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
