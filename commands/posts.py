"""What scheduled price and watchlist posts, alert notices and deal-watch posts say (the scheduler decides
when they go out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.context import FeatureData
from bot.market.types import Quote, QuoteBatch
from bot.posts import PostRenderers
from bot.response import Card, Response, Tone
from bot.schedule_times import format_local
from commands.dealwatch import render_event
from commands.quote_cards import fmt_price, quote_line, quotes_table_card
from commands.watchlist_cards import WatchedSymbol, watchlist_response

if TYPE_CHECKING:
    from bot.store.models import Alert

WATCHLIST_NAMES = {"channel": "This channel's watchlist"}


def schedule_post(
    schedule_id: int, symbols: Sequence[str], tz: str, due: datetime, batch: QuoteBatch
) -> Response | None:
    """The card of one scheduled post (None when no symbol has a price)."""
    quotes = [batch.quotes[s] for s in symbols if s in batch.quotes]
    if not quotes:
        return None
    title = f"Prices · {format_local(due, tz)}"
    card = quotes_table_card(title, quotes)
    absent = [s for s in symbols if s not in batch.quotes]
    note = f"No price for {', '.join(absent)} right now." if absent else ""
    card = replace(card, description=note, footer=f"{card.footer} · schedule #{schedule_id}")
    lines = [title, *(quote_line(q) for q in quotes)]
    if note:
        lines.append(note)
    data = {
        "schedule_id": schedule_id,
        "due_at": due.isoformat(),
        "quotes": [
            {"symbol": q.symbol, "price": q.price, "change_pct": q.change_pct} for q in quotes
        ],
        "missing": absent,
    }
    return Response(text="\n".join(lines), cards=(card,), data=data)


def watchlist_post(
    schedule_id: int,
    whose: str,
    symbols: Sequence[str],
    tz: str,
    due: datetime,
    batch: QuoteBatch,
) -> Response | None:
    """A watchlist schedule's post: the list as it is now, in the card `watchlist` shows.

    An empty list posts a one-line note (the schedule lives on, so the channel sees why its
    post has no prices); None only when the list has symbols and none has a price (retried).
    """
    name = WATCHLIST_NAMES.get(whose, f"Watchlist ({whose})")
    title = f"{name} · {format_local(due, tz)}"
    data: dict[str, Any] = {
        "schedule_id": schedule_id,
        "due_at": due.isoformat(),
        "watchlist": whose,
    }
    if not symbols:
        note = (
            f"{name} is empty, so there is nothing to quote. Add symbols with "
            f"`watchlist add <symbol...> list:channel`, or `schedule pause {schedule_id}`."
        )
        footer = f"schedule #{schedule_id}"
        card = Card(title=title, description=note, tone=Tone.NEUTRAL, footer=footer)
        return Response(
            text=f"{title}\n{note}\n{footer}",
            cards=(card,),
            data={**data, "symbols": [], "quotes": [], "missing": [], "empty": True},
        )
    unpriced = [s for s in symbols if s not in batch.quotes]
    if len(unpriced) == len(symbols) and not set(unpriced) <= set(batch.missing):
        return None  # Yahoo failed for all of them: the scheduler retries the slot
    watched = [WatchedSymbol(s, (whose,)) for s in symbols]
    answer = watchlist_response(title, watched, batch, now=due, show_tags=False, extra_data=data)
    card = answer.cards[0]
    card = replace(card, footer=f"{card.footer} · schedule #{schedule_id}")
    return replace(answer, cards=(card,), text=f"{answer.text} · schedule #{schedule_id}")


def alert_post(alert: Alert, quote: Quote) -> Response:
    """The card an alert posts: what crossed, and the quote row (same code as /quote)."""
    if alert.kind == "move":
        what = f"{alert.symbol} moved {quote.change_pct or 0:+.2f}% (alert at {alert.threshold:g}%)"
    else:
        verb = "rose above" if alert.kind == "above" else "fell below"
        what = f"{alert.symbol} {verb} {fmt_price(alert.threshold, alert.symbol)}"
    card = quotes_table_card(f"🔔 {what}", [quote])
    tone = Tone.UP if alert.kind == "above" else Tone.DOWN if alert.kind == "below" else card.tone
    card = replace(card, tone=tone, footer=f"{card.footer} · alert #{alert.id}")
    data: dict[str, Any] = {
        "alert_id": alert.id,
        "symbol": alert.symbol,
        "kind": alert.kind,
        "threshold": alert.threshold,
        "price": quote.price,
    }
    return Response(text=f"🔔 {what}\n{quote_line(quote)}", cards=(card,), data=data)


def post_renderers(data: FeatureData) -> PostRenderers:
    """The renderers of an app; `data` is its feature data (a deal post names the deal book's
    status and date, read when the post is made)."""
    return PostRenderers(
        schedule=schedule_post,
        alert=alert_post,
        deal_event=render_event(data),
        watchlist=watchlist_post,
    )
