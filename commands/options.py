"""/options: one expiry's option chain around the money, and the list of expiries."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal

from bot.context import Context
from bot.errors import NotFound, UpstreamError, UsageError
from bot.market.options import OptionChain, OptionContract
from bot.registry import Param, command
from bot.response import ActionRow, Card, Field, Menu, MenuOption, Response, Tone, action_rows
from bot.text import plural, safe_echo
from commands.market_words import (
    Symbol,
    failure_message,
    not_found,
    resolve_one,
    stale_warning,
)
from commands.quote_cards import fmt_as_of, fmt_big, fmt_price

Side = Literal["calls", "puts", "both"]
SIDES = ("calls", "puts", "both")
SHOWN_EXPIRIES = 12
MENU_EXPIRIES = 25  # Discord's most options in a select
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
_MONTHS["sept"] = 9
_NEAREST = {"nearest", "next", "near", "front"}

Expiry = Annotated[
    str | None,
    Param(
        "a date (2026-12-18), a month (dec) or 'next month'; the nearest by default",
        max_length=30,
        metavar="expiry",
    ),
]
Strikes = Annotated[int, Param("strikes around the price to show (2-30)", min=2, max=30)]


@command(
    "options",
    examples=("options SPCX", "options SPCX dec calls", "options AAPL 2026-12-18 puts strikes=6"),
)
async def options(
    ctx: Context,
    symbol: Symbol,
    expiry: Expiry = None,
    side: Side = "both",
    *,
    strikes: Strikes = 10,
) -> Response:
    """The option chain around the money for one expiry, and the list of expiries.

    Bid, ask, last, volume, open interest and implied volatility per strike; in-the-money
    strikes are marked. The nearest expiry by default; `expiry` takes a date (2026-12-18),
    a month (dec: its standard monthly expiry) or "next month". From Yahoo Finance, fresh
    within seconds while the market is open.
    """
    word = (expiry or "").strip().lower()
    if side == "both" and word in ("calls", "puts"):  # `options SPCX calls`: no expiry given
        side = "calls" if word == "calls" else "puts"
        expiry = None
    found = await resolve_one(ctx, symbol)
    assert found.symbol is not None  # resolve_one raises otherwise
    try:
        chain = await ctx.market.option_chain(found.symbol)
        if not chain.expiries:
            raise NotFound(
                f"{chain.symbol} has no options listed on Yahoo Finance. Try `quote {chain.symbol}`."
            )
        wanted = pick_expiry(expiry, chain.expiries, ctx.now.date()) if expiry else chain.expiry
        if wanted is not None and wanted != chain.expiry:
            chain = await ctx.market.option_chain(found.symbol, wanted)
    except UpstreamError as exc:
        if exc.reason == "not_found":
            raise await not_found(ctx, [found.text]) from None
        raise UpstreamError(exc.reason, failure_message(exc.reason)) from None
    ctx.symbols.remember([chain.symbol])
    return chain_response(chain, side, strikes, ctx)


def pick_expiry(text: str, listed: Sequence[date], today: date) -> date:
    """The listed expiry `text` means: an exact date, a month's standard expiry, next month."""
    words = text.strip().lower()
    if words in _NEAREST:
        return listed[0]
    match = _DATE.match(words)
    if match:
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise UsageError(f"expiry: {safe_echo(text, 20)} is not a date.") from None
        if day not in listed:
            nearest = min(listed, key=lambda d: abs((d - day).days))
            raise NotFound(
                f"No options expire on {day.isoformat()}. The closest expiry is "
                f"{nearest.isoformat()}; listed: {_expiry_list(listed, 6, today)}."
            )
        return day
    if words in ("next month", "next-month", "nextmonth", "next_month"):
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    elif words in ("this month",):
        year, month = today.year, today.month
    elif words in _MONTHS:
        month = _MONTHS[words]
        year = today.year if month >= today.month else today.year + 1
    else:
        raise UsageError(
            f"expiry: {safe_echo(text, 20)} is not a date like 2026-12-18, a month like dec, "
            "or 'next month'."
        )
    in_month = [d for d in listed if (d.year, d.month) == (year, month)]
    if not in_month:
        raise NotFound(
            f"No options expire in {calendar.month_name[month]} {year}. "
            f"Listed: {_expiry_list(listed, 6, today)}."
        )
    standard = _third_friday(year, month)
    return standard if standard in in_month else in_month[-1]


def _third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return date(year, month, 1 + (4 - first.weekday()) % 7 + 14)


def _expiry_list(listed: Sequence[date], limit: int, today: date) -> str:
    shown = ", ".join(_day(d, today) for d in listed[:limit])
    return shown + (f" and {len(listed) - limit} more" if len(listed) > limit else "")


def _day(d: date, today: date) -> str:
    """ "Dec 18", with the year when it is not this year's."""
    text = d.strftime("%b %d").replace(" 0", " ")
    return text if d.year == today.year else f"{text} {d.year}"


def around_the_money(
    contracts: Sequence[OptionContract], price: float | None, count: int
) -> list[OptionContract]:
    """The `count` strikes closest to the price, in strike order."""
    if price is None or len(contracts) <= count:
        return list(contracts)[:count]
    nearest = sorted(contracts, key=lambda c: (abs(c.strike - price), c.strike))[:count]
    return sorted(nearest, key=lambda c: c.strike)


def _num(value: float | None, pattern: str = "{:,.2f}") -> str:
    return "–" if value is None else pattern.format(value)


def contract_line(c: OptionContract, symbol: str) -> str:
    iv = f"{c.implied_volatility * 100:.1f}%" if c.implied_volatility is not None else "–"
    return (
        f"bid {_num(c.bid)} / ask {_num(c.ask)} · last {_num(c.last)} · "
        f"vol {fmt_big(c.volume) if c.volume is not None else '–'} · "
        f"OI {fmt_big(c.open_interest) if c.open_interest is not None else '–'} · IV {iv}"
    )


def _side_card(
    name: str,
    contracts: list[OptionContract],
    chain: OptionChain,
    header: str,
    footer: str,
    today: date,
) -> Card:
    symbol = chain.symbol
    fields = tuple(
        Field(
            f"{fmt_price(c.strike, symbol)} {name[:-1]}" + (" · ITM" if c.in_the_money else ""),
            contract_line(c, symbol),
            inline=False,
        )
        for c in contracts
    )
    return Card(
        title=f"{symbol} {name} · {_day(chain.expiry, today) if chain.expiry else ''}".strip(),
        description=header,
        fields=fields,
        tone=Tone.WARNING if chain.stale else Tone.NEUTRAL,
        footer=footer,
        url=f"https://finance.yahoo.com/quote/{symbol}/options",
    )


def chain_response(chain: OptionChain, side: str, strikes: int, ctx: Context) -> Response:
    quote = chain.underlying
    price = quote.price if quote else None
    tz = quote.exchange_tz if quote else "America/New_York"
    days = (chain.expiry - ctx.now.date()).days if chain.expiry else None
    header_parts = []
    if quote is not None:
        header_parts.append(
            f"{chain.symbol} {fmt_price(quote.price, chain.symbol)} {quote.currency}"
            f" ({quote.market_state.value})"
        )
    if chain.expiry is not None:
        header_parts.append(f"expires {chain.expiry.isoformat()} ({days} days)")
    header = " · ".join(header_parts)
    if chain.stale:
        header = stale_warning("chain", chain.stale_reason, chain.fetched_at, tz) + "\n" + header
    as_of = quote.as_of if quote else chain.fetched_at
    footer = f"{chain.source} · as of {fmt_as_of(as_of, tz)} · ITM = in the money"
    sides = ("calls", "puts") if side == "both" else (side,)
    picked = {
        name: around_the_money(chain.calls if name == "calls" else chain.puts, price, strikes)
        for name in sides
    }
    today = ctx.now.date()
    cards = [_side_card(name, picked[name], chain, header, footer, today) for name in sides]
    expiries_text = ", ".join(
        _day(d, today) + (" ◀" if d == chain.expiry else "")
        for d in chain.expiries[:SHOWN_EXPIRIES]
    )
    if len(chain.expiries) > SHOWN_EXPIRIES:
        expiries_text += f" and {len(chain.expiries) - SHOWN_EXPIRIES} more"
    cards.append(Card(title=f"{chain.symbol} expiries", description=expiries_text))
    if not any(picked.values()):
        cards = [Card(title=f"{chain.symbol} options", description=header, tone=Tone.WARNING)]
    data: dict[str, Any] = {
        "symbol": chain.symbol,
        "expiry": chain.expiry.isoformat() if chain.expiry else None,
        "expiries": [d.isoformat() for d in chain.expiries],
        "side": side,
        "underlying_price": price,
        "currency": quote.currency if quote else None,
        "calls": [c.to_dict() for c in picked.get("calls", [])],
        "puts": [c.to_dict() for c in picked.get("puts", [])],
        "as_of": as_of.isoformat(),
        "fetched_at": chain.fetched_at.isoformat(),
        "stale": chain.stale,
        "source": chain.source,
    }
    lines = [header]
    for name in sides:
        lines.append(f"{name.capitalize()}:")
        lines += [
            f"  {fmt_price(c.strike, chain.symbol)}{' ITM' if c.in_the_money else ''}  "
            + contract_line(c, chain.symbol)
            for c in picked[name]
        ]
    lines += [f"Expiries: {expiries_text}", footer]
    return Response(
        text="\n".join(lines),
        cards=tuple(cards),
        data=data,
        actions=expiry_menu(ctx, chain, side),
    )


def expiry_menu(ctx: Context, chain: OptionChain, side: str) -> tuple[ActionRow, ...]:
    """A select of the listed expiries (the first 25): picking one shows its chain, keeping the
    side and the strike count. None when there is nothing else to pick."""
    if len(chain.expiries) < 2:
        return ()
    today = ctx.now.date()
    shown = list(chain.expiries[:MENU_EXPIRIES])
    if chain.expiry is not None and chain.expiry not in shown:
        shown[-1] = chain.expiry  # the one on screen stays pickable (and marked)
    picks = []
    for day in shown:
        try:
            line = ctx.again(
                symbol=chain.symbol,
                expiry=day.isoformat(),
                side=None if side == "both" else side,  # `options SPCX calls` keeps its side
            )
        except ValueError:
            return ()
        days = (day - today).days
        label = f"{_day(day, today)} ({'today' if days == 0 else plural(days, 'day')})"
        picks.append(MenuOption(label, line, current=day == chain.expiry))
    return action_rows(ActionRow((Menu("Another expiry…", tuple(picks)),)))
