"""Blocking Yahoo calls for earnings; run in the market service's thread pool only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.market.crumb import CrumbSession

from bot.errors import UpstreamError
from bot.market.earnings import (
    EARNINGS_MODULES,
    EarningsDate,
    EarningsDetail,
    earnings_date_from_v7,
    earnings_detail_from_summary,
)

QUOTE_URL = "https://query1.finance.yahoo.com/v7/finance/quote"
SUMMARY_URL = "https://query2.finance.yahoo.com/v10/finance/quoteSummary/{symbol}"


def fetch_earnings_dates(
    data: CrumbSession, symbols: Sequence[str], now: datetime, timeout: float
) -> dict[str, EarningsDate]:
    """Next report dates for many symbols from ONE v7 quote request (symbols absent: unknown)."""
    params = {
        "symbols": ",".join(symbols),
        "formatted": "false",
        "lang": "en-US",
        "region": "US",
    }
    payload: Any = data.get_raw_json(QUOTE_URL, params=params, timeout=timeout)
    body = payload.get("quoteResponse") if isinstance(payload, dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("result"), list):
        raise ValueError("quoteResponse.result missing")
    found: dict[str, EarningsDate] = {}
    for row in body["result"]:
        if isinstance(row, dict) and (value := earnings_date_from_v7(row, now)) is not None:
            found[value.symbol] = value
    return found


def fetch_earnings_detail(
    data: CrumbSession, symbol: str, now: datetime, timeout: float
) -> EarningsDetail:
    """Estimates and the last four quarters from ONE quoteSummary request (three modules)."""
    params = {
        "modules": ",".join(EARNINGS_MODULES),
        "corsDomain": "finance.yahoo.com",
        "formatted": "false",
        "symbol": symbol,
        "lang": "en-US",
        "region": "US",
    }
    payload: Any = data.get_raw_json(
        SUMMARY_URL.format(symbol=symbol), params=params, timeout=timeout
    )
    body = payload.get("quoteSummary") if isinstance(payload, dict) else None
    if not isinstance(body, dict):
        raise ValueError("quoteSummary missing")
    results = body.get("result")
    if not results:  # {"result": null, "error": {"code": "Not Found", ...}} or []
        raise UpstreamError("not_found", f"Yahoo has no earnings data for {symbol}.")
    first = results[0]
    if not isinstance(first, dict):
        raise ValueError("quoteSummary.result[0] is not an object")
    return earnings_detail_from_summary(first, symbol, now)
