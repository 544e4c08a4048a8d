"""/alert: tell a channel when a price crosses a line or moves a set percentage."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from bot.alert_rules import alert_state
from bot.completion import complete_symbols
from bot.context import Context
from bot.errors import Forbidden, NotFound, UpstreamError, UsageError
from bot.market.symbols import check_symbol_text
from bot.registry import Param, command, group
from bot.response import ActionRow, Card, Field, Response
from bot.store.keys import MAX_ROW_ID
from bot.text import plural, safe_echo
from commands._shared.buttons import Confirm, back_to_list, confirm_remove, manage_rows
from commands._shared.channel_rows import belongs_here, store_of
from commands.quote_cards import fmt_as_of, fmt_price

if TYPE_CHECKING:
    from bot.store.models import Alert

alert_group = group("alert", "Price alerts posted into a channel")

Condition = Literal["above", "below", "move"]


_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
# No listed price comes near a billion, and prices show at most 4 decimals: a level outside
# these is a typo (1e308 used to be stored and echoed as 309 digits).
MAX_LEVEL = 1e9
MIN_LEVEL = 1e-4


class Percent(float):
    """A level typed with a % sign: right for `move`, a mistake for `above`/`below`."""


def parse_level(text: str) -> float:
    """'160', '$160', '1,250.5' or '5%' -> a positive number ('5%' as a Percent)."""
    stripped = text.strip()
    cleaned = stripped.lstrip("$").rstrip("%").strip()
    quoted = f"'{safe_echo(stripped, 20)}'"
    if "," in cleaned:
        if not _GROUPED.match(cleaned):
            # "160,5" is a decimal comma, not 1,605: refuse rather than guess.
            raise ValueError(f"{quoted}: use a dot for decimals, e.g. 160.5")
        cleaned = cleaned.replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{quoted} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{quoted} is not a number")  # inf, nan, 1e999
    if value <= 0:
        raise ValueError("must be a positive number")
    if value > MAX_LEVEL:
        raise ValueError(
            f"must be at most {MAX_LEVEL:,.0f} for a price; got {safe_echo(stripped, 20)}"
        )
    if value < MIN_LEVEL:
        raise ValueError(f"must be at least {MIN_LEVEL:g}; got {safe_echo(stripped, 20)}")
    return Percent(value) if stripped.endswith("%") else value


AlertSymbol = Annotated[
    str,
    Param(
        "a ticker or company name",
        max_length=40,
        complete=complete_symbols,
        parse=check_symbol_text,
        metavar="symbol",
    ),
]
Level = Annotated[
    float,
    Param(
        "a price for above/below; a percentage for move (5 or 5%)",
        parse=parse_level,
        metavar="value",
    ),
]
AlertId = Annotated[
    int, Param("the alert's number, from alert list", min=1, max=MAX_ROW_ID, metavar="id")
]


def describe_alert(kind: str, threshold: float, symbol: str = "") -> str:
    """'above 160.00', 'moves 5% from the previous close'."""
    if kind == "move":
        return f"moves {threshold:g}% from the previous close"
    return f"{kind} {fmt_price(threshold, symbol)}"


def _rearm_text(alert: Alert, band: float) -> str:
    if alert.kind == "above":
        return f"re-arms at or below {fmt_price(alert.threshold * (1 - band / 100), alert.symbol)}"
    if alert.kind == "below":
        return f"re-arms at or above {fmt_price(alert.threshold * (1 + band / 100), alert.symbol)}"
    return f"re-arms when the move is back within {max(alert.threshold - band, 0):g}%"


@command(
    "alert add",
    manage_channel=True,
    deadline=10,
    examples=("alert add SPCX above 160", "alert add SPCX below 140", "alert add TSLA move 5%"),
)
async def alert_add(
    ctx: Context, symbol: AlertSymbol, condition: Condition, value: Level
) -> Response:
    """Post in this channel when a price goes above or below a level, or moves N% in a day.

    Checked while the symbol's market is open, every minute unless the admin set otherwise.
    An alert fires once, then re-arms only after the price has gone back a little past the
    line (by 0.5% unless the admin set otherwise), so a price hovering at the line does not
    repeat it.
    """
    if condition == "move" and value > 100:
        raise UsageError("value: a move alert takes a percentage up to 100, e.g. 5 or 5%.")
    if condition != "move" and isinstance(value, Percent):
        raise UsageError(
            f"value: {condition} takes a price, not a percentage; "
            f"for a {value:g}% move use `alert add {symbol} move {value:g}%`."
        )
    value = float(value)
    store = store_of(ctx)
    settings = ctx.services.settings
    limit = settings.max_alerts_per_channel
    if await store.count_alerts(ctx.platform, ctx.channel.id) >= limit:
        raise Forbidden(
            f"This channel already has {plural(limit, 'alert')}, the most allowed; "
            "remove one first: `alert remove <id>`."
        )
    [resolution] = await ctx.symbols.resolve([symbol], ctx.market)
    if resolution.symbol is None:
        raise NotFound(f"No such symbol: {safe_echo(symbol, 20)}.")
    batch = await ctx.market.quotes([resolution.symbol])
    quote = batch.quotes.get(resolution.symbol)
    if quote is None and resolution.symbol in batch.missing:
        raise NotFound(f"No such symbol: {safe_echo(symbol, 20)}.")
    sym = resolution.symbol
    armed = True
    if quote is not None:
        hit, _ = alert_state(condition, value, quote, settings.alert_rearm_percent)
        armed = not hit  # already past the line: wait for it to come back first
    row = await store.add_alert(
        platform=ctx.platform,
        channel_id=ctx.channel.id,
        guild_id=ctx.channel.guild_id,
        created_by=ctx.user.id,
        symbol=sym,
        kind=condition,
        threshold=value,
        armed=armed,
        last_price=quote.price if quote else None,
        fire_count=0,
        created_at=ctx.now,
    )
    what = describe_alert(condition, value, sym)
    text = f"Alert #{row.id}: {sym} {what}. Checked while its market is open."
    if quote is not None:
        text += (
            f" Now {fmt_price(quote.price, sym)} {quote.currency} (Yahoo Finance, as of "
            f"{fmt_as_of(quote.as_of, quote.exchange_tz)})."
        )
    if not armed:
        text += (
            f" It is already past that line, so the alert waits: it "
            f"{_rearm_text(row, settings.alert_rearm_percent)} first."
        )
    card = Card(title=f"Alert #{row.id} added", description=text)
    return Response(text=text, cards=(card,), data={"alert": _alert_data(row)})


def _alert_data(row: Alert) -> dict[str, Any]:
    return {
        "id": row.id,
        "symbol": row.symbol,
        "kind": row.kind,
        "threshold": row.threshold,
        "armed": row.armed,
        "paused": row.paused,
        "disabled_reason": row.disabled_reason,
        "fire_count": row.fire_count,
    }


async def owned_alert(ctx: Context, alert_id: int) -> Alert:
    """The alert with this id if it belongs to this workspace/guild (or channel)."""
    row = await store_of(ctx).get_alert(alert_id)
    if row is None or not belongs_here(ctx, row):
        raise NotFound(f"No alert #{alert_id} here; `alert list` shows them.")
    return row


@command("alert list", examples=("alert list",))
async def alert_list(ctx: Context) -> Response:
    """This server's (or channel's) price alerts and whether each is armed."""
    rows = await store_of(ctx).list_alerts(ctx.platform, ctx.channel.id, ctx.channel.guild_id)
    if not rows:
        return Response(
            text="No alerts here yet. Add one: `alert add SPCX above 160`.", data={"alerts": []}
        )
    band = ctx.services.settings.alert_rearm_percent
    fields, lines = [], []
    for row in rows:
        if row.disabled_reason:
            state = f"disabled ({row.disabled_reason}); fix it, then `alert resume {row.id}`"
        elif row.paused:
            state = f"paused; `alert resume {row.id}` starts it again"
        elif row.armed:
            state = "armed"
        elif not row.fire_count:
            state = f"not armed yet: already past the line when added; {_rearm_text(row, band)}"
        else:
            exchange = ctx.market.calendar.schedule_for(row.symbol)
            zone = exchange.tz if exchange else "UTC"
            when = fmt_as_of(row.fired_at, zone) if row.fired_at else "earlier"
            state = f"fired {when}; {_rearm_text(row, band)}"
        title = f"#{row.id} · {row.symbol} {describe_alert(row.kind, row.threshold, row.symbol)}"
        fields.append(Field(title, state, inline=False))
        lines.append(f"{title}: {state}")
    card = Card(title="Price alerts", fields=tuple(fields))
    actions: tuple[ActionRow, ...] = ()
    # Pause/resume/remove per row (remove asks first), offered only to those who may use them
    # (and checked again when pressed: the buttons run `alert pause 3` like typed commands).
    if await ctx.may_manage_channel():
        actions = manage_rows(
            "alert", [(r.id, r.paused or bool(r.disabled_reason)) for r in rows], pausable=True
        )
    return Response(
        text="\n".join(lines),
        cards=(card,),
        data={"alerts": [_alert_data(r) for r in rows]},
        actions=actions,
    )


@command("alert remove", manage_channel=True, examples=("alert remove 4",))
async def alert_remove(ctx: Context, id: AlertId, *, confirm: Confirm = True) -> Response:
    """Delete a price alert."""
    store = store_of(ctx)
    row = await owned_alert(ctx, id)
    what = f"{row.symbol} {describe_alert(row.kind, row.threshold)}"
    if not confirm:
        return confirm_remove(ctx, "alert", row.id, what)
    await store.delete_alert(row.id)
    return Response(
        text=f"Removed alert #{row.id} ({what}).",
        data={"removed": row.id},
        actions=back_to_list("alert"),
    )


@command("alert pause", manage_channel=True, examples=("alert pause 4",))
async def alert_pause(ctx: Context, id: AlertId) -> Response:
    """Stop checking a price alert until it is resumed (it does not fire meanwhile)."""
    row = await owned_alert(ctx, id)
    if await store_of(ctx).pause_alert(row.id):
        done = f"Paused alert #{row.id} ({row.symbol} {describe_alert(row.kind, row.threshold)})"
    else:
        done = f"Alert #{row.id} is already paused"
    return Response(
        text=f"{done}; `alert resume {row.id}` starts it again.",
        data={"paused": row.id},
        actions=back_to_list("alert"),
    )


@command("alert resume", manage_channel=True, deadline=10, examples=("alert resume 4",))
async def alert_resume(ctx: Context, id: AlertId) -> Response:
    """Check a paused or disabled price alert again.

    It is armed again at once, unless the price is already past its line: then it waits for
    the price to come back first, as a new alert does (moves while it was paused never fire).
    """
    row = await owned_alert(ctx, id)
    what = f"{row.symbol} {describe_alert(row.kind, row.threshold, row.symbol)}"
    if not row.paused and not row.disabled_reason:
        return Response(
            text=f"Alert #{row.id} ({what}) is already active.",
            data={"resumed": row.id, "already": True},
            actions=back_to_list("alert"),
        )
    band = ctx.services.settings.alert_rearm_percent
    armed, price = True, None
    try:
        quote = (await ctx.market.quotes([row.symbol])).quotes.get(row.symbol)
    except UpstreamError:
        quote = None  # no price now: armed, the next poll decides
    if quote is not None:
        hit, _ = alert_state(row.kind, row.threshold, quote, band)
        armed, price = not hit, quote.price
    if not await store_of(ctx).resume_alert(row.id, armed=armed, price=price):
        # Resumed by someone else between the read and now: say what it is.
        return Response(
            text=f"Alert #{row.id} ({what}) is already active.",
            data={"resumed": row.id, "already": True},
            actions=back_to_list("alert"),
        )
    text = f"Resumed alert #{row.id} ({what}). Checked while its market is open."
    if not armed:
        text += f" It is already past that line, so it waits: it {_rearm_text(row, band)} first."
    return Response(
        text=text,
        data={"resumed": row.id, "armed": armed},
        actions=back_to_list("alert"),
    )
