"""Earnings in the fake Yahoo: v7 quote fields and quoteSummary modules (issue 13).

Shapes follow research/yahoo-formats-more.md: v7 `earningsTimestamp*` / `isEarningsDateEstimate`
/ `epsForward` (§9, recorded AAPL/BABA), quoteSummary `calendarEvents` with plain numbers (§3.1),
`earningsTrend` and `earningsHistory` with {raw, fmt} objects despite formatted=false (§3.3).
Only equities carry earnings; a fund, index or crypto gets no earnings keys in v7 and a 404
"No fundamentals data found" from quoteSummary. Dates are relative to the fake's pinned now.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from tests.fakes.yahoo_server import FakeYahoo

EARNINGS_MODULES = frozenset({"calendarEvents", "earningsHistory", "earningsTrend"})
NEW_YORK = ZoneInfo("America/New_York")


@dataclass
class FakeEarnings:
    """One equity's earnings as the fake serves them."""

    next_report: datetime | None  # UTC; None: Yahoo has no date (empty earningsDate)
    estimated: bool = False  # a window next_report .. window_end, no time of day
    window_end: datetime | None = None
    eps_avg: float = 1.5
    eps_low: float = 1.3
    eps_high: float = 1.7
    revenue_avg: float = 90e9
    revenue_low: float = 85e9
    revenue_high: float = 95e9
    analysts: int = 27
    last_report: datetime | None = None
    # (quarter end, actual, estimate), oldest first
    history: list[tuple[date, float, float]] = field(default_factory=list)


def at_new_york(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), NEW_YORK).astimezone(UTC)


def default_earnings(symbol: str, now: datetime) -> FakeEarnings:
    """Deterministic per symbol: a report 1-45 days after `now`, before open or after close."""
    seed = zlib.crc32(symbol.encode())
    offset = seed % 45 + 1
    day = (now.astimezone(NEW_YORK) + timedelta(days=offset)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    estimated = offset > 30
    report = at_new_york(day, 16, 5) if seed % 2 else at_new_york(day, 7, 0)
    end = None
    if estimated:  # Yahoo's estimated windows start at an odd placeholder hour
        report = at_new_york(day, 6, 59)
        end = at_new_york(day + timedelta(days=5), 8, 0)
    base = 0.5 + (seed % 400) / 100
    quarters = _quarter_ends(now, 4)
    history = [
        (q, round(base * (0.9 + i * 0.05) * 1.04, 2), round(base * (0.9 + i * 0.05), 2))
        for i, q in enumerate(quarters)
    ]
    return FakeEarnings(
        next_report=report,
        estimated=estimated,
        window_end=end,
        eps_avg=round(base * 1.1, 2),
        eps_low=round(base * 1.0, 2),
        eps_high=round(base * 1.2, 2),
        revenue_avg=float(seed % 90 + 10) * 1e9,
        revenue_low=float(seed % 90 + 8) * 1e9,
        revenue_high=float(seed % 90 + 12) * 1e9,
        last_report=at_new_york(quarters[-1] + timedelta(days=30), 16, 5),
        history=history,
    )


def _quarter_ends(now: datetime, count: int) -> list[date]:
    """The `count` calendar quarter ends before `now`, oldest first."""
    day = now.date()
    ends: list[date] = []
    year, quarter = day.year, (day.month - 1) // 3  # the quarter before the current one
    while len(ends) < count:
        if quarter == 0:
            year, quarter = year - 1, 4
        month = quarter * 3
        ends.append(date(year, month, 31 if month in (3, 12) else 30))
        quarter -= 1
    return sorted(ends)


def _ts(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


def quote_fields(earnings: FakeEarnings | None) -> dict[str, Any]:
    """The v7 quote's earnings keys (absent, not null, when there are none)."""
    if earnings is None:
        return {}
    out: dict[str, Any] = {}
    if earnings.last_report is not None:
        out["earningsTimestamp"] = _ts(earnings.last_report)
    if earnings.next_report is not None:
        start = _ts(earnings.next_report)
        end = _ts(earnings.window_end) if earnings.estimated else start
        out.update(
            earningsTimestampStart=start,
            earningsTimestampEnd=end,
            earningsCallTimestampStart=start,
            earningsCallTimestampEnd=start,
            isEarningsDateEstimate=earnings.estimated,
        )
    out.update(epsForward=round(earnings.eps_avg * 4.2, 2), epsCurrentYear=earnings.eps_avg * 4)
    return out


def _raw(value: float, fmt: str | None = None) -> dict[str, Any]:
    return {"raw": value, "fmt": fmt if fmt is not None else f"{value:.2f}"}


def summary_modules(earnings: FakeEarnings, modules: set[str]) -> dict[str, Any]:
    """quoteSummary result[0] holding only the earnings modules asked for."""
    out: dict[str, Any] = {}
    if "calendarEvents" in modules:
        dates = []
        if earnings.next_report is not None:
            dates.append(_ts(earnings.next_report))
            if earnings.estimated and earnings.window_end is not None:
                dates.append(_ts(earnings.window_end))
        out["calendarEvents"] = {
            "maxAge": 1,
            "earnings": {
                "earningsDate": dates,
                "earningsCallDate": dates[:1],
                "isEarningsDateEstimate": earnings.estimated,
                "earningsAverage": earnings.eps_avg,
                "earningsLow": earnings.eps_low,
                "earningsHigh": earnings.eps_high,
                "revenueAverage": int(earnings.revenue_avg),
                "revenueLow": int(earnings.revenue_low),
                "revenueHigh": int(earnings.revenue_high),
            },
        }
    if "earningsTrend" in modules:
        period_end = earnings.history[-1][0] + timedelta(days=92) if earnings.history else None
        out["earningsTrend"] = {
            "trend": [
                {
                    "maxAge": 1,
                    "period": "0q",
                    "endDate": period_end.isoformat() if period_end else None,
                    "growth": _raw(0.0568, "5.68%"),
                    "earningsEstimate": {
                        "avg": _raw(earnings.eps_avg),
                        "low": _raw(earnings.eps_low),
                        "high": _raw(earnings.eps_high),
                        "yearAgoEps": _raw(round(earnings.eps_avg * 0.95, 2)),
                        "numberOfAnalysts": {
                            "raw": earnings.analysts,
                            "fmt": str(earnings.analysts),
                            "longFmt": str(earnings.analysts),
                        },
                        "growth": _raw(0.051, "5.10%"),
                        "earningsCurrency": "USD",
                    },
                    "revenueEstimate": {
                        "avg": _raw(earnings.revenue_avg, f"{earnings.revenue_avg / 1e9:.2f}B"),
                        "low": _raw(earnings.revenue_low, f"{earnings.revenue_low / 1e9:.2f}B"),
                        "high": _raw(earnings.revenue_high, f"{earnings.revenue_high / 1e9:.2f}B"),
                        "numberOfAnalysts": {
                            "raw": earnings.analysts,
                            "fmt": str(earnings.analysts),
                        },
                        "revenueCurrency": "USD",
                    },
                    "epsTrend": {"current": _raw(earnings.eps_avg), "epsTrendCurrency": "USD"},
                    "epsRevisions": {"upLast7days": {"raw": 0, "fmt": None}, "downLast90days": {}},
                }
            ],
            "maxAge": 1,
        }
    if "earningsHistory" in modules:
        count = len(earnings.history)
        out["earningsHistory"] = {
            "history": [
                {
                    "maxAge": 1,
                    "epsActual": _raw(actual),
                    "epsEstimate": _raw(estimate),
                    "epsDifference": _raw(round(actual - estimate, 2)),
                    "surprisePercent": _raw(
                        (actual - estimate) / estimate, f"{(actual - estimate) / estimate:.2%}"
                    ),
                    "quarter": {
                        "raw": int(datetime.combine(quarter, time(), UTC).timestamp()),
                        "fmt": quarter.isoformat(),
                    },
                    "currency": "USD",
                    "period": f"-{count - i}q",
                }
                for i, (quarter, actual, estimate) in enumerate(earnings.history)
            ],
            "maxAge": 86400,
        }
    return out


def no_fundamentals(modules: set[str]) -> dict[str, Any]:
    """Yahoo's 404 body for a listing without these modules (N, EURUSD=X)."""
    return {
        "quoteSummary": {
            "result": None,
            "error": {
                "code": "Not Found",
                "description": "No fundamentals data found for any of the summaryTypes="
                + ",".join(sorted(modules)),
            },
        }
    }


def with_earnings(
    fake: FakeYahoo,
    symbol: str,
    query: dict[str, list[str]],
    answer: tuple[int, dict[str, Any]],
) -> tuple[int, dict[str, Any]]:
    """A quoteSummary answer with the earnings modules asked for served from FakeEarnings.

    Other modules (profile, statistics) come from yahoo_breadth; only modules that exist are
    returned, and a listing with none of those asked gets Yahoo's 404 (research §10.2).
    """
    wanted = {m for m in ",".join(query.get("modules", [])).split(",") if m}
    mine = wanted & EARNINGS_MODULES
    sym = fake.symbols.get(symbol)
    if not mine or sym is None:
        return answer
    if not mine - {"calendarEvents"} and symbol not in fake.earnings:
        # calendarEvents alone is the profile's request: yahoo_breadth's dates answer it
        # (the two fakes' default dates differ; tests that compare them set fake.earnings).
        return answer
    status, body = answer
    result = dict(body["quoteSummary"]["result"][0]) if status == 200 else {}
    for name in mine:
        result.pop(name, None)
    earnings = fake.earnings_for(sym)
    if earnings is not None:
        result.update(summary_modules(earnings, mine))
    if not result:
        return 404, no_fundamentals(wanted)
    return 200, {"quoteSummary": {"result": [result], "error": None}}
