"""How a watchlist looks: one card, a line per symbol, for `watchlist` and scheduled posts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.market.types import Quote, QuoteBatch
from bot.response import Card, Response, Tone
from commands.quote_cards import STALE_REASONS, fmt_as_of, fmt_change, fmt_price


@dataclass(frozen=True, slots=True)
class WatchedSymbol:
    """A symbol to quote and the lists it is on ("yours", "channel")."""

    symbol: str
    lists: tuple[str, ...]


def watch_line(quote: Quote, tags: Sequence[str] = ()) -> str:
    """`AMZN  231.50 USD  +5.52 (+2.44%)  closed` plus the lists it is on."""
    sym = quote.symbol
    line = (
        f"{sym}  {fmt_price(quote.price, sym)} {quote.currency}  "
        f"{fmt_change(quote.change, quote.change_pct, sym, quote.price)}  "
        f"{quote.market_state.value}"
    )
    ext = quote.pre_market or quote.post_market
    if ext is not None:
        label = "pre" if ext is quote.pre_market else "after hours"
        line += f" ({label} {fmt_price(ext.price, sym)})"
    if quote.stale:
        line += " · cached"
    if tags:
        line += f" · {', '.join(tags)}"
    return line


def watchlist_response(
    title: str,
    watched: Sequence[WatchedSymbol],
    batch: QuoteBatch,
    *,
    now: datetime,
    show_tags: bool = True,
    extra_data: Mapping[str, Any] | None = None,
) -> Response:
    """The watchlist answer: one card whose description lists every quoted symbol."""
    quotes = [batch.quotes[w.symbol] for w in watched if w.symbol in batch.quotes]
    tags = {w.symbol: w.lists for w in watched}
    lines = [watch_line(q, tags.get(q.symbol, ()) if show_tags else ()) for q in quotes]
    notes: list[str] = []
    if batch.missing:
        notes.append(f"Yahoo has no such symbol: {', '.join(batch.missing)}.")
    unanswered = [s for s in batch.failed if s not in batch.quotes]
    if unanswered:
        reason = STALE_REASONS.get(batch.failed[unanswered[0]], "Yahoo failed")
        notes.append(f"No price for {', '.join(unanswered)}: {reason}.")
    stale = [q for q in quotes if q.stale]
    if stale:
        reason = STALE_REASONS.get(batch.failed.get(stale[0].symbol, ""), "Yahoo failed")
        notes.append(f"⚠ Cached prices for {', '.join(q.symbol for q in stale)}: {reason}.")
    changes = [q.change_pct for q in quotes if q.change_pct is not None]
    tone = Tone.of_change(sum(changes) / len(changes)) if changes else Tone.NEUTRAL
    if stale or unanswered:
        tone = Tone.WARNING
    latest = max(quotes, key=lambda q: q.as_of) if quotes else None
    footer = "Yahoo Finance"
    if latest is not None:
        footer += f" · prices as of {fmt_as_of(latest.as_of, latest.exchange_tz)}"
        fetched = [q.fetched_at for q in quotes if q.fetched_at is not None]
        if fetched:
            oldest = min(fetched)
            footer += f" · fetched {fmt_as_of(oldest, latest.exchange_tz)}"
    description = "\n".join([*lines, *notes]) or "No prices came back."
    card = Card(title=title, description=description, tone=tone, footer=footer)
    data: dict[str, Any] = {
        "symbols": [{"symbol": w.symbol, "lists": list(w.lists)} for w in watched],
        "quotes": [q.to_dict() for q in quotes],
        "missing": list(batch.missing),
        "failed": dict(batch.failed),
        "as_of": now.isoformat(),
        **(extra_data or {}),
    }
    text = "\n".join([title, *lines, *notes, footer])
    return Response(text=text, cards=(card,), data=data)
