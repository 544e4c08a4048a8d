"""Yahoo's day-mover screeners: gainers, losers and most active, by region.

US lists come from the predefined screener (one GET, as yfinance's `screen(name)`); other
regions POST the same criteria with the region swapped, because the predefined lists ignore
their `region` parameter (gadicc/yahoo-finance2#666).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.errors import UpstreamError
from bot.market.upstream_json import answer_json, epoch, integer, num, obj, text

PREDEFINED_URL = "https://query1.finance.yahoo.com/v1/finance/screener/predefined/saved"
SCREENER_URL = "https://query1.finance.yahoo.com/v1/finance/screener"
SCREEN_SIZE = 25  # asked every time, so one cached list answers any count up to it
SCREEN_TTL_TRADING = 60.0
SCREEN_TTL_SHUT = 900.0


class Screen(StrEnum):
    GAINERS = "day_gainers"
    LOSERS = "day_losers"
    ACTIVE = "most_actives"


# yfinance 1.7's copies of Yahoo's criteria (yfinance/screener/screener.py), region left open.
_CRITERIA: dict[Screen, tuple[str, str, list[dict[str, Any]]]] = {
    Screen.GAINERS: (
        "percentchange",
        "DESC",
        [
            {"operator": "GT", "operands": ["percentchange", 3]},
            {"operator": "GTE", "operands": ["intradaymarketcap", 2000000000]},
            {"operator": "GTE", "operands": ["intradayprice", 5]},
            {"operator": "GT", "operands": ["dayvolume", 15000]},
        ],
    ),
    Screen.LOSERS: (
        "percentchange",
        "ASC",
        [
            {"operator": "LT", "operands": ["percentchange", -2.5]},
            {"operator": "GTE", "operands": ["intradaymarketcap", 2000000000]},
            {"operator": "GTE", "operands": ["intradayprice", 5]},
            {"operator": "GT", "operands": ["dayvolume", 20000]},
        ],
    ),
    Screen.ACTIVE: (
        "dayvolume",
        "DESC",
        [
            {"operator": "GTE", "operands": ["intradaymarketcap", 2000000000]},
            {"operator": "GT", "operands": ["dayvolume", 5000000]},
        ],
    ),
}


# Two-letter regions Yahoo's equity screener takes: yfinance 1.7's EQUITY_SCREENER_EQ_MAP
# ["region"], copied so that a /movers does not import yfinance (and pandas) to check one.
SCREENER_REGIONS = frozenset(
    (  # noqa: SIM905 (one line of codes reads better than 59)
        "AE AR AT AU BE BR CA CH CL CN CO CZ DE DK EE EG ES FI FR GB GR HK HU ID IE IL IN IS IT"
        " JP KR KW LK LT LV MX MY NL NO NZ PE PH PK PL PT QA RO RU SA SE SG SR TH TR TW US VE"
        " VN ZA"
    ).split()
)


def known_regions() -> frozenset[str]:
    """Two-letter regions Yahoo's equity screener takes."""
    return SCREENER_REGIONS


@dataclass(frozen=True, slots=True)
class Mover:
    symbol: str
    name: str
    price: float
    change: float | None
    change_pct: float | None  # percent: 30.41 is +30.41 %
    volume: int | None
    market_cap: float | None
    currency: str
    exchange: str
    exchange_tz: str
    as_of: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "name": self.name,
            "price": self.price,
            "change": self.change,
            "change_pct": self.change_pct,
            "volume": self.volume,
            "market_cap": self.market_cap,
            "currency": self.currency,
            "exchange": self.exchange,
            "exchange_tz": self.exchange_tz,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


@dataclass(frozen=True, slots=True)
class ScreenResult:
    screen: Screen
    region: str
    title: str
    movers: tuple[Mover, ...]
    total: int | None  # how many match Yahoo's criteria in all
    fetched_at: datetime
    source: str = "Yahoo Finance"
    stale: bool = False
    stale_reason: str | None = None

    def as_stale(self, reason: str) -> ScreenResult:
        return replace(self, stale=True, stale_reason=reason)

    @property
    def as_of(self) -> datetime | None:
        times = [m.as_of for m in self.movers if m.as_of is not None]
        return max(times) if times else None


def predefined_params(screen: Screen, count: int) -> dict[str, str]:
    return {
        "corsDomain": "finance.yahoo.com",
        "formatted": "false",
        "lang": "en-US",
        "region": "US",
        "scrIds": screen.value,
        "count": str(count),
    }


def regional_body(screen: Screen, region: str, count: int) -> dict[str, Any]:
    """The POST body yfinance sends for a screen, with the region operand set to `region`."""
    sort_field, sort_type, operands = _CRITERIA[screen]
    region_rule = {"operator": "EQ", "operands": ["region", region.lower()]}
    return {
        "offset": 0,
        "count": count,
        "sortField": sort_field,
        "sortType": sort_type,
        "quoteType": "EQUITY",
        "query": {"operator": "AND", "operands": [region_rule, *operands]},
        "userId": "",
        "userIdType": "guid",
    }


def _mover(row: dict[str, Any]) -> Mover | None:
    symbol = text(row.get("symbol")).upper()
    price = num(row.get("regularMarketPrice"))
    if not symbol or price is None:
        return None
    return Mover(
        symbol=symbol,
        name=text(row.get("shortName")) or text(row.get("displayName")) or symbol,
        price=price,
        change=num(row.get("regularMarketChange")),
        change_pct=num(row.get("regularMarketChangePercent")),
        volume=integer(row.get("regularMarketVolume")),
        market_cap=num(row.get("marketCap")),
        currency=text(row.get("currency")),
        exchange=text(row.get("fullExchangeName")) or text(row.get("exchange")),
        exchange_tz=text(row.get("exchangeTimezoneName")) or "UTC",
        as_of=epoch(row.get("regularMarketTime")),
    )


def parse_screen(payload: Any, screen: Screen, region: str, fetched_at: datetime) -> ScreenResult:
    """`finance.result[0]` as movers, each symbol once (Yahoo sometimes repeats a quote)."""
    body = obj(obj(payload).get("finance"))
    result = body.get("result")
    if not isinstance(result, list) or not result or not isinstance(result[0], dict):
        raise UpstreamError("bad_answer", "Yahoo sent a screener answer we could not read.")
    first = result[0]
    quotes = first.get("quotes")
    if not isinstance(quotes, list):
        raise UpstreamError("bad_answer", "Yahoo sent a screener answer we could not read.")
    movers: dict[str, Mover] = {}
    for row in quotes:
        mover = _mover(obj(row))
        if mover is not None:
            movers.setdefault(mover.symbol, mover)
    return ScreenResult(
        screen=screen,
        region=region,
        title=text(first.get("title")),
        movers=tuple(movers.values()),
        total=integer(first.get("total")),
        fetched_at=fetched_at,
    )


def fetch_screen(
    data: Any, screen: Screen, region: str, timeout: float, now: datetime
) -> ScreenResult:
    """Blocking: one request for a screen's top SCREEN_SIZE (`data` is our CrumbSession)."""
    if region == "US":
        response = data.get(
            PREDEFINED_URL, params=predefined_params(screen, SCREEN_SIZE), timeout=timeout
        )
    else:
        response = data.post(
            SCREENER_URL,
            body=regional_body(screen, region, SCREEN_SIZE),
            params={
                "corsDomain": "finance.yahoo.com",
                "formatted": "false",
                "lang": "en-US",
                "region": "US",
            },
            timeout=timeout,
        )
    return parse_screen(answer_json(response), screen, region, now)
