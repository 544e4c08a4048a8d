"""What answers without a command say: compact quotes (cashtags, link unfurls) and the home.

bot.app hands these to the adapters as `Services.glances` (bot.glance). Each makes at most one
batched market call, whatever the number of symbols.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.glance import Glances, Home, Picker, Viewer
from bot.market.types import Quote
from bot.response import Card, Field, Response, Tone
from bot.schedule_times import format_local
from bot.store.keys import ListKey
from commands.alerts import describe_alert
from commands.quote_cards import fmt_change, fmt_price, footer, quote_line, stale_note

if TYPE_CHECKING:
    from bot.context import Services
    from bot.store.models import Alert, Schedule

MAX_HOME_ROWS = 25  # rows per home card; the rest are counted


def compact_quote_card(quote: Quote, stale_reason: str | None = None) -> Card:
    """A quote in two fields (price, change) and a footer: for threads and link previews."""
    sym = quote.symbol
    return Card(
        title=f"{sym} · {quote.name}" if quote.name and quote.name != sym else sym,
        description=stale_note(quote, stale_reason) if quote.stale else "",
        fields=(
            Field("Price", f"{fmt_price(quote.price, sym)} {quote.currency}".strip()),
            Field(
                "Change",
                f"{fmt_change(quote.change, quote.change_pct, sym, quote.price)}"
                f" · {quote.market_state.value}",
            ),
        ),
        tone=Tone.WARNING if quote.stale else Tone.of_change(quote.change),
        footer=footer(quote),
    )


async def brief_quotes(services: Services, symbols: Sequence[str]) -> Response | None:
    """One compact card per symbol with a price (one batched call); None when none has one."""
    wanted = list(dict.fromkeys(symbols))
    if not wanted:
        return None
    batch = await services.market.quotes(wanted)
    found = [(s, batch.quotes[s]) for s in wanted if s in batch.quotes]
    if not found:
        return None
    services.symbols.remember(q.symbol for _, q in found)
    cards = tuple(compact_quote_card(q, batch.failed.get(s)) for s, q in found)
    return Response(
        text="\n".join(quote_line(q) for _, q in found),
        cards=cards,
        # `symbols[i]` is the symbol asked for that `cards[i]` answers (unfurls map links by it).
        data={"symbols": [s for s, _ in found], "quotes": [q.to_dict() for _, q in found]},
    )


def _price_note(quote: Quote | None) -> str:
    if quote is None:
        return "no price right now"
    change = fmt_change(quote.change, quote.change_pct, quote.symbol, quote.price)
    stale = " (cached)" if quote.stale else ""
    return f"{fmt_price(quote.price, quote.symbol)} {quote.currency} {change}{stale}".strip()


def _channel(row: Schedule | Alert) -> str:
    return f"<#{row.channel_id}>" if row.platform == "discord" else f"channel {row.channel_id}"


def _rows_card(title: str, fields: list[Field], empty: str) -> Card:
    if not fields:
        return Card(title=title, description=empty)
    shown = fields[:MAX_HOME_ROWS]
    more = len(fields) - len(shown)
    return Card(
        title=title,
        fields=tuple(shown),
        footer=f"{more} more not shown" if more else "",
    )


def _alert_fields(alerts: Sequence[Alert], quotes: dict[str, Quote]) -> list[Field]:
    out = []
    for row in alerts:
        state = (
            f"disabled ({row.disabled_reason})"
            if row.disabled_reason
            else "paused"
            if row.paused
            else ("armed" if row.armed else "fired, waiting to re-arm")
        )
        out.append(
            Field(
                f"#{row.id} · {row.symbol} {describe_alert(row.kind, row.threshold, row.symbol)}",
                f"{_price_note(quotes.get(row.symbol))} · {state} · in {_channel(row)}",
                inline=False,
            )
        )
    return out


def _schedule_fields(schedules: Sequence[Schedule]) -> list[Field]:
    out = []
    for row in schedules:
        active = not row.paused and not row.disabled_reason
        state = (
            f"disabled ({row.disabled_reason})"
            if row.disabled_reason
            else ("paused" if row.paused else "active")
        )
        next_text = format_local(row.next_due, row.tz) if row.next_due and active else "none"
        out.append(
            Field(
                f"#{row.id} · {', '.join(row.symbol_list)}",
                f"{row.at} {row.days} ({row.tz}) · next: {next_text} · {state} · in {_channel(row)}",
                inline=False,
            )
        )
    return out


def _watchlist_fields(symbols: Sequence[str], quotes: dict[str, Quote]) -> list[Field]:
    return [Field(s, _price_note(quotes.get(s)), inline=False) for s in symbols]


async def build_home(services: Services, viewer: Viewer) -> Home:
    """The viewer's home: their watchlist and their channels' alerts, with prices, and their
    channels' schedules.

    Only rows of channels the viewer is in are shown. Every price comes from one batched,
    cached market call.
    """
    store = services.store
    watched = await store.watchlists.symbols(
        ListKey.of_user(viewer.platform, viewer.guild_id, viewer.user_id)
    )
    channels = set(viewer.channel_ids)
    alerts = [
        a
        for a in await store.list_alerts(viewer.platform, "", viewer.guild_id)
        if a.channel_id in channels
    ]
    schedules = [
        s
        for s in await store.list_schedules(viewer.platform, "", viewer.guild_id)
        if s.channel_id in channels
    ]
    symbols = list(dict.fromkeys([*watched, *(a.symbol for a in alerts)]))
    quotes: dict[str, Quote] = {}
    failed: dict[str, str] = {}
    if symbols:
        batch = await services.market.quotes(symbols)
        quotes, failed = dict(batch.quotes), dict(batch.failed)
    cards = [
        _rows_card(
            "Your watchlist",
            _watchlist_fields(watched, quotes),
            "Your watchlist is empty. Add symbols with the menu above, or "
            "`/watchlist add SPCX AMZN` in any channel.",
        ),
        _rows_card(
            "Alerts in your channels",
            _alert_fields(alerts, quotes),
            "No price alerts in the channels you are in. A channel manager adds them with "
            "`/alert add SPCX above 160`.",
        ),
        _rows_card(
            "Schedules in your channels",
            _schedule_fields(schedules),
            "No scheduled price posts in the channels you are in. A channel manager adds them "
            "with `/schedule add SPCX at:close+5m`.",
        ),
    ]
    data: dict[str, Any] = {
        "symbols": symbols,
        "watchlist": watched,
        "alerts": [a.id for a in alerts],
        "schedules": [s.id for s in schedules],
        "failed": failed,
    }
    return Home(
        title="OrbitDesk",
        cards=tuple(cards),
        pickers=(
            Picker("Add to your watchlist", ("watchlist", "add"), "symbols"),
            Picker("Look up a quote", ("quote",), "symbols"),
        ),
        data=data,
    )


GLANCES = Glances(brief_quotes=brief_quotes, home=build_home)
