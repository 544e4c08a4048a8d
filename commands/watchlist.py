"""/watchlist: your own list of symbols (across a server's channels) and this channel's list.

`watchlist` quotes both lists in one card from one batched market call. Anyone keeps a
personal list; only channel managers (the permission schedules need) change the channel's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from bot.context import Context
from bot.errors import Forbidden, NotFound
from bot.registry import Param, command, group
from bot.response import Card, Field, Response, Tone
from bot.store.keys import ListKey
from bot.text import plural, safe_echo
from commands._shared.channel_rows import store_of
from commands.quote import Symbols
from commands.watchlist_cards import WatchedSymbol, watchlist_response

if TYPE_CHECKING:
    from bot.store.watchlists import WatchlistStore

watchlist_group = group(
    "watchlist", "Your and this channel's lists of symbols, quoted together", default="quote"
)

Which = Literal["mine", "channel"]
ListParam = Annotated[Which, Param("whose list: mine (default) or this channel's")]
ShowParam = Annotated[Which | None, Param("whose list: mine or channel (default: both)")]
ClearParam = Annotated[Which, Param("whose list: mine (default) or channel")]

YOURS = "yours"
CHANNEL = "channel"


def lists_of(ctx: Context) -> WatchlistStore:
    return store_of(ctx).watchlists


def user_key(ctx: Context) -> ListKey:
    return ListKey.of_user(ctx.platform, ctx.channel.guild_id, ctx.user.id)


def channel_key(ctx: Context) -> ListKey:
    return ListKey.of_channel(ctx.platform, ctx.channel.guild_id, ctx.channel.id)


async def _key_for(ctx: Context, which: Which, *, changing: bool) -> ListKey:
    if which == "mine":
        return user_key(ctx)
    if changing and not await ctx.may_manage_channel():
        raise Forbidden(
            "This channel's watchlist is changed only by people who manage the channel (Manage "
            "Channels on Discord, a workspace admin on Slack). Your own list: leave out list:channel."
        )
    return channel_key(ctx)


def _name(which: Which, *, lower: bool = False) -> str:
    name = "Your watchlist" if which == "mine" else "This channel's watchlist"
    return name[0].lower() + name[1:] if lower else name


async def watched_symbols(ctx: Context) -> tuple[list[str], list[str], list[WatchedSymbol]]:
    """Your list, this channel's list, and their union tagged with the lists each is on."""
    store = lists_of(ctx)
    mine = await store.symbols(user_key(ctx))
    channel = await store.symbols(channel_key(ctx))
    union = list(dict.fromkeys([*mine, *channel]))
    watched = [
        WatchedSymbol(s, tuple(t for t, on in ((YOURS, mine), (CHANNEL, channel)) if s in on))
        for s in union
    ]
    return mine, channel, watched


@command("watchlist quote", deadline=10, examples=("watchlist", "watchlist quote"))
async def watchlist_quote(ctx: Context) -> Response:
    """Quote everything on your watchlist and this channel's, in one card.

    Typing `watchlist` alone does the same. Prices come from one batched Yahoo Finance request
    (50 symbols a request), cached like /quote; each line says which list holds the symbol.
    """
    mine, channel, watched = await watched_symbols(ctx)
    if not watched:
        return Response(
            text="Your watchlist and this channel's are empty. Add symbols: "
            "`watchlist add SPCX AMZN` (yours) or `watchlist add SPCX list:channel`.",
            data={"mine": [], "channel": [], "symbols": [], "quotes": []},
        )
    batch = await ctx.market.quotes([w.symbol for w in watched])
    title = f"Watchlist · yours {len(mine)} · this channel's {len(channel)}"
    return watchlist_response(
        title, watched, batch, now=ctx.now, extra_data={"mine": mine, "channel": channel}
    )


async def _resolve_checked(ctx: Context, texts: list[str]) -> tuple[list[str], dict[str, str]]:
    """Yahoo symbols for what was typed, refusing (NotFound) any Yahoo does not know.

    Returns the symbols and those Yahoo could not be asked about (symbol -> failure reason):
    they are added unchecked rather than refused while Yahoo is down.
    """
    resolutions = await ctx.symbols.resolve(texts, ctx.market)
    wanted = list(dict.fromkeys(r.symbol for r in resolutions if r.symbol))
    typed = {r.symbol: r.text for r in resolutions if r.symbol}
    unmatched = [r.text for r in resolutions if r.symbol is None]
    batch = await ctx.market.quotes(wanted) if wanted else None
    missing = [*unmatched, *(typed.get(s, s) for s in (batch.missing if batch else ()))]
    if missing:
        raise NotFound(
            f"No such symbol: {', '.join(safe_echo(m, 20) for m in missing)}. Nothing was added.",
            suggestions=await ctx.symbols.suggestions(missing[0], ctx.market),
        )
    if batch is None:
        return wanted, {}
    return wanted, {s: r for s, r in batch.failed.items() if s not in batch.quotes}


@command(
    "watchlist add",
    keeps_state=True,
    deadline=10,
    examples=(
        "watchlist add SPCX AMZN",
        "watchlist add google nvidia",
        "watchlist add TSLA list:channel",
    ),
)
async def watchlist_add(ctx: Context, symbols: Symbols, *, list: ListParam = "mine") -> Response:
    """Add symbols or company names to your watchlist (or, list:channel, this channel's).

    Your list follows you across the server's channels. The channel's list is changed only by
    people who manage the channel. Each list holds at most MAX_WATCHLIST_SYMBOLS symbols.
    """
    key = await _key_for(ctx, list, changing=True)
    resolved, unchecked = await _resolve_checked(ctx, symbols)
    limit = ctx.services.settings.max_watchlist_symbols
    outcome = await lists_of(ctx).add(key, resolved, by=ctx.user.id, now=ctx.now, limit=limit)
    name = _name(list)
    if outcome.over_limit:
        have = outcome.size
        raise Forbidden(
            f"{name} holds {have} of at most {plural(limit, 'symbol')} "
            "(ORBITDESK_MAX_WATCHLIST_SYMBOLS); "
            f"adding {', '.join(outcome.over_limit)} would make {have + len(outcome.over_limit)}. "
            "Nothing was added; remove some first: `watchlist remove <symbol...>`."
        )
    parts = []
    if outcome.added:
        parts.append(f"Added {', '.join(outcome.added)} to {_name(list, lower=True)}")
    if outcome.already:
        parts.append(f"already there: {', '.join(outcome.already)}")
    text = "; ".join(parts) + f". It holds {outcome.size} of {limit}."
    text = text[0].upper() + text[1:]
    if unchecked:
        text += f" Yahoo could not check {', '.join(unchecked)} just now."
    return Response(
        text=text,
        data={
            "list": list,
            "added": [*outcome.added],
            "already": [*outcome.already],
            "size": outcome.size,
            "limit": limit,
            "unchecked": [*unchecked],
        },
    )


@command(
    "watchlist remove",
    keeps_state=True,
    examples=("watchlist remove AMZN", "watchlist remove TSLA list:channel"),
)
async def watchlist_remove(ctx: Context, symbols: Symbols, *, list: ListParam = "mine") -> Response:
    """Take symbols off your watchlist (or, list:channel, this channel's)."""
    key = await _key_for(ctx, list, changing=True)
    store = lists_of(ctx)
    current = await store.symbols(key)
    wanted: dict[str, str] = {}
    for text in symbols:
        bare = text.strip().lstrip("$").upper()
        if bare in current:
            wanted[bare] = text
            continue
        [resolution] = await ctx.symbols.resolve([text], ctx.market)
        wanted[resolution.symbol or bare] = text
    absent = [text for symbol, text in wanted.items() if symbol not in current]
    name = _name(list)
    if absent:
        raise NotFound(
            f"{name} does not hold {', '.join(safe_echo(t, 20) for t in absent)}; nothing was "
            f"removed. It holds: {', '.join(current) or 'nothing'}."
        )
    removed = await store.remove(key, [*wanted])
    left = len(current) - len(removed)
    return Response(
        text=f"Removed {', '.join(removed)} from {_name(list, lower=True)}. {left} left.",
        data={"list": list, "removed": removed, "size": left},
    )


@command("watchlist show", examples=("watchlist show", "watchlist show channel"))
async def watchlist_show(ctx: Context, which: ShowParam = None) -> Response:
    """List the symbols on your watchlist and this channel's (no prices)."""
    store = lists_of(ctx)
    limit = ctx.services.settings.max_watchlist_symbols
    chosen: list[Which] = ["mine", "channel"] if which is None else [which]
    fields, lines = [], []
    data: dict[str, list[str]] = {}
    for whose in chosen:
        key = user_key(ctx) if whose == "mine" else channel_key(ctx)
        symbols = await store.symbols(key)
        value = ", ".join(symbols) if symbols else "empty"
        label = f"{_name(whose)} ({len(symbols)} of {limit})"
        fields.append(Field(label, value, inline=False))
        lines.append(f"{label}: {value}")
        data[whose] = symbols
    hint = "`watchlist` quotes them; `watchlist add <symbol...>` adds."
    card = Card(title="Watchlists", fields=tuple(fields), footer=hint, tone=Tone.NEUTRAL)
    return Response(text="\n".join(lines), cards=(card,), data={**data, "limit": limit})


@command(
    "watchlist clear",
    keeps_state=True,
    examples=("watchlist clear", "watchlist clear channel"),
)
async def watchlist_clear(ctx: Context, which: ClearParam = "mine") -> Response:
    """Empty your watchlist (or, with `channel`, this channel's)."""
    key = await _key_for(ctx, which, changing=True)
    count = await lists_of(ctx).clear(key)
    name = _name(which)
    if not count:
        return Response(text=f"{name} was already empty.", data={"list": which, "removed": 0})
    return Response(
        text=f"Cleared {_name(which, lower=True)} ({plural(count, 'symbol')}).",
        data={"list": which, "removed": count},
    )
