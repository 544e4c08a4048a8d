"""How earnings look: a card per symbol, and one card for the week's reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.market.earnings import EarningsDate, EarningsDetail, QuarterResult
from bot.response import Card, Field, Tone
from commands.quote_cards import fmt_as_of, fmt_big

SOURCE_DETAIL = "Yahoo Finance (quoteSummary calendarEvents, earningsTrend, earningsHistory)"
SOURCE_DATES = "Yahoo Finance (v7 quote: earnings dates)"


def fmt_day(moment: datetime, tz_name: str) -> str:
    """'Thu Dec 3, 2026' in the exchange's zone."""
    local = moment.astimezone(ZoneInfo(tz_name))
    return local.strftime("%a %b %d, %Y").replace(" 0", " ")


def describe_date(date: EarningsDate) -> str:
    """'Thu Dec 3, 2026, after close' or 'between Jan 5 and Jan 9, 2027 (estimated)'."""
    if date.start is None:
        return "no date announced"
    tz = date.exchange_tz
    if date.estimated and date.end is not None and date.end.date() != date.start.date():
        first = date.start.astimezone(ZoneInfo(tz)).strftime("%b %d").replace(" 0", " ")
        return f"between {first} and {fmt_day(date.end, tz)[4:]} (estimated)"
    text = fmt_day(date.start, tz)
    if date.estimated:
        return f"{text} (estimated)"
    return f"{text}, {date.time_of_day}"


def _eps(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def quarter_label(result: QuarterResult) -> str:
    """'Quarter to Sep 30, 2026' (fiscal quarters end on any day, so no Q-number is guessed)."""
    return f"Quarter to {result.quarter_end.strftime('%b %d, %Y').replace(' 0', ' ')}"


def quarter_line(result: QuarterResult) -> str:
    line = (
        f"{quarter_label(result)}: EPS {_eps(result.eps_actual)} vs {_eps(result.eps_estimate)} est"
    )
    if result.surprise_pct is not None:
        line += f" · surprise {result.surprise_pct:+.1f}%"
    return line


def earnings_card(
    date: EarningsDate, detail: EarningsDetail, *, now: datetime, stale: bool
) -> Card:
    """The /earnings card for one equity."""
    cur = detail.currency or date.currency
    fields = [Field("Next report", describe_date(date), inline=False)]
    period = (
        f" (quarter to {detail.period_end:%b %d})".replace(" 0", " ") if detail.period_end else ""
    )
    eps = f"{_eps(detail.eps_avg)}{period}"
    if detail.eps_low is not None and detail.eps_high is not None:
        eps += f", range {_eps(detail.eps_low)} – {_eps(detail.eps_high)}"
    if detail.analysts:
        eps += f", {detail.analysts} analysts"
    fields.append(Field("EPS estimate", eps, inline=False))
    revenue = fmt_big(detail.revenue_avg, cur)
    if detail.revenue_low is not None and detail.revenue_high is not None:
        revenue += (
            f", range {fmt_big(detail.revenue_low, cur)} – {fmt_big(detail.revenue_high, cur)}"
        )
    fields.append(Field("Revenue estimate", revenue, inline=False))
    if detail.history:
        lines = "\n".join(quarter_line(q) for q in reversed(detail.history))
        fields.append(Field(f"Last {len(detail.history)} quarters", lines, inline=False))
    beats = [q.surprise_pct for q in detail.history if q.surprise_pct is not None]
    tone = Tone.of_change(beats[-1]) if beats else Tone.NEUTRAL
    description = ""
    if stale or date.stale:
        tone = Tone.WARNING
        description = (
            f"⚠ Cached: Yahoo failed just now; these numbers were fetched "
            f"{fmt_as_of(detail.fetched_at, date.exchange_tz)}."
        )
    title = f"{date.symbol} · {date.name} · earnings" if date.name != date.symbol else date.symbol
    return Card(
        title=title,
        description=description,
        fields=tuple(fields),
        tone=tone,
        footer=f"{SOURCE_DETAIL} · fetched {fmt_as_of(detail.fetched_at, date.exchange_tz)}",
        url=f"https://finance.yahoo.com/quote/{date.symbol}/analysis",
    )


def earnings_text(date: EarningsDate, detail: EarningsDetail) -> str:
    """The text fallback for one symbol."""
    parts = [
        f"{date.symbol}: next report {describe_date(date)}",
        f"EPS est {_eps(detail.eps_avg)}",
        f"revenue est {fmt_big(detail.revenue_avg, detail.currency or date.currency)}",
    ]
    if detail.history:
        latest = detail.history[-1]
        parts.append(f"last: {quarter_line(latest)}")
    return "; ".join(parts)


def compact_line(date: EarningsDate) -> str:
    """One company in the many-symbol table: next report and the year's EPS estimates."""
    line = f"{date.symbol}: {describe_date(date)}"
    estimates = []
    if date.eps_current_year is not None:
        estimates.append(f"this year {_eps(date.eps_current_year)}")
    if date.eps_forward is not None:
        estimates.append(f"forward {_eps(date.eps_forward)}")
    if estimates:
        line += " · EPS est " + ", ".join(estimates)
    return line


def compact_card(dates: Sequence[EarningsDate], *, now: datetime) -> Card:
    """Many companies' next reports in one card, soonest first, from the batched v7 quote."""
    fetched = min((d.fetched_at for d in dates), default=now)
    description = "\n".join(compact_line(d) for d in dates)
    stale = any(d.stale for d in dates)
    if stale:
        description += "\n⚠ Some dates are cached: Yahoo failed just now."
    return Card(
        title=f"Next earnings · {len(dates)} companies",
        description=description,
        tone=Tone.WARNING if stale else Tone.NEUTRAL,
        footer=(
            f"{SOURCE_DATES} · fetched {fmt_as_of(fetched, 'America/New_York')} · "
            f"quarterly estimates and the last 4 quarters: one company at a time"
        ),
    )


def week_card(title: str, reports: Sequence[EarningsDate], *, watched: int, now: datetime) -> Card:
    """This week's reports for the watched symbols, in date order."""
    lines = [week_line(d) for d in reports]
    fetched = min((d.fetched_at for d in reports), default=now)
    description = "\n".join(lines) if lines else "No watched symbol reports this week."
    stale = any(d.stale for d in reports)
    if stale:
        description += "\n⚠ Some dates are cached: Yahoo failed just now."
    return Card(
        title=title,
        description=description,
        tone=Tone.WARNING if stale else Tone.NEUTRAL,
        footer=(
            f"{watched} watched symbols (watchlists, schedules, alerts) · {SOURCE_DATES} · "
            f"fetched {fmt_as_of(fetched, 'America/New_York')}"
        ),
    )


def week_line(date: EarningsDate) -> str:
    return f"{describe_date(date)} · {date.symbol} ({date.name})"
