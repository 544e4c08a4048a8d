"""/acquisitions and /acquisition: the sourced deal book, and share-price moves around deals."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import NotFound, UpstreamError, UsageError
from bot.market.types import Bar, History
from bot.registry import Param, command
from bot.response import Card, Field, Response, Tone
from bot.text import safe_echo
from commands._shared import units as u
from commands._shared.buttons import page_buttons
from commands._shared.paging import Page, page_of
from commands._shared.units import Measure
from commands._shared.yaml_entries import normalise, skipped_warning
from commands.acquisitions.deal_book import Deal, DealBook, deal_book

PAGE_SIZE = 8
IMPACT_DAYS = (1, 5, 30)
_YEAR = re.compile(r"^(19|20)\d{2}$")
_MONEY_WORD = re.compile(r"^\$?\d+(?:\.\d+)?(?:k|m|mn|b|bn|t|tn)\$?$|^\$\d+(?:\.\d+)?$", re.I)

Company = Annotated[
    list[str] | None,
    Param(
        "company name or ticker; a year (2025) and a minimum value (10B) may follow",
        max_items=8,
        max_length=40,
        metavar="company",
    ),
]
Year = Annotated[int | None, Param("year the deal was announced", min=1990, max=2100)]
MinValue = Annotated[
    Measure | None,
    Param(
        "smallest headline value in US dollars, e.g. 10B",
        parse=u.parser(u.MONEY, minimum=0),
        metavar="10B",
        max_length=20,
    ),
]


@command(
    "acquisitions",
    examples=(
        "acquisitions spacex",
        "acquisitions google 2025",
        "acquisitions nvidia 1B",
        "acquisitions min_value=20B page=2",
    ),
)
async def acquisitions(
    ctx: Context,
    company: Company = None,
    *,
    year: Year = None,
    min_value: MinValue = None,
    page: Page = 1,
) -> Response:
    """Deals from the sourced deal book, newest first: filter by company, year, value.

    A company matches the acquirer or the target, by name, alias or ticker (SPCX, spacex,
    google). Words that look like a year (2025) or an amount (10B, $500M) filter by those.
    """
    book = deal_book(ctx)
    words: list[str] = []
    for word in company or []:
        if _YEAR.match(word) and year is not None:
            # A second year used to be searched for as a company name ("for '2024'").
            raise UsageError(f"year was given more than once ({year} and {word}).")
        if _MONEY_WORD.match(word) and min_value is not None:
            raise UsageError(f"min_value was given more than once ({min_value.text} and {word}).")
        if _YEAR.match(word):
            year = int(word)
        elif _MONEY_WORD.match(word):
            try:
                min_value = u.parser(u.MONEY, minimum=0)(word)
            except ValueError as exc:
                raise UsageError(f"min_value: {exc}") from None
        else:
            words.append(word)
    name = " ".join(words) or None
    tickers = _alias_tickers(ctx, name) if name else []
    found = book.search(
        name, tickers=tickers, year=year, min_value=min_value.si if min_value else None
    )
    described = _filters_text(name, year, min_value)
    if not found:
        raise NotFound(f"No deals in the deal book{described}.")
    paged = page_of(found, page, PAGE_SIZE)
    shown = paged.items
    footer = paged.footer("deals", _as_of(book))
    title = f"Deals{described}"[:256]
    fields = [Field(_deal_heading(d)[:256], _deal_summary(d), inline=False) for d in shown]
    cards = [
        Card(
            title=title,
            description="Newest first. `acquisition <target>` shows one deal with its sources.",
            fields=tuple(fields),
            footer=footer,
        )
    ]
    lines = [f"{title} ({footer})"]
    lines += [f"- {_deal_heading(d)}: {_deal_summary(d)}".replace("\n", " · ") for d in shown]
    warning = skipped_warning(book.problems, "deals")
    if warning:
        cards.append(Card(title="Data warning", description=warning, tone=Tone.WARNING))
        lines.append(warning)
    data = {
        "deals": [_deal_data(d) for d in shown],
        **paged.data(),
        "filters": {
            "company": name,
            "year": year,
            "min_value": min_value.si if min_value else None,
        },
    }
    return Response(
        text="\n".join(lines), cards=tuple(cards), data=data, actions=page_buttons(ctx, paged)
    )


Target = Annotated[
    list[str],
    Param(
        "the target company or a deal id; add 'impact' for the acquirer's share-price move",
        min_items=1,
        max_items=8,
        max_length=60,
        metavar="target",
    ),
]


@command(
    "acquisition",
    examples=("acquisition cursor", "acquisition wiz impact", "acquisition spacex-xai"),
    deadline=8.0,
)
async def acquisition(ctx: Context, target: Target, *, impact: bool = False) -> Response:
    """One deal in full with its sources; `impact` adds the acquirer's share-price move."""
    words = list(target)
    if len(words) > 1 and words[-1].lower() == "impact":
        impact = True
        words = words[:-1]
    text = " ".join(words)
    book = deal_book(ctx)
    deal = _pick(book, text)
    if isinstance(deal, Response):
        return deal
    if impact:
        return await _impact(ctx, deal)
    return _full(book, deal)


# ---------------------------------------------------------------------------- list helpers


def _alias_tickers(ctx: Context, name: str) -> list[str]:
    """Tickers the symbol aliases give for a name ("facebook" -> META); no network."""
    ticker = ctx.symbols.aliases.get(name.strip().lstrip("$").casefold())
    return [ticker] if ticker else []


def _filters_text(name: str | None, year: int | None, min_value: Measure | None) -> str:
    bits = []
    if name:
        bits.append(f" for {safe_echo(name, 30)!r}")
    if year is not None:
        bits.append(f" announced in {year}")
    if min_value is not None:
        bits.append(f" worth at least {min_value.text}")
    return "".join(bits)


def _deal_heading(deal: Deal) -> str:
    return f"{deal.announced_text} · {deal.title}"


def _deal_summary(deal: Deal) -> str:
    check = (
        "confirmed"
        if deal.verification == "confirmed"
        else "unverified: " + ", ".join(deal.unverified)
    )
    return f"{_short(deal.value.text, 160)}\n{deal.closed_text} · {check} · id {deal.id}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _as_of(book: DealBook) -> str:
    latest = max((d.as_of for d in book.deals if d.as_of), default=None)
    return f"status as of {latest.isoformat()}" if latest else ""


def _deal_data(deal: Deal) -> dict[str, Any]:
    out = deal.model_dump(mode="json")
    out["title"] = deal.title
    return out


# ---------------------------------------------------------------------------- one deal


def _pick(book: DealBook, text: str) -> Deal | Response:
    matches = book.find_target(text)
    if len(matches) > 1:
        exact = [d for d in matches if normalise(d.target.name) == normalise(text)]
        if len(exact) == 1:
            return exact[0]
        lines = [f"{len(matches)} deals match {safe_echo(text, 30)!r}; ask for one by its id:"]
        lines += [f"- acquisition {d.id}  ({_deal_heading(d)})" for d in matches]
        card = Card(
            title=f"Which deal? {len(matches)} match {safe_echo(text, 30)!r}"[:256],
            fields=tuple(
                Field(d.id, f"{_deal_heading(d)}\n{_short(d.value.text, 200)}", inline=False)
                for d in matches[:10]
            ),
        )
        return Response(
            text="\n".join(lines), cards=(card,), data={"matches": [d.id for d in matches]}
        )
    if not matches:
        names = {d.target.name.casefold(): d.id for d in book.deals} | {
            d.id: d.id for d in book.deals
        }
        close = difflib.get_close_matches(text.casefold(), list(names), n=3, cutoff=0.6)
        raise NotFound(
            f"No deal with a target {safe_echo(text, 30)!r} in the deal book.",
            suggestions=list(dict.fromkeys(names[c] for c in close)),
        )
    return matches[0]


def _full(book: DealBook, deal: Deal) -> Response:
    check = (
        "confirmed by the sources below"
        if deal.verification == "confirmed"
        else "unverified: " + ", ".join(deal.unverified) + " (no source confirms these)"
    )
    fields = [
        Field("Announced", deal.announced_text),
        Field("Status", deal.closed_text),
        Field("Value kind", deal.value.kind.value),
        Field("Headline value", _short(deal.value.text, 1024), inline=False),
        Field("Verification", check, inline=False),
    ]
    if deal.acquirer.ticker:
        fields.append(Field("Acquirer ticker", deal.acquirer.ticker))
    if deal.events:
        events = [f"{e.date.isoformat()}: {e.what}" for e in deal.events]
        fields.append(Field("Timeline", _short("\n".join(events), 1024), inline=False))
    if deal.note:
        fields.append(Field("Where reports disagree", _short(deal.note, 1024), inline=False))
    urls = deal.source_urls
    fields.append(Field("Sources", _short("\n".join(urls), 1024), inline=False))
    as_of = deal.as_of.isoformat() if deal.as_of else "unknown"
    card = Card(
        title=deal.title[:256],
        description=deal.target.description or "",
        fields=tuple(fields),
        footer=f"deal book id {deal.id} · status as of {as_of} · sources: public pages listed",
        url=urls[0],
        tone=Tone.WARNING if deal.verification == "unverified" else Tone.NEUTRAL,
    )
    lines = [
        f"{deal.title} ({deal.target.description})",
        f"Announced: {deal.announced_text}",
        f"Status: {deal.closed_text}",
        f"Value: {deal.value.text} [{deal.value.kind.value}]",
        f"Verification: {check}",
    ]
    lines += [f"  {e.date.isoformat()}: {e.what}" for e in deal.events]
    if deal.note:
        lines.append(f"Where reports disagree: {deal.note}")
    lines.append("Sources:")
    lines += [f"  {url}" for url in urls]
    lines.append(f"(status as of {as_of})")
    return Response(text="\n".join(lines), cards=(card,), data={"deal": _deal_data(deal)})


# ---------------------------------------------------------------------------- impact


@dataclass(frozen=True, slots=True)
class Move:
    days: int
    day: date | None
    close: float | None
    change_pct: float | None


@dataclass(frozen=True, slots=True)
class Impact:
    symbol: str
    event: date
    base_day: date
    base_close: float
    moves: tuple[Move, ...]
    currency: str


def price_impact(history: History, event: date, days: Sequence[int] = IMPACT_DAYS) -> Impact | None:
    """Closes around an event: the last close before it, then day N = the Nth session after.

    The event's own date, a session or not, is day 0: news may come out before, during or
    after its hours, so day 1 is the first session after that date. None when no close
    precedes the event.
    """
    zone = ZoneInfo(history.exchange_tz or "UTC")
    dated: list[tuple[date, Bar]] = [(b.time.astimezone(zone).date(), b) for b in history.bars]
    dated.sort(key=lambda pair: pair[0])
    before = [i for i, (day, _) in enumerate(dated) if day < event]
    if not before:
        return None
    base = before[-1]
    base_day, base_bar = dated[base]
    first_after = next((i for i, (day, _) in enumerate(dated) if day > event), len(dated))
    moves = []
    for n in days:
        index = first_after + n - 1
        if index < len(dated):
            day, bar = dated[index]
            change = (bar.close / base_bar.close - 1) * 100
            moves.append(Move(n, day, bar.close, change))
        else:
            moves.append(Move(n, None, None, None))
    return Impact(history.symbol, event, base_day, base_bar.close, tuple(moves), history.currency)


async def _impact(ctx: Context, deal: Deal) -> Response:
    acquirer = deal.acquirer
    if not acquirer.ticker:
        return _explain(
            deal,
            f"{acquirer.name} is not listed on a stock exchange (a private company), so there "
            "is no share price to follow around this deal.",
            "private",
        )
    if deal.announced_precision != "day":
        return _explain(
            deal,
            f"The deal book knows only the {deal.announced_precision} of the announcement "
            f"({deal.announced_text}), too coarse to measure a share-price move around it.",
            "date_unknown",
        )
    listed = acquirer.listed_since
    later_events = [
        e for e in deal.events if listed and e.date >= listed and e.date > deal.announced
    ]
    if listed and deal.announced < listed:
        reason = (
            f"{acquirer.name} ({acquirer.ticker}) was not listed when the deal was announced on "
            f"{deal.announced_text}: its shares first traded on {listed.isoformat()}, so there "
            "is no market price before the announcement."
        )
        if not later_events:
            return _explain(deal, reason, "listed_later")
        event = later_events[-1]
        result = await _measure(ctx, deal, event.date)
        if result is None:
            return _explain(deal, reason, "listed_later")
        return _impact_response(deal, result, note=f"{reason} Shown instead: {event.what}.")
    result = await _measure(ctx, deal, deal.announced)
    if result is None:
        return _explain(
            deal,
            f"Yahoo Finance has no {acquirer.ticker} close before {deal.announced_text}: its "
            "price history starts after the announcement (listed later, or older than the "
            "history Yahoo serves).",
            "no_history_before",
        )
    return _impact_response(deal, result)


async def _measure(ctx: Context, deal: Deal, event: date) -> Impact | None:
    symbol = deal.acquirer.ticker
    assert symbol is not None
    try:
        history = await ctx.market.history(symbol, "max", "1d", budget=6.0)
    except UpstreamError as exc:
        if exc.reason == "not_found":
            raise NotFound(f"Yahoo Finance has no price history for {symbol}.") from None
        raise
    return price_impact(history, event)


def _explain(deal: Deal, reason: str, code: str) -> Response:
    card = Card(
        title=f"Share-price impact: {deal.title}"[:256],
        description=reason,
        tone=Tone.WARNING,
        footer=f"deal book id {deal.id}",
    )
    return Response(
        text=f"{deal.title}: {reason}",
        cards=(card,),
        data={"deal": deal.id, "impact": None, "reason": code, "message": reason},
    )


def _impact_response(deal: Deal, impact: Impact, note: str = "") -> Response:
    fields = [
        Field(
            "Last close before", f"{impact.base_close:,.2f} {impact.currency} ({impact.base_day})"
        )
    ]
    lines = [
        f"{deal.title}: {impact.symbol} around {impact.event.isoformat()}",
        f"  last close before: {impact.base_close:,.2f} {impact.currency} on {impact.base_day}",
    ]
    for move in impact.moves:
        label = f"{move.days} trading day{'s' if move.days > 1 else ''} after"
        if move.close is None or move.change_pct is None or move.day is None:
            value = "not yet (too few sessions since)"
        else:
            value = f"{move.close:,.2f} ({move.change_pct:+.2f}%) on {move.day}"
        fields.append(Field(label, value))
        lines.append(f"  {label}: {value}")
    if note:
        lines.insert(1, note)
    last = next((m for m in reversed(impact.moves) if m.change_pct is not None), None)
    card = Card(
        title=f"{impact.symbol} around {deal.title} ({impact.event.isoformat()})"[:256],
        description=note,
        fields=tuple(fields),
        tone=Tone.of_change(last.change_pct if last else None),
        footer="Yahoo Finance daily closes · day 1 = first session after the announcement day "
        "· not adjusted for the market's own move",
    )
    data = {
        "deal": deal.id,
        "symbol": impact.symbol,
        "event": impact.event.isoformat(),
        "base": {"date": impact.base_day.isoformat(), "close": impact.base_close},
        "moves": [
            {
                "days": m.days,
                "date": m.day.isoformat() if m.day else None,
                "close": m.close,
                "change_pct": m.change_pct,
            }
            for m in impact.moves
        ],
    }
    return Response(text="\n".join(lines), cards=(card,), data=data)
