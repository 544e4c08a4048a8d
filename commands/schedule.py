"""/schedule: price posts into a channel at a clock time, around the open/close, or on an interval."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from bot.context import Channel, Context
from bot.errors import Forbidden, NotFound, UpstreamError, UsageError
from bot.market.calendar import ExchangeSchedule, calendar_code
from bot.market.types import QuoteBatch
from bot.registry import Param, command, group
from bot.response import ActionRow, Card, Field, Response, Tone
from bot.schedule_times import (
    WEEKDAYS,
    Days,
    ScheduleTimes,
    format_local,
    parse_days,
    parse_tz,
    parse_when,
)
from bot.store.keys import MAX_ROW_ID, ListKey
from bot.text import plural, safe_echo
from commands._shared.buttons import Confirm, back_to_list, confirm_remove, manage_rows
from commands._shared.channel_rows import belongs_here, store_of
from commands.posts import schedule_post, watchlist_post
from commands.quote import Symbols

if TYPE_CHECKING:
    from bot.scheduler import Scheduler
    from bot.store.models import Schedule

_INTERVAL_WORD = re.compile(r"^\d+(?:h\d+m?|h|m|min)$", re.IGNORECASE)
_CHANNEL_REF = re.compile(r"^<?#?([A-Za-z0-9_-]{1,64})(?:\|[^>]{0,100})?>?$")

schedule_group = group("schedule", "Scheduled price and watchlist posts into a channel")

# The default calendar of a watchlist schedule whose list has no listed symbol yet.
DEFAULT_CALENDAR = "XNYS"

SymbolsOrWatchlist = Annotated[
    list[str] | None,
    replace(
        get_args(Symbols)[1],
        help="1 to 10 tickers or company names (or leave them out and give watchlist:channel)",
    ),
]
WatchlistParam = Annotated[
    Literal["mine", "channel"] | None,
    Param("post this channel's watchlist, as it is at each post, instead of symbols"),
]

At = Annotated[
    str,
    Param(
        "when: a clock time (16:05), open/close with an offset (close+5m, open-15m), "
        "or an interval while the market is open (every 30m)",
        max_length=30,
        metavar="when",
    ),
]
DaysParam = Annotated[
    Days,
    Param("weekdays (default), daily, weekends, or e.g. mon,wed,fri", parse=parse_days),
]
Zone = Annotated[
    str | None,
    Param(
        "time zone, e.g. Europe/London (default: the exchange's, America/New_York for US)",
        parse=parse_tz,
        max_length=64,
        metavar="zone",
    ),
]
Holidays = Annotated[bool, Param("also post on exchange holidays (clock times only)")]
ScheduleId = Annotated[
    int, Param("the schedule's number, from schedule list", min=1, max=MAX_ROW_ID, metavar="id")
]


def parse_channel(text: str) -> str:
    """A channel mention (<#123>, <#C123|general>) or a bare channel id."""
    match = _CHANNEL_REF.match(text.strip())
    if not match:
        raise ValueError("give a channel mention such as #general, or a channel id")
    return match.group(1)


ChannelRef = Annotated[
    str | None,
    Param(
        "post in this channel instead of the current one", parse=parse_channel, metavar="channel"
    ),
]


def _scheduler(ctx: Context) -> Scheduler:
    return ctx.services.scheduler


def channel_label(platform: str, channel_id: str, here: Channel | None = None) -> str:
    """How a channel is named in answers.

    Discord shows `<#id>` as a channel link (channel links never ping). Slack's renderer escapes
    every `<` so that nothing typed can become a mention, so there a channel is `#name` when it
    is the one being asked from (its name is known) and its id otherwise.
    """
    if platform == "discord":
        return f"<#{channel_id}>"
    if platform == "slack":
        return (
            f"#{here.name}"
            if here and here.id == channel_id and here.name
            else f"channel {channel_id}"
        )
    return channel_id


def times_of(ctx: Context, row: Schedule) -> ScheduleTimes:
    return _scheduler(ctx).times_for(row.at, row.days, row.tz, row.calendar, row.holidays)


async def owned_schedule(ctx: Context, schedule_id: int) -> Schedule:
    """The schedule with this id if it belongs to this workspace/guild (or channel)."""
    row = await store_of(ctx).get_schedule(schedule_id)
    if row is None or not belongs_here(ctx, row):
        raise NotFound(f"No schedule #{schedule_id} here; `schedule list` shows them.")
    return row


def state_of(row: Schedule) -> str:
    if row.disabled_reason:
        return f"disabled ({row.disabled_reason}); fix it, then `schedule resume {row.id}`"
    return "paused" if row.paused else "active"


@command(
    "schedule add",
    manage_channel=True,
    deadline=10,
    examples=(
        "schedule add SPCX AMZN at:close+5m",
        "schedule add watchlist:channel at:close",
        "schedule add SPCX at:16:05 days:mon,wed,fri",
        'schedule add TSLA at:"every 30m"',
        "schedule add 7203.T at:open+10m",
        "schedule add AAPL at:09:00 tz:Europe/London holidays:yes",
    ),
)
async def schedule_add(
    ctx: Context,
    symbols: SymbolsOrWatchlist = None,
    *,
    watchlist: WatchlistParam = None,
    at: At,
    days: DaysParam = WEEKDAYS,
    tz: Zone = None,
    holidays: Holidays = False,
    channel: ChannelRef = None,
) -> Response:
    """Post prices into a channel on a schedule (market-calendar aware).

    `at` is a clock time (16:05), the open or close with an offset (close+5m follows early
    closes), or an interval while the market is open (every 30m: at the open, then every 30
    minutes up to the close). No posts on exchange holidays unless holidays:yes (clock times).
    The time zone defaults to the exchange's; every listing names it.

    watchlist:channel instead of symbols posts this channel's watchlist as it is at each post
    (the same card as `watchlist`), following its first listed symbol's exchange (New York
    while it has none). Only the channel's list: a person's own list is theirs to change.
    """
    symbols = symbols or []
    if at.strip().lower() == "every":
        # `at:every 30m` typed without quotes: the interval landed among the symbols.
        interval = next((s for s in symbols if _INTERVAL_WORD.match(s)), None)
        if interval is None:
            raise UsageError('at: say how often, e.g. at:"every 30m".')
        symbols = [s for s in symbols if s is not interval]
        at = f"every {interval}"
    try:
        when = parse_when(at)
    except ValueError as exc:
        raise UsageError(f"at: {exc}.") from None
    if watchlist == "mine":
        raise UsageError(
            "watchlist: only this channel's watchlist can be scheduled (watchlist:channel). "
            "Your own list is yours to change at any time, and a post in a channel must not "
            "depend on one person's list."
        )
    if watchlist and symbols:
        raise UsageError(
            "Give symbols or watchlist:channel, not both: a watchlist schedule posts the "
            "channel's list as it is at each post."
        )
    if not symbols and not watchlist:
        raise UsageError("Missing <symbol...> (or watchlist:channel).")
    if channel and channel != ctx.channel.id and not ctx.channel.guild_id:
        # Outside a server/workspace a schedule is seen only from its own channel, so one
        # aimed elsewhere would post but could never be listed, tested, paused or removed.
        raise UsageError(
            "channel: the console has only this one channel; leave channel: out and the "
            "schedule posts here."
            if ctx.platform == "console"
            else "channel: works only inside a server or workspace; leave channel: out and "
            "the schedule posts in this conversation."
        )
    store = store_of(ctx)
    target = channel or ctx.channel.id
    limit = ctx.services.settings.max_schedules_per_channel
    if await store.count_schedules(ctx.platform, target) >= limit:
        raise Forbidden(
            f"This channel already has {plural(limit, 'schedule')}, the most allowed; "
            "remove one first: `schedule remove <id>`."
        )
    if watchlist:
        calendar = await _watchlist_calendar(ctx, target)
        resolved: list[str] = []
    else:
        resolved, zones = await _resolve(ctx, symbols)
        calendar = _calendar_for(ctx, resolved, zones)
    if when.session_relative and calendar is None:
        names = (
            f"{', '.join(resolved[:-1])} and {resolved[-1]}" if len(resolved) > 1 else resolved[0]
        )
        raise UsageError(
            f"at: {when} needs an exchange session, and {names} "
            f"{'has' if len(resolved) == 1 else 'have'} none (crypto and currencies trade "
            "around the clock); use a clock time such as 16:05."
        )
    zone = tz or (calendar.tz if calendar else "UTC")
    try:
        times = ScheduleTimes(when=when, days=days, tz=zone, calendar=calendar, holidays=holidays)
    except ValueError as exc:
        raise UsageError(f"at: {exc}.") from None
    next_due = times.next_after(ctx.now)
    row = await store.add_schedule(
        platform=ctx.platform,
        channel_id=target,
        guild_id=ctx.channel.guild_id,
        created_by=ctx.user.id,
        symbols=",".join(resolved),
        watchlist=watchlist,
        at=str(when),
        days=str(days),
        tz=zone,
        calendar=calendar.code if calendar else None,
        holidays=holidays,
        paused=False,
        next_due=next_due,
        created_at=ctx.now,
    )
    _scheduler(ctx).wake()
    when_text = times.describe()
    next_text = format_local(next_due, zone) if next_due else "none in the calendar's range"
    where = channel_label(ctx.platform, target, ctx.channel)
    text = f"Schedule #{row.id}: {row.what} in {where}, {when_text}. Next post: {next_text}."
    if watchlist:
        whose = "this channel's" if target == ctx.channel.id else "that channel's"
        text += f" It posts {whose} watchlist as it is at each post."
    card = Card(
        title=f"Schedule #{row.id} added",
        fields=(
            Field("Watchlist" if watchlist else "Symbols", row.what),
            Field("Channel", where),
            Field("When", when_text, inline=False),
            Field("Next post", next_text),
        ),
        footer="schedule list · schedule test <id> · schedule pause|resume|remove <id>",
    )
    return Response(
        text=text,
        cards=(card,),
        data={"schedule": _row_data(row, next_text)},
    )


async def _resolve(ctx: Context, symbols: list[str]) -> tuple[list[str], dict[str, str | None]]:
    """Yahoo symbols for what was typed, checked against Yahoo; and each one's exchange zone."""
    resolutions = await ctx.symbols.resolve(symbols, ctx.market)
    unmatched = [r.text for r in resolutions if r.symbol is None]
    wanted = list(dict.fromkeys(r.symbol for r in resolutions if r.symbol))
    batch = await ctx.market.quotes(wanted) if wanted else None
    missing = [*unmatched, *(batch.missing if batch else ())]
    if missing:
        raise NotFound(f"No such symbol: {', '.join(safe_echo(m, 20) for m in missing)}.")
    quotes = batch.quotes if batch else {}
    return wanted, {s: q.exchange_tz if (q := quotes.get(s)) else None for s in wanted}


async def _watchlist_calendar(ctx: Context, channel_id: str) -> ExchangeSchedule | None:
    """A watchlist schedule's calendar: its list's first listed symbol's exchange, else New
    York's (the list may be empty yet, and changes after the schedule is made)."""
    key = ListKey.of_channel(ctx.platform, ctx.channel.guild_id, channel_id)
    current = await store_of(ctx).watchlists.symbols(key)
    calendar = None
    if current:
        batch = await ctx.market.quotes(current)
        zones = {s: q.exchange_tz if (q := batch.quotes.get(s)) else None for s in current}
        calendar = _calendar_for(ctx, current, zones)
    return calendar or ctx.market.calendar.schedule(DEFAULT_CALENDAR)


def _calendar_for(
    ctx: Context, symbols: list[str], zones: dict[str, str | None]
) -> ExchangeSchedule | None:
    """The exchange calendar of the first symbol that has one.

    Crypto and currencies trade around the clock, so in a mix (`BTC-USD AMZN`) the listing's
    exchange sets the sessions and the default zone, whatever the order typed.
    """
    for symbol in symbols:
        if calendar_code(symbol, zones[symbol]) is None:
            continue
        calendar = ctx.market.calendar.schedule_for(symbol, zones[symbol])
        if calendar is not None:
            return calendar
    return None


def _row_data(row: Schedule, next_text: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "symbols": row.symbol_list,
        "watchlist": row.watchlist,
        "channel": row.channel_id,
        "at": row.at,
        "days": row.days,
        "tz": row.tz,
        "calendar": row.calendar,
        "holidays": row.holidays,
        "paused": row.paused,
        "disabled_reason": row.disabled_reason,
        "next_due": row.next_due.isoformat() if row.next_due else None,
        "next": next_text,
    }


@command("schedule list", examples=("schedule list",))
async def schedule_list(ctx: Context) -> Response:
    """This server's (or channel's) schedules: when, time zone, next post and state."""
    rows = await store_of(ctx).list_schedules(ctx.platform, ctx.channel.id, ctx.channel.guild_id)
    if not rows:
        return Response(
            text="No schedules here yet. Add one: `schedule add SPCX at:close+5m`.",
            data={"schedules": []},
        )
    fields, lines, data = [], [], []
    for row in rows:
        times = times_of(ctx, row)
        active = not row.paused and not row.disabled_reason
        next_text = format_local(row.next_due, row.tz) if row.next_due and active else "none"
        value = (
            f"{times.describe()}\nin {channel_label(row.platform, row.channel_id, ctx.channel)} · "
            f"next: {next_text} · {state_of(row)}"
        )
        title = f"#{row.id} · {row.what}"
        fields.append(Field(title, value, inline=False))
        lines.append(f"{title}: {value.replace(chr(10), '; ')}")
        data.append(_row_data(row, next_text))
    tone = Tone.WARNING if any(r.disabled_reason for r in rows) else Tone.NEUTRAL
    card = Card(title="Schedules", fields=tuple(fields), tone=tone)
    # Pause/resume/remove per row, offered only to those who may use them (and checked again
    # when pressed: the buttons run `schedule pause 3` etc. like typed commands).
    actions: tuple[ActionRow, ...] = ()
    if await ctx.may_manage_channel():
        actions = manage_rows(
            "schedule", [(r.id, r.paused or bool(r.disabled_reason)) for r in rows], pausable=True
        )
    return Response(text="\n".join(lines), cards=(card,), data={"schedules": data}, actions=actions)


@command("schedule remove", manage_channel=True, examples=("schedule remove 3",))
async def schedule_remove(ctx: Context, id: ScheduleId, *, confirm: Confirm = True) -> Response:
    """Delete a schedule."""
    row = await owned_schedule(ctx, id)
    what = f"{row.what} at {row.at}"
    if not confirm:
        return confirm_remove(ctx, "schedule", row.id, what)
    await store_of(ctx).delete_schedule(row.id)
    return Response(
        text=f"Removed schedule #{row.id} ({what}).",
        data={"removed": row.id},
        actions=back_to_list("schedule"),
    )


@command("schedule pause", manage_channel=True, examples=("schedule pause 3",))
async def schedule_pause(ctx: Context, id: ScheduleId) -> Response:
    """Stop a schedule posting until it is resumed."""
    row = await owned_schedule(ctx, id)
    done = f"Schedule #{row.id} is already paused" if row.paused else f"Paused schedule #{row.id}"
    await store_of(ctx).update_schedule(row.id, paused=True)
    return Response(
        text=f"{done}; `schedule resume {row.id}` starts it again.",
        data={"paused": row.id},
        actions=back_to_list("schedule"),
    )


@command("schedule resume", manage_channel=True, examples=("schedule resume 3",))
async def schedule_resume(ctx: Context, id: ScheduleId) -> Response:
    """Start a paused or disabled schedule again (slots missed meanwhile are not posted)."""
    row = await owned_schedule(ctx, id)
    if not row.paused and not row.disabled_reason:
        # Already running: change nothing (pause says the same when already paused).
        next_text = format_local(row.next_due, row.tz) if row.next_due else "none"
        return Response(
            text=f"Schedule #{row.id} is already active. Next post: {next_text}.",
            data={"resumed": row.id, "next": next_text, "already": True},
            actions=back_to_list("schedule"),
        )
    next_due = times_of(ctx, row).next_after(ctx.now)
    await store_of(ctx).update_schedule(
        row.id, paused=False, disabled_reason=None, next_due=next_due
    )
    _scheduler(ctx).wake()
    next_text = format_local(next_due, row.tz) if next_due else "none"
    return Response(
        text=f"Resumed schedule #{row.id}. Next post: {next_text}.",
        data={"resumed": row.id, "next": next_text},
        actions=back_to_list("schedule"),
    )


@command("schedule test", manage_channel=True, deadline=30, examples=("schedule test 3",))
async def schedule_test(ctx: Context, id: ScheduleId) -> Response:
    """Post a schedule's card now, to check how it looks and that the bot may post there."""
    row = await owned_schedule(ctx, id)
    if row.watchlist:
        # The list as it is now, as the scheduler reads it when a slot comes.
        key = ListKey.of_channel(row.platform, row.guild_id, row.channel_id)
        listed = await store_of(ctx).watchlists.symbols(key)
        batch = await ctx.market.quotes(listed) if listed else None
        post = watchlist_post(row.id, row.watchlist, listed, row.tz, ctx.now, batch or QuoteBatch())
    else:
        batch = await ctx.market.quotes(row.symbol_list)
        post = schedule_post(row.id, row.symbol_list, row.tz, ctx.now, batch)
    if post is None:
        raise UpstreamError(
            "unreachable", "No prices came back from Yahoo Finance; try again in a moment."
        )
    adapter = ctx.services.adapters.get(row.platform)
    if row.platform == "console" or adapter is None:
        return post  # the console's "channel" is this answer
    from bot.adapters.base import PostError

    where = channel_label(row.platform, row.channel_id, ctx.channel)
    try:
        await adapter.post(row.channel_id, post)
    except PostError as exc:
        if exc.permanent:
            raise Forbidden(f"Could not post in {where}: {exc.message}") from None
        raise UpstreamError("unreachable", f"Could not post in {where}: {exc.message}") from None
    return Response(
        text=f"Posted schedule #{row.id} in {where}.",
        ephemeral=True,
        data={"tested": row.id, "post": dict(post.data)},
    )
