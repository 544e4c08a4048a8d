"""How quotes look: one card per symbol for /quote, one row per symbol for scheduled posts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote as quote_url
from zoneinfo import ZoneInfo

from bot.market.types import ExtendedPrice, Quote
from bot.response import Card, Field, Tone

STALE_REASONS = {
    "timeout": "Yahoo did not answer in time",
    "unreachable": "Yahoo cannot be reached",
    "rate_limited": "Yahoo is rate-limiting us",
    "server_error": "Yahoo Finance is having trouble",
    "bad_answer": "Yahoo sent an unreadable answer",
}


def fmt_price(value: float | None, symbol: str = "", ref: float | None = None) -> str:
    """A price with the decimals its size needs; `ref` (the price) sets them for a change."""
    if value is None:
        return "n/a"
    scale = abs(ref if ref is not None else value)
    if symbol.endswith("=X") or scale < 1:
        return f"{value:,.4f}"
    return f"{value:,.2f}"


def fmt_change(
    change: float | None, pct: float | None, symbol: str = "", ref: float | None = None
) -> str:
    if change is None and pct is None:
        return "n/a"
    parts = []
    if change is not None:
        parts.append(("+" if change > 0 else "") + fmt_price(change, symbol, ref))
    if pct is not None:
        parts.append(f"({pct:+.2f}%)")
    return " ".join(parts)


def fmt_big(value: float | None, currency: str = "") -> str:
    """1234567 -> 1.23M; with a currency, $1.23M for USD and 1.23M JPY otherwise."""
    if value is None:
        return "n/a"
    text = f"{value:,.0f}"
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= limit:
            text = f"{value / limit:,.2f}{suffix}"
            break
    if currency == "USD":
        return "$" + text
    return f"{text} {currency}" if currency else text


def fmt_as_of(moment: datetime | None, tz_name: str) -> str:
    if moment is None:
        return "time unknown"
    try:
        zone = ZoneInfo(tz_name)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%b %d %H:%M %Z").replace(" 0", " ")


def _extended(label: str, ext: ExtendedPrice, quote: Quote) -> Field:
    value = fmt_price(ext.price, quote.symbol)
    if ext.change_pct is not None:
        value += f" ({ext.change_pct:+.2f}%)"
    if ext.time is not None:
        value += f", {fmt_as_of(ext.time, quote.exchange_tz)}"
    return Field(label, value)


def footer(quote: Quote) -> str:
    parts = [quote.source]
    if quote.exchange:
        parts.append(quote.exchange)
    if quote.currency:
        parts.append(quote.currency)
    parts.append(f"as of {fmt_as_of(quote.as_of, quote.exchange_tz)}")
    if quote.delay_minutes:
        parts.append(f"delayed {quote.delay_minutes} min")
    return " · ".join(parts)


def stale_note(quote: Quote, reason: str | None) -> str:
    why = STALE_REASONS.get(reason or "", "Yahoo failed")
    fetched = fmt_as_of(quote.fetched_at, quote.exchange_tz) if quote.fetched_at else "earlier"
    return f"⚠ Cached price: {why}. Last fetched {fetched}."


@lru_cache(maxsize=4096)
def quote_card(quote: Quote, stale_reason: str | None = None) -> Card:
    """The full /quote card for one symbol.

    Memoised: the market cache hands out the same Quote object until it refreshes, so a burst
    of questions about one symbol formats it once (Quote and Card are frozen).
    """
    sym = quote.symbol
    fields = [
        Field("Price", f"{fmt_price(quote.price, sym)} {quote.currency}".strip()),
        Field("Change", fmt_change(quote.change, quote.change_pct, sym, quote.price)),
        Field("Prev close", fmt_price(quote.previous_close, sym)),
    ]
    if quote.day_low is not None and quote.day_high is not None:
        fields.append(
            Field(
                "Day range", f"{fmt_price(quote.day_low, sym)} – {fmt_price(quote.day_high, sym)}"
            )
        )
    if quote.volume:
        fields.append(Field("Volume", fmt_big(quote.volume)))
    if quote.market_cap:
        fields.append(Field("Market cap", fmt_big(quote.market_cap, quote.currency)))
    if quote.year_low is not None and quote.year_high is not None:
        fields.append(
            Field(
                "52-week", f"{fmt_price(quote.year_low, sym)} – {fmt_price(quote.year_high, sym)}"
            )
        )
    fields.append(Field("Market", quote.market_state.value))
    if quote.pre_market is not None:
        fields.append(_extended("Pre-market", quote.pre_market, quote))
    if quote.post_market is not None:
        fields.append(_extended("After hours", quote.post_market, quote))
    return Card(
        title=f"{sym} · {quote.name}" if quote.name and quote.name != sym else sym,
        description=stale_note(quote, stale_reason) if quote.stale else "",
        fields=tuple(fields),
        tone=Tone.WARNING if quote.stale else Tone.of_change(quote.change),
        footer=footer(quote),
        url=f"https://finance.yahoo.com/quote/{quote_url(sym, safe='')}",
    )


@lru_cache(maxsize=4096)
def quote_line(quote: Quote) -> str:
    """One line of text for a quote: the fallback and the row of a scheduled post (memoised)."""
    line = (
        f"{quote.symbol}  {fmt_price(quote.price, quote.symbol)} {quote.currency}  "
        f"{fmt_change(quote.change, quote.change_pct, quote.symbol, quote.price)}  {quote.market_state.value}"
    )
    ext = quote.pre_market or quote.post_market
    if ext is not None:
        label = "pre" if ext is quote.pre_market else "after hours"
        line += f" ({label} {fmt_price(ext.price, quote.symbol)})"
    line += f" · as of {fmt_as_of(quote.as_of, quote.exchange_tz)}"
    if quote.stale:
        line += " · cached"
    return line


def quotes_table_card(title: str, quotes: Sequence[Quote]) -> Card:
    """One card with a row per symbol (scheduled posts)."""
    fields = tuple(
        Field(
            q.symbol,
            f"{fmt_price(q.price, q.symbol)} {q.currency} "
            f"{fmt_change(q.change, q.change_pct, q.symbol, q.price)} · {q.market_state.value}",
            inline=False,
        )
        for q in quotes
    )
    changes = [q.change_pct for q in quotes if q.change_pct is not None]
    tone = Tone.of_change(sum(changes) / len(changes)) if changes else Tone.NEUTRAL
    if any(q.stale for q in quotes):
        tone = Tone.WARNING
    latest = max(quotes, key=lambda q: q.as_of) if quotes else None
    foot = f"Yahoo Finance · as of {fmt_as_of(latest.as_of, latest.exchange_tz)}" if latest else ""
    return Card(title=title, fields=fields, tone=tone, footer=foot)
