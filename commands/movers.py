"""/movers: the day's biggest gainers, losers or most active stocks from Yahoo's screeners."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from bot.context import Context
from bot.errors import UpstreamError
from bot.market.screeners import Mover, Screen, known_regions
from bot.registry import Param, command
from bot.response import Card, Field, Response, Tone
from commands.market_words import failure_message, stale_warning
from commands.quote_cards import fmt_as_of, fmt_big, fmt_change, fmt_price

Kind = Literal["gainers", "losers", "active"]
_SCREENS: dict[str, Screen] = {
    "gainers": Screen.GAINERS,
    "losers": Screen.LOSERS,
    "active": Screen.ACTIVE,
}
_TITLES = {"gainers": "Day gainers", "losers": "Day losers", "active": "Most active"}


def parse_region(text: str) -> str:
    """Param parser: a two-letter market region Yahoo's screener knows (US, GB, DE, JP ...)."""
    region = text.strip().upper()
    if len(region) != 2 or not region.isalpha():
        raise ValueError("give a two-letter region such as US, GB, DE or JP")
    if region not in known_regions():
        raise ValueError(f"Yahoo has no screener region {region}")
    return region


Count = Annotated[int, Param("how many to show (1-25)", min=1, max=25)]
Region = Annotated[
    str, Param("market region, two letters: US, GB, DE, JP ...", max_length=2, parse=parse_region)
]


@command("movers", examples=("movers", "movers losers count=5", "movers active region=GB"))
async def movers(
    ctx: Context, kind: Kind = "gainers", *, count: Count = 10, region: Region = "US"
) -> Response:
    """The day's top gainers, losers or most active stocks, from Yahoo's screeners.

    Each with price, change, volume and market cap. Yahoo's criteria: stocks of at least $2B
    market cap and $5 a share; gainers up more than 3 %, losers down more than 2.5 %, most
    active by volume. Lists refresh every minute while markets trade.
    """
    try:
        screen = await ctx.market.movers(_SCREENS[kind], region)
    except UpstreamError as exc:
        raise UpstreamError(exc.reason, failure_message(exc.reason)) from None
    shown = screen.movers[:count]
    title = f"{_TITLES[kind]} · {region}"
    as_of = screen.as_of
    tz = shown[0].exchange_tz if shown else "America/New_York" if region == "US" else "UTC"
    when = (
        f"as of {fmt_as_of(as_of, tz)}" if as_of else f"fetched {fmt_as_of(screen.fetched_at, tz)}"
    )
    matching = f" · {len(shown)} of {screen.total} matching" if screen.total is not None else ""
    footer = f"{screen.source} screener {screen.screen.value}{matching} · {when}"
    data: dict[str, Any] = {
        "screen": screen.screen.value,
        "region": region,
        "count": count,
        "total": screen.total,
        "movers": [m.to_dict() for m in shown],
        "as_of": as_of.isoformat() if as_of else None,
        "fetched_at": screen.fetched_at.isoformat(),
        "stale": screen.stale,
        "source": f"{screen.source} screener",
    }
    if not shown:
        text = f"{_TITLES[kind]} ({region}): none match Yahoo's criteria right now."
        return Response(text=text, data=data)
    description = (
        stale_warning("list", screen.stale_reason, screen.fetched_at, tz) if screen.stale else ""
    )
    card = Card(
        title=title,
        description=description,
        fields=tuple(Field(f"{m.symbol} · {m.name}", mover_line(m), inline=False) for m in shown),
        tone=Tone.WARNING
        if screen.stale
        else {"gainers": Tone.UP, "losers": Tone.DOWN}.get(kind, Tone.NEUTRAL),
        footer=footer,
    )
    lines = [f"{m.symbol}  {mover_line(m)}" for m in shown]
    return Response(text="\n".join([title, *lines, footer]), cards=(card,), data=data)


def mover_line(m: Mover) -> str:
    price = f"{fmt_price(m.price, m.symbol)} {m.currency}".strip()
    parts = [f"{price} {fmt_change(m.change, m.change_pct, m.symbol, m.price)}"]
    if m.volume is not None:
        parts.append(f"vol {fmt_big(m.volume)}")
    if m.market_cap is not None:
        parts.append(f"cap {fmt_big(m.market_cap, m.currency)}")
    return " · ".join(parts)
