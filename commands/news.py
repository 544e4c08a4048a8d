"""/news: the latest headlines for up to three symbols, or the market's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from bot.completion import complete_symbols
from bot.context import Context
from bot.errors import UpstreamError
from bot.market.news import MARKET_NEWS_SYMBOL, merge_feeds
from bot.market.symbols import check_symbol_text
from bot.registry import Param, command
from bot.response import ActionRow, Card, Field, Response, Tone
from bot.text import safe_echo
from commands._shared.buttons import page_buttons
from commands._shared.paging import Page, page_of
from commands.market_words import NEW_YORK, age, failure_message, not_found, stale_warning
from commands.quote_cards import fmt_as_of

MAX_SYMBOLS = 3
MAX_HEADLINES = 8

NewsSymbols = Annotated[
    Sequence[str],
    Param(
        "up to 3 tickers or company names; none for market news",
        max_items=MAX_SYMBOLS,
        max_length=40,
        complete=complete_symbols,
        parse=check_symbol_text,
        metavar="symbol",
    ),
]


@command("news", examples=("news SPCX", "news spacex amazon", "news"))
async def news(ctx: Context, symbols: NewsSymbols = (), *, page: Page = 1) -> Response:
    """Latest headlines for 1 to 3 symbols or company names; market news with none.

    Newest first, each story once even when it concerns several of the symbols, with its
    publisher, its age and a link (links are never unfurled into previews). Headlines come
    from Yahoo Finance's news stream and are cached for a few minutes.
    """
    missing: list[str] = []
    resolved: dict[str, str] = {}
    wanted: list[str] = []
    if symbols:
        resolutions = await ctx.symbols.resolve(list(symbols), ctx.market)
        missing = [r.text for r in resolutions if r.symbol is None]
        typed = {r.symbol: r.text for r in resolutions if r.symbol}
        wanted = list(typed)
        resolved = {r.text: r.symbol for r in resolutions if r.symbol and r.via != "ticker"}
        if wanted:  # one batched quote request says which symbols exist, and their names
            try:
                batch = await ctx.market.quotes(wanted)
            except UpstreamError:
                batch = None
            if batch is not None:
                missing += [typed[s] for s in batch.missing]
                wanted = [s for s in wanted if s not in batch.missing]
        if not wanted:
            raise await not_found(ctx, missing)
        ctx.symbols.remember(wanted)
    result = await ctx.market.news(wanted)
    feeds = [result.feeds[s] for s in (wanted or [MARKET_NEWS_SYMBOL]) if s in result.feeds]
    if not feeds:
        reason = next(iter(result.failed.values()), "bad_answer")
        raise UpstreamError(reason, failure_message(reason))
    merged = merge_feeds(feeds, MAX_HEADLINES * 10)
    paged = page_of(merged, page, MAX_HEADLINES) if merged else None
    headlines = list(paged.items) if paged else []
    subject = ", ".join(wanted) if wanted else "the market"
    title = f"News · {', '.join(wanted)}" if wanted else "Market news"
    oldest = min(f.fetched_at for f in feeds)
    stale = [f for f in feeds if f.stale]
    notes: list[str] = []
    if missing:
        notes.append(f"No such symbol: {', '.join(safe_echo(m, 20) for m in missing)}.")
    unanswered = [s for s in wanted if s not in result.feeds]
    if unanswered:
        reason = result.failed.get(unanswered[0], "bad_answer")
        notes.append(f"No headlines for {', '.join(unanswered)}: {failure_message(reason)}")
    data: dict[str, Any] = {
        "symbols": wanted or [MARKET_NEWS_SYMBOL],
        "market": not wanted,
        "headlines": [{**item.to_dict(), "symbols": list(syms)} for item, syms in headlines],
        "fetched_at": oldest.isoformat(),
        "stale": bool(stale),
        "failed": dict(result.failed),
        "missing": missing,
        "resolved": resolved,
        "source": "Yahoo Finance news",
    }
    footer = f"Yahoo Finance news · newest first · fetched {fmt_as_of(oldest, NEW_YORK)}"
    if not headlines:
        text = f"No headlines from Yahoo Finance for {subject} right now."
        return Response(text="\n".join([text, *notes]), data=data, unfurl=False)
    fields = []
    lines = []
    for item, syms in headlines:
        where = f" · {', '.join(syms)}" if len(wanted) > 1 else ""
        meta = f"{item.publisher} · {age(item.published, ctx.now)}{where}"
        fields.append(Field(item.title, f"{meta}\n{item.url}" if item.url else meta, inline=False))
        lines.append(f"• {item.title} ({meta})" + (f" {item.url}" if item.url else ""))
    description = " ".join(
        [stale_warning("headlines", stale[0].stale_reason, stale[0].fetched_at)] if stale else []
    )
    cards = [
        Card(
            title=title,
            description=description,
            fields=tuple(fields),
            tone=Tone.WARNING if stale else Tone.NEUTRAL,
            footer=footer,
        )
    ]
    if notes:
        cards.append(Card(title="Not shown", description=" ".join(notes), tone=Tone.WARNING))
    text = "\n".join([f"{title} (newest first)", *lines, *notes, footer])
    actions: tuple[ActionRow, ...] = ()
    if paged is not None and paged.pages > 1:
        data |= paged.data()
        actions = page_buttons(ctx, paged)
    return Response(text=text, cards=tuple(cards), data=data, unfurl=False, actions=actions)
