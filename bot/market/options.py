"""Option chains from Yahoo's v7 options endpoint: one symbol and one expiry a request.

Asked without a date, Yahoo answers the nearest expiry together with the list of all of
them and the underlying's quote, so the usual question costs one request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any

from bot.errors import UpstreamError
from bot.market.types import Quote
from bot.market.upstream_json import answer_json, epoch, integer, num, obj, text
from bot.market.yahoo import quote_from_v7

OPTIONS_URL = "https://query2.finance.yahoo.com/v7/finance/options/{symbol}"
OPTIONS_TTL_OPEN = 30.0  # while the underlying's market trades


@dataclass(frozen=True, slots=True)
class OptionContract:
    contract: str
    strike: float
    last: float | None
    bid: float | None
    ask: float | None
    change: float | None
    change_pct: float | None
    volume: int | None
    open_interest: int | None
    implied_volatility: float | None  # a fraction: 0.35 is 35 %
    in_the_money: bool
    last_trade: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "strike": self.strike,
            "last": self.last,
            "bid": self.bid,
            "ask": self.ask,
            "change": self.change,
            "change_pct": self.change_pct,
            "volume": self.volume,
            "open_interest": self.open_interest,
            "implied_volatility": self.implied_volatility,
            "in_the_money": self.in_the_money,
            "last_trade": self.last_trade.isoformat() if self.last_trade else None,
        }


@dataclass(frozen=True, slots=True)
class OptionChain:
    """One expiry's calls and puts, the list of every expiry, and the underlying's quote."""

    symbol: str
    expiries: tuple[date, ...]  # empty: no options are listed
    expiry: date | None
    calls: tuple[OptionContract, ...]
    puts: tuple[OptionContract, ...]
    underlying: Quote | None
    fetched_at: datetime
    source: str = "Yahoo Finance"
    stale: bool = False
    stale_reason: str | None = None

    def as_stale(self, reason: str) -> OptionChain:
        return replace(self, stale=True, stale_reason=reason)


def expiry_epoch(day: date) -> int:
    """Yahoo names an expiry by 00:00 UTC of its day."""
    return int(datetime.combine(day, time(0), UTC).timestamp())


def _contract(row: dict[str, Any]) -> OptionContract | None:
    strike = num(row.get("strike"))
    name = text(row.get("contractSymbol"))
    if strike is None or not name:
        return None
    return OptionContract(
        contract=name,
        strike=strike,
        last=num(row.get("lastPrice")),
        bid=num(row.get("bid")),
        ask=num(row.get("ask")),
        change=num(row.get("change")),
        change_pct=num(row.get("percentChange")),
        volume=integer(row.get("volume")),
        open_interest=integer(row.get("openInterest")),
        implied_volatility=num(row.get("impliedVolatility")),
        in_the_money=row.get("inTheMoney") is True,
        last_trade=epoch(row.get("lastTradeDate")),
    )


def _contracts(rows: Any) -> tuple[OptionContract, ...]:
    found = [c for c in (_contract(obj(r)) for r in (rows if isinstance(rows, list) else [])) if c]
    return tuple(sorted(found, key=lambda c: c.strike))


def parse_chain(payload: Any, symbol: str, fetched_at: datetime) -> OptionChain:
    body = obj(obj(payload).get("optionChain"))
    result = body.get("result")
    if not isinstance(result, list):
        raise UpstreamError("bad_answer", "Yahoo sent an options answer we could not read.")
    if not result:
        raise UpstreamError("not_found", f"Yahoo has no data for {symbol}.")
    row = obj(result[0])
    dates = row.get("expirationDates")
    expiries = tuple(
        sorted(
            {
                d.date()
                for d in (epoch(v) for v in (dates if isinstance(dates, list) else []))
                if d is not None
            }
        )
    )
    quote_row = obj(row.get("quote"))
    underlying = quote_from_v7(quote_row, fetched_at) if quote_row else None
    options = row.get("options")
    first = obj(options[0]) if isinstance(options, list) and options else {}
    shown = epoch(first.get("expirationDate"))
    return OptionChain(
        symbol=text(row.get("underlyingSymbol")).upper() or symbol,
        expiries=expiries,
        expiry=shown.date() if shown else None,
        calls=_contracts(first.get("calls")),
        puts=_contracts(first.get("puts")),
        underlying=underlying,
        fetched_at=fetched_at,
    )


def fetch_chain(
    data: Any, symbol: str, expiry: date | None, timeout: float, now: datetime
) -> OptionChain:
    """Blocking: one GET for the nearest expiry, or for `expiry` (`data` is our CrumbSession)."""
    params = {"date": str(expiry_epoch(expiry))} if expiry else None
    response = data.get(OPTIONS_URL.format(symbol=symbol), params=params, timeout=timeout)
    return parse_chain(answer_json(response), symbol, now)
