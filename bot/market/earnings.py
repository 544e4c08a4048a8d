"""Earnings values the market service hands out, and how Yahoo's JSON becomes them.

Two sources (research/yahoo-formats-more.md §3, §9):
- the v7 multi-symbol quote carries each equity's next report date (`earningsTimestampStart/
  End`, a window while `isEarningsDateEstimate`) and forward EPS, for many symbols at once;
- quoteSummary `calendarEvents,earningsHistory,earningsTrend` (one request per symbol) adds
  the EPS and revenue estimates and the last four quarters' EPS against estimates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

# Kinds of listing that never report earnings (funds, indices, crypto, currencies, futures).
NO_EARNINGS_TYPES = {
    "ETF": "an ETF",
    "MUTUALFUND": "a mutual fund",
    "INDEX": "an index",
    "CRYPTOCURRENCY": "a cryptocurrency",
    "CURRENCY": "a currency pair",
    "FUTURE": "a futures contract",
}
EARNINGS_MODULES = ("calendarEvents", "earningsHistory", "earningsTrend")


def _num(value: Any) -> float | None:
    if isinstance(value, dict):  # {"raw": 1.2, "fmt": "1.20"} in earningsTrend / History
        value = value.get("raw")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _when(value: Any) -> datetime | None:
    number = _num(value)
    return datetime.fromtimestamp(number, UTC) if number else None


def time_of_day(moment: datetime, exchange_tz: str) -> str:
    """'before open', 'after close' or 'during market hours', in the exchange's local time."""
    try:
        local = moment.astimezone(ZoneInfo(exchange_tz))
    except (KeyError, ValueError):
        local = moment.astimezone(ZoneInfo("America/New_York"))
    if (local.hour, local.minute) < (9, 30):
        return "before open"
    if local.hour >= 16:
        return "after close"
    return "during market hours"


@dataclass(frozen=True, slots=True)
class EarningsDate:
    """The next report of one listing, from the v7 quote (batched)."""

    symbol: str
    name: str
    quote_type: str
    exchange_tz: str
    start: datetime | None  # the report (confirmed) or the first day of its window (estimated)
    end: datetime | None  # the window's last day when estimated; == start when confirmed
    estimated: bool
    last_report: datetime | None  # earningsTimestamp when it lies before `start`
    eps_forward: float | None
    eps_current_year: float | None
    currency: str
    fetched_at: datetime
    stale: bool = False

    @property
    def no_earnings_kind(self) -> str | None:
        """'an ETF' etc. for listings that never report earnings, else None."""
        return NO_EARNINGS_TYPES.get(self.quote_type.upper())

    @property
    def time_of_day(self) -> str | None:
        """Before open / after close, when the date is confirmed (estimates carry no time)."""
        if self.start is None or self.estimated:
            return None
        return time_of_day(self.start, self.exchange_tz)

    def as_stale(self) -> EarningsDate:
        return replace(self, stale=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "name": self.name,
            "quote_type": self.quote_type,
            "next_report": self.start.isoformat() if self.start else None,
            "window_end": self.end.isoformat() if self.end else None,
            "estimated": self.estimated,
            "time_of_day": self.time_of_day,
            "last_report": self.last_report.isoformat() if self.last_report else None,
            "eps_forward": self.eps_forward,
            "eps_current_year": self.eps_current_year,
            "currency": self.currency,
            "fetched_at": self.fetched_at.isoformat(),
            "stale": self.stale,
        }


def earnings_date_from_v7(row: dict[str, Any], fetched_at: datetime) -> EarningsDate | None:
    """One v7 quote result as an EarningsDate; None without a symbol."""
    symbol = row.get("symbol")
    if not isinstance(symbol, str):
        return None
    start = _when(row.get("earningsTimestampStart"))
    end = _when(row.get("earningsTimestampEnd"))
    stamp = _when(row.get("earningsTimestamp"))
    if start is None and stamp is not None and stamp >= fetched_at:
        start = stamp  # older answers carry only earningsTimestamp
    estimated = bool(row.get("isEarningsDateEstimate")) and (end is not None and end != start)
    return EarningsDate(
        symbol=symbol.upper(),
        name=str(row.get("longName") or row.get("shortName") or symbol),
        quote_type=str(row.get("quoteType") or "EQUITY"),
        exchange_tz=str(row.get("exchangeTimezoneName") or "America/New_York"),
        start=start,
        end=end or start,
        estimated=estimated,
        last_report=stamp if stamp is not None and (start is None or stamp < start) else None,
        eps_forward=_num(row.get("epsForward")),
        eps_current_year=_num(row.get("epsCurrentYear")),
        currency=str(row.get("financialCurrency") or row.get("currency") or ""),
        fetched_at=fetched_at,
    )


@dataclass(frozen=True, slots=True)
class EarningsDates:
    """The answer to one earnings_dates() call, shaped like QuoteBatch."""

    dates: Mapping[str, EarningsDate] = field(default_factory=dict)
    missing: Sequence[str] = ()  # Yahoo has no such symbol
    failed: Mapping[str, str] = field(default_factory=dict)  # symbol -> UpstreamError reason


@dataclass(frozen=True, slots=True)
class QuarterResult:
    """One reported quarter: EPS against the estimate. `surprise_pct` is in percent."""

    quarter_end: date
    eps_actual: float | None
    eps_estimate: float | None
    surprise_pct: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "quarter_end": self.quarter_end.isoformat(),
            "eps_actual": self.eps_actual,
            "eps_estimate": self.eps_estimate,
            "surprise_pct": self.surprise_pct,
        }


@dataclass(frozen=True, slots=True)
class EarningsDetail:
    """Estimates and history of one listing, from one quoteSummary request."""

    symbol: str
    dates: tuple[datetime, ...]  # calendarEvents.earningsDate: one date, or a window of two
    estimated: bool
    eps_avg: float | None
    eps_low: float | None
    eps_high: float | None
    revenue_avg: float | None
    revenue_low: float | None
    revenue_high: float | None
    period_end: date | None  # the quarter the estimates are for (earningsTrend "0q")
    analysts: int | None
    currency: str
    history: tuple[QuarterResult, ...]  # oldest first, at most four
    fetched_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "dates": [d.isoformat() for d in self.dates],
            "estimated": self.estimated,
            "eps_estimate": {"avg": self.eps_avg, "low": self.eps_low, "high": self.eps_high},
            "revenue_estimate": {
                "avg": self.revenue_avg,
                "low": self.revenue_low,
                "high": self.revenue_high,
            },
            "period_end": self.period_end.isoformat() if self.period_end else None,
            "analysts": self.analysts,
            "currency": self.currency,
            "history": [q.to_dict() for q in self.history],
            "fetched_at": self.fetched_at.isoformat(),
        }


def _iso_date(value: Any) -> date | None:
    if isinstance(value, dict):
        value = value.get("fmt") or value.get("raw")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def earnings_detail_from_summary(
    result: dict[str, Any], symbol: str, fetched_at: datetime
) -> EarningsDetail:
    """quoteSummary result[0] with the three earnings modules as an EarningsDetail.

    calendarEvents holds plain numbers; earningsTrend and earningsHistory hold {raw, fmt}
    objects even with formatted=false (research §1), so `_num` reads both.
    """
    calendar = result.get("calendarEvents") or {}
    earnings = calendar.get("earnings") or {}
    dates = tuple(d for d in (_when(v) for v in earnings.get("earningsDate") or []) if d)
    trend_items = (result.get("earningsTrend") or {}).get("trend") or []
    current = next((t for t in trend_items if t.get("period") == "0q"), None) or {}
    estimate = current.get("earningsEstimate") or {}
    revenue = current.get("revenueEstimate") or {}
    analysts = _num(estimate.get("numberOfAnalysts"))
    history = []
    for item in (result.get("earningsHistory") or {}).get("history") or []:
        quarter = _iso_date(item.get("quarter"))
        if quarter is None:
            continue
        surprise = _num(item.get("surprisePercent"))
        history.append(
            QuarterResult(
                quarter_end=quarter,
                eps_actual=_num(item.get("epsActual")),
                eps_estimate=_num(item.get("epsEstimate")),
                surprise_pct=surprise * 100 if surprise is not None else None,  # a fraction
            )
        )
    history.sort(key=lambda q: q.quarter_end)
    return EarningsDetail(
        symbol=symbol.upper(),
        dates=dates,
        estimated=bool(earnings.get("isEarningsDateEstimate")) or len(dates) > 1,
        eps_avg=_num(earnings.get("earningsAverage")) or _num(estimate.get("avg")),
        eps_low=_num(earnings.get("earningsLow")) or _num(estimate.get("low")),
        eps_high=_num(earnings.get("earningsHigh")) or _num(estimate.get("high")),
        revenue_avg=_num(earnings.get("revenueAverage")) or _num(revenue.get("avg")),
        revenue_low=_num(earnings.get("revenueLow")) or _num(revenue.get("low")),
        revenue_high=_num(earnings.get("revenueHigh")) or _num(revenue.get("high")),
        period_end=_iso_date(current.get("endDate")),
        analysts=int(analysts) if analysts is not None else None,
        currency=str(estimate.get("earningsCurrency") or revenue.get("revenueCurrency") or ""),
        history=tuple(history[-4:]),
        fetched_at=fetched_at,
    )
