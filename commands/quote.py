"""/quote: live prices for 1 to 10 symbols or company names."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Annotated, Any

from bot.context import Context
from bot.errors import NotFound, UpstreamError
from bot.registry import command
from bot.response import (
    ActionRow,
    Button,
    ButtonStyle,
    Card,
    Lookup,
    Response,
    Tone,
    action_rows,
)
from bot.text import safe_echo
from commands.market_words import failure_message as _failure_message
from commands.market_words import symbol_list
from commands.quote_cards import quote_card, quote_line

Symbols = Annotated[
    list[str], symbol_list("1 to 10 tickers or company names, e.g. SPCX AMZN google", min_items=1)
]


@command(
    "quote",
    examples=("quote SPCX AMZN", "quote spacex google", "quote BRK.B 7203.T ^GSPC BTC-USD"),
)
async def quote(ctx: Context, symbols: Symbols) -> Response:
    """Price, change, day range and market state for 1 to 10 symbols.

    Takes tickers (SPCX, BRK.B, 7203.T, ^GSPC, BTC-USD, EURUSD=X) or company names
    (spacex, amazon, google). Prices come from Yahoo Finance with the time they are from,
    in the exchange's time zone; pre-market and after-hours prices show when there are any.
    """
    resolutions = await ctx.symbols.resolve(symbols, ctx.market)
    # One pass over what was typed: the symbols to ask for (in order, once each), what each
    # was typed as, what matched nothing, and which names were looked up.
    typed: dict[str, str] = {}
    unmatched: list[str] = []
    resolved: dict[str, str] = {}
    for r in resolutions:
        if r.symbol is None:
            unmatched.append(r.text)
            continue
        typed[r.symbol] = r.text  # the last spelling, should it come back missing
        if r.via != "ticker":
            resolved[r.text] = r.symbol
    batch = await ctx.market.quotes(list(typed)) if typed else None
    quotes = list(batch.quotes.values()) if batch else []
    missing = [*unmatched, *(typed.get(s, s) for s in (batch.missing if batch else ()))]
    if not quotes:
        if batch and batch.failed:
            reason, _ = Counter(batch.failed.values()).most_common(1)[0]
            raise UpstreamError(reason, _failure_message(reason))
        raise NotFound(
            f"No such symbol: {', '.join(safe_echo(m, 20) for m in missing)}.",
            suggestions=await ctx.symbols.suggestions(missing[0], ctx.market) if missing else (),
        )
    ctx.symbols.remember(q.symbol for q in quotes)
    failed = batch.failed if batch else {}
    cards = []
    lines = []
    rows = []
    for q in quotes:
        cards.append(quote_card(q, failed.get(q.symbol)))
        lines.append(quote_line(q))
        rows.append(q.to_dict())
    notes = []
    if missing:
        note = f"No such symbol: {', '.join(safe_echo(m, 20) for m in missing)}."
        suggestions = await ctx.symbols.suggestions(missing[0], ctx.market)
        if suggestions:
            note += f" Did you mean: {', '.join(suggestions)}?"
        notes.append(note)
    unanswered = [s for s in failed if s not in batch.quotes] if batch else []
    if unanswered:
        notes.append(
            f"No answer for {', '.join(unanswered)}: {_failure_message(failed[unanswered[0]])}"
        )
    if notes:
        cards.append(Card(title="Not shown", description=" ".join(notes), tone=Tone.WARNING))
        lines.extend(notes)
    data: dict[str, Any] = {
        "quotes": rows,
        "missing": missing,
        "failed": dict(failed),
        "resolved": resolved,
    }
    return Response(text="\n".join(lines), cards=tuple(cards), data=data, actions=refresh(ctx))


# Where the platform has a typeahead in messages (Slack): pick another symbol, its quote
# replaces this one. Suggestions come from the `symbols` parameter's own completion.
ANOTHER = Lookup("Quote another symbol…", ("quote",), "symbols")


def refresh(ctx: Context) -> tuple[ActionRow, ...]:
    """A Refresh button (the same command again; its answer replaces this one) and a
    typeahead for another symbol."""
    try:
        line = ctx.again()
    except ValueError:
        return action_rows(ActionRow((ANOTHER,)))
    return _refresh_rows(line)


@lru_cache(maxsize=1024)  # every quote of SPCX, and every press of its Refresh, has the same
def _refresh_rows(line: str) -> tuple[ActionRow, ...]:
    return action_rows(ActionRow((Button("Refresh", line, ButtonStyle.PRIMARY), ANOTHER)))
