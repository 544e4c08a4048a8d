"""/earnings: next report date, estimates and the last four quarters; or this week's reports."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import NotFound, UpstreamError
from bot.market.earnings import EarningsDate, EarningsDetail
from bot.market.service import EARNINGS_TTL
from bot.registry import command
from bot.response import ActionRow, Button, Card, Response, Tone, action_rows
from bot.text import safe_echo
from commands._shared.channel_rows import store_of
from commands.earnings_cards import (
    compact_card,
    compact_line,
    earnings_card,
    earnings_text,
    week_card,
    week_line,
)
from commands.market_words import MAX_SYMBOLS, symbol_list
from commands.market_words import failure_message as _failure_message

NEW_YORK = ZoneInfo("America/New_York")
# Up to this many companies get the full answer (estimates and the last 4 quarters cost one
# quoteSummary request each); more are answered as one table from the batched v7 quote alone,
# with a button per company for its full answer.
DETAILED_MAX = 3
BUTTONS_PER_ROW = 5

EarningsSymbols = Annotated[
    list[str] | None,
    symbol_list("1 to 10 tickers or company names; `week` (or nothing) for this week's reports"),
]


@command(
    "earnings",
    deadline=15,
    examples=("earnings NVDA", "earnings AAPL MSFT amazon", "earnings week"),
)
async def earnings(ctx: Context, symbols: EarningsSymbols = None) -> Response:
    """Next earnings date and time, EPS and revenue estimates, last 4 quarters' EPS surprises.

    Up to 10 symbols: the dates of all of them come from one batched Yahoo request; for 1 to 3
    companies each one's estimates and history come from one more. Four or more are shown as
    one table of next reports and the year's EPS estimates, with a button per company for its
    full answer. `earnings week` (or `earnings` alone) lists
    this week's reports (Monday to Sunday, New York time; the coming week on weekends) for
    every symbol this server watches: watchlists, schedules and alerts. Funds, indices and
    crypto report no earnings and say so.
    """
    if not symbols or [s.lower() for s in symbols] == ["week"]:
        return await earnings_week(ctx)
    resolutions = await ctx.symbols.resolve(symbols, ctx.market)
    wanted = list(dict.fromkeys(r.symbol for r in resolutions if r.symbol))
    typed = {r.symbol: r.text for r in resolutions if r.symbol}
    unmatched = [r.text for r in resolutions if r.symbol is None]
    dates = await ctx.market.earnings_dates(wanted) if wanted else None
    found = dict(dates.dates) if dates else {}
    missing = [*unmatched, *(typed.get(s, s) for s in (dates.missing if dates else ()))]
    if not found:
        if dates and dates.failed:
            reason, _ = Counter(dates.failed.values()).most_common(1)[0]
            raise UpstreamError(reason, _failure_message(reason))
        raise NotFound(
            f"No such symbol: {', '.join(safe_echo(m, 20) for m in missing)}.",
            suggestions=await ctx.symbols.suggestions(missing[0], ctx.market) if missing else (),
        )
    ctx.symbols.remember(found)
    reporting = [d for d in found.values() if d.no_earnings_kind is None]
    if len(reporting) > DETAILED_MAX:
        return _table(ctx, found, reporting, missing, dict(dates.failed) if dates else {})
    results = await asyncio.gather(
        *(ctx.market.earnings_detail(d.symbol) for d in reporting), return_exceptions=True
    )
    cards: list[Card] = []
    lines: list[str] = []
    notes: list[str] = []
    data: list[dict[str, Any]] = []
    for date, result in zip(reporting, results, strict=True):
        if isinstance(result, BaseException):
            if not isinstance(result, UpstreamError):
                raise result
            if result.reason == "not_found":
                notes.append(f"{date.symbol}: Yahoo has no earnings estimates for it.")
            else:
                notes.append(f"{date.symbol}: {_failure_message(result.reason)}")
            data.append({**date.to_dict(), "detail": None, "error": result.reason})
            continue
        stale = _is_stale(result, ctx.now)
        cards.append(earnings_card(date, result, now=ctx.now, stale=stale))
        lines.append(earnings_text(date, result))
        data.append({**date.to_dict(), "detail": result.to_dict(), "stale": stale or date.stale})
    for date in found.values():
        kind = date.no_earnings_kind
        if kind is not None:
            notes.append(f"{date.symbol} is {kind}: it reports no earnings.")
            data.append({**date.to_dict(), "detail": None, "no_earnings": kind})
    if missing:
        notes.append(f"No such symbol: {', '.join(safe_echo(m, 20) for m in missing)}.")
    if notes:
        note_text = " ".join(notes)
        if cards and len(cards) >= MAX_SYMBOLS:  # Discord shows 10 cards: fold notes in
            last = cards[-1]
            cards[-1] = Card(
                title=last.title,
                description=(last.description + "\n" + note_text).strip(),
                fields=last.fields,
                tone=last.tone,
                footer=last.footer,
                url=last.url,
            )
        else:
            tone = Tone.WARNING if cards else Tone.NEUTRAL
            cards.append(
                Card(title="Not shown" if cards else "Earnings", description=note_text, tone=tone)
            )
    return Response(
        text="\n".join([*lines, *notes]),
        cards=tuple(cards),
        data={"earnings": data, "missing": missing, "failed": dict(dates.failed) if dates else {}},
    )


def _table(
    ctx: Context,
    found: dict[str, EarningsDate],
    reporting: list[EarningsDate],
    missing: list[str],
    failed: dict[str, str],
) -> Response:
    """Four or more companies: one table from the batched dates, soonest report first."""
    far = ctx.now + timedelta(days=3650)
    ordered = sorted(reporting, key=lambda d: (d.start or far, d.symbol))
    notes = [
        f"{d.symbol} is {d.no_earnings_kind}: it reports no earnings."
        for d in found.values()
        if d.no_earnings_kind is not None
    ]
    if missing:
        notes.append(f"No such symbol: {', '.join(safe_echo(m, 20) for m in missing)}.")
    card = compact_card(ordered, now=ctx.now)
    if notes:
        card = Card(
            title=card.title,
            description=card.description + "\n" + " ".join(notes),
            tone=card.tone,
            footer=card.footer,
        )
    hint = "Estimates and the last 4 quarters: `earnings <symbol>`, one company at a time."
    buttons = [Button(f"{d.symbol} details", f"earnings {d.symbol}") for d in ordered]
    rows = [
        ActionRow(tuple(buttons[i : i + BUTTONS_PER_ROW]))
        for i in range(0, len(buttons), BUTTONS_PER_ROW)
    ]
    data: list[dict[str, Any]] = [{**d.to_dict(), "detail": None} for d in ordered]
    data += [
        {**d.to_dict(), "detail": None, "no_earnings": d.no_earnings_kind}
        for d in found.values()
        if d.no_earnings_kind is not None
    ]
    return Response(
        text="\n".join([*(compact_line(d) for d in ordered), *notes, hint]),
        cards=(card,),
        data={
            "earnings": data,
            "layout": "table",
            "missing": missing,
            "failed": failed,
        },
        actions=action_rows(*rows),
    )


def _is_stale(detail: EarningsDetail, now: datetime) -> bool:
    """A detail older than its TTL was served because Yahoo failed."""
    return (now - detail.fetched_at).total_seconds() > EARNINGS_TTL


def week_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday in New York; on a weekend, the week ahead."""
    local = now.astimezone(NEW_YORK)
    monday = (local - timedelta(days=local.weekday())).date()
    if local.weekday() >= 5:
        monday += timedelta(days=7)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=NEW_YORK)
    return start, start + timedelta(days=7)


async def watched_by_server(ctx: Context) -> list[str]:
    """Every symbol this server watches: watchlists, schedules and alerts (first seen first)."""
    store = store_of(ctx)
    guild = ctx.channel.guild_id
    symbols = await store.watchlists.server_symbols(ctx.platform, guild)
    for schedule in await store.list_schedules(ctx.platform, ctx.channel.id, guild):
        symbols.extend(schedule.symbol_list)
    for alert in await store.list_alerts(ctx.platform, ctx.channel.id, guild):
        symbols.append(alert.symbol)
    return list(dict.fromkeys(symbols))


async def earnings_week(ctx: Context) -> Response:
    """This week's reports for the symbols this server watches, in date order."""
    watched = await watched_by_server(ctx)
    if not watched:
        return Response(
            text="Nothing is watched here yet, so there are no reports to list. Add symbols "
            "with `watchlist add SPCX AMZN`, or ask `earnings NVDA`.",
            data={"reports": [], "watched": []},
        )
    dates = await ctx.market.earnings_dates(watched, budget=10)
    if not dates.dates and dates.failed:
        reason, _ = Counter(dates.failed.values()).most_common(1)[0]
        raise UpstreamError(reason, _failure_message(reason))
    start, end = week_bounds(ctx.now)
    reports: list[EarningsDate] = sorted(
        (d for d in dates.dates.values() if d.start is not None and start <= d.start < end),
        key=lambda d: (d.start or start, d.symbol),
    )
    first_day = start.strftime("%b %d").replace(" 0", " ")
    last_day = (end - timedelta(days=1)).strftime("%b %d").replace(" 0", " ")
    title = (
        f"Earnings this week ({first_day} – {last_day}) · {len(reports)} of {len(watched)} watched"
    )
    card = week_card(title, reports, watched=len(watched), now=ctx.now)
    lines = [week_line(d) for d in reports] or ["No watched symbol reports this week."]
    unanswered = [s for s in dates.failed if s not in dates.dates]
    if unanswered:
        lines.append(
            f"No dates for {', '.join(unanswered)}: {_failure_message(dates.failed[unanswered[0]])}"
        )
    return Response(
        text="\n".join([title, *lines]),
        cards=(card,),
        data={
            "week": {"start": start.isoformat(), "end": end.isoformat()},
            "watched": watched,
            "reports": [d.to_dict() for d in reports],
            "failed": dict(dates.failed),
        },
    )
