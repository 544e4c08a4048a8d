"""Plain values the market service hands out: no pandas, no yfinance objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any


class MarketState(StrEnum):
    PRE = "pre-market"
    OPEN = "open"
    POST = "after-hours"
    CLOSED = "closed"

    @classmethod
    def from_yahoo(cls, value: str | None) -> MarketState:
        # Yahoo: PREPRE, PRE, REGULAR, POST, POSTPOST, CLOSED
        return {
            "PRE": cls.PRE,
            "PREPRE": cls.CLOSED,
            "REGULAR": cls.OPEN,
            "POST": cls.POST,
            "POSTPOST": cls.CLOSED,
        }.get((value or "").upper(), cls.CLOSED)


@dataclass(frozen=True, slots=True)
class ExtendedPrice:
    """A pre-market or after-hours price, present only when Yahoo reports one."""

    price: float
    change: float | None
    change_pct: float | None
    time: datetime | None


@dataclass(frozen=True, slots=True)
class Quote:
    symbol: str
    name: str
    price: float
    currency: str
    exchange: str  # human name, e.g. "NasdaqGS"
    exchange_tz: str  # IANA zone, e.g. "America/New_York"
    as_of: datetime  # time of the regular-market price (UTC)
    change: float | None = None
    change_pct: float | None = None
    previous_close: float | None = None
    open: float | None = None
    day_low: float | None = None
    day_high: float | None = None
    volume: int | None = None
    market_cap: float | None = None
    year_low: float | None = None
    year_high: float | None = None
    market_state: MarketState = MarketState.CLOSED
    quote_type: str = "EQUITY"
    pre_market: ExtendedPrice | None = None
    post_market: ExtendedPrice | None = None
    delay_minutes: int = 0
    source: str = "Yahoo Finance"
    route: str = "quote"  # which upstream call produced it: "quote" (v7 batch) or "chart"
    fetched_at: datetime | None = None
    stale: bool = False  # served from cache because Yahoo failed

    def as_stale(self) -> Quote:
        return replace(self, stale=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values: a fresh dict each call, built once per Quote (frozen) and copied."""
        return dict(_quote_dict(self))


_QUOTE_FIELDS = tuple(f.name for f in fields(Quote))


@lru_cache(maxsize=4096)
def _quote_dict(quote: Quote) -> dict[str, Any]:
    """Quote.to_dict's values, built once per Quote (dataclasses.asdict deep-copies, slowly)."""
    out = {name: getattr(quote, name) for name in _QUOTE_FIELDS}
    out["as_of"] = quote.as_of.isoformat()
    out["fetched_at"] = quote.fetched_at.isoformat() if quote.fetched_at else None
    out["market_state"] = quote.market_state.value
    for key in ("pre_market", "post_market"):
        ext = getattr(quote, key)
        if ext is not None:
            out[key] = {
                "price": ext.price,
                "change": ext.change,
                "change_pct": ext.change_pct,
                "time": ext.time.isoformat() if ext.time else None,
            }
    return out


@dataclass(frozen=True, slots=True)
class QuoteBatch:
    """The answer to one quotes() call: what was found, what does not exist, what failed."""

    quotes: Mapping[str, Quote] = field(default_factory=dict)
    missing: Sequence[str] = ()  # Yahoo has no such symbol
    failed: Mapping[str, str] = field(default_factory=dict)  # symbol -> UpstreamError reason

    @property
    def stale(self) -> bool:
        return any(q.stale for q in self.quotes.values())


@dataclass(frozen=True, slots=True)
class SearchHit:
    symbol: str
    name: str
    exchange: str
    quote_type: str


@dataclass(frozen=True, slots=True)
class Bar:
    time: datetime  # bar start, UTC
    open: float
    high: float
    low: float
    close: float
    volume: int


@dataclass(frozen=True, slots=True)
class History:
    """Price bars for one symbol and range, plus the chart metadata that came with them."""

    symbol: str
    name: str
    currency: str
    exchange_tz: str
    interval: str
    range: str
    bars: Sequence[Bar]
    # Regular-session bounds per trading day for intraday charts, UTC (start, end).
    sessions: Sequence[tuple[datetime, datetime]] = ()
    fetched_at: datetime | None = None
    source: str = "Yahoo Finance"
    # The close before the range's first bar (Yahoo's previousClose for intraday ranges,
    # chartPreviousClose otherwise), and the time of the latest regular-market price.
    previous_close: float | None = None
    as_of: datetime | None = None
