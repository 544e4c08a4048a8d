"""Words and parameters the market-breadth commands (news, movers, options, profile) share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from bot.completion import complete_symbols
from bot.context import Context
from bot.errors import NotFound, UpstreamError
from bot.market.symbols import Resolution, check_symbol_text
from bot.registry import Param
from bot.text import safe_echo
from commands.quote_cards import STALE_REASONS, fmt_as_of

NEW_YORK = "America/New_York"
MAX_SYMBOLS = 10  # symbols one quote/earnings/watchlist command takes


def symbol_list(description: str, *, min_items: int = 0) -> Param:
    """The parameter of a command that takes 1 to MAX_SYMBOLS tickers or company names."""
    return Param(
        description,
        min_items=min_items,
        max_items=MAX_SYMBOLS,
        max_length=40,
        complete=complete_symbols,
        parse=check_symbol_text,
        metavar="symbol",
    )


Symbol = Annotated[
    str,
    Param(
        "a ticker or company name, e.g. SPCX or spacex",
        max_length=40,
        complete=complete_symbols,
        parse=check_symbol_text,
        metavar="symbol",
    ),
]

FAILURES = {
    "timeout": "Yahoo Finance did not answer in time; try again in a moment.",
    "unreachable": "Yahoo Finance cannot be reached right now; try again later.",
    "rate_limited": "Yahoo Finance is rate-limiting requests; try again in a minute.",
    "server_error": "Yahoo Finance is having trouble (server error); try again in a minute.",
    "bad_answer": "Yahoo Finance sent an answer we could not read; try again later.",
    "not_found": "Yahoo Finance has no data for it.",
}


def failure_message(reason: str) -> str:
    return FAILURES.get(reason, "Yahoo Finance failed; try again later.")


def upstream(reason: str) -> UpstreamError:
    return UpstreamError(reason, failure_message(reason))


def stale_warning(what: str, reason: str | None, fetched_at: datetime, tz: str = NEW_YORK) -> str:
    why = STALE_REASONS.get(reason or "", "Yahoo failed")
    return f"⚠ Cached {what}: {why}. Last fetched {fmt_as_of(fetched_at, tz)}."


def age(moment: datetime, now: datetime) -> str:
    """'just now', '35 min ago', '3 h ago', '2 d ago'."""
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


async def resolve_one(ctx: Context, text: str) -> Resolution:
    """One symbol or company name to a Yahoo symbol, or NotFound with suggestions."""
    [found] = await ctx.symbols.resolve([text], ctx.market)
    if found.symbol is None:
        raise await not_found(ctx, [text])
    return found


async def not_found(ctx: Context, texts: Sequence[str]) -> NotFound:
    return NotFound(
        f"No such symbol: {', '.join(safe_echo(t, 20) for t in texts)}.",
        suggestions=await ctx.symbols.suggestions(texts[0], ctx.market) if texts else (),
    )
