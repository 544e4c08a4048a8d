"""/acquisitions and /acquisition: the sourced deal book, and share-price moves around deals."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any
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
from commands.acquisitions.deal_book import KIND_TEXT, Deal, DealBook, ValueKind, deal_book
from commands.acquisitions.deal_events import event_data, events_for, merge

if TYPE_CHECKING:
    from bot.store.models import DealEvent

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
    # Rumours are never listed as deals: they are named apart, under their own heading.
    rumours = [d for d in found if d.is_rumour]
    found = [d for d in found if not d.is_rumour]
    if not found and not rumours:
        raise NotFound(f"No deals in the deal book{described}.")
    paged = page_of(found, page, PAGE_SIZE)
    shown = paged.items
    footer = paged.footer("deals", _as_of(book))
    title = f"Deals{described}"[:256]
    today = ctx.now.date()
    found_events: dict[str, list[DealEvent]] = {}
    for event in await events_for(ctx):
        found_events.setdefault(event.deal_id, []).append(event)
    summaries = {d.id: _deal_summary(d, today, found_events.get(d.id, [])) for d in shown}
    fields = [Field(_deal_heading(d)[:256], summaries[d.id], inline=False) for d in shown]
    cards = [
        Card(
            title=title,
            description="Newest first. `acquisition <target>` shows one deal with its sources.",
            fields=tuple(fields),
            footer=footer,
        )
    ]
    lines = [f"{title} ({footer})"]
    lines += [f"- {_deal_heading(d)}: {summaries[d.id]}".replace("\n", " · ") for d in shown]
    if rumours:
        heard = "\n".join(f"{_deal_heading(d)} (`acquisition {d.id}`)" for d in rumours)
        cards.append(
            Card(
                title="Rumours: reported talks, NOT deals",
                description=_short(heard, 1024),
                tone=Tone.WARNING,
            )
        )
        lines.append("Rumours (reported talks, NOT deals):")
        lines += [f"- {line}" for line in heard.splitlines()]
    warning = skipped_warning(book.problems, "deals")
    if warning:
        cards.append(Card(title="Data warning", description=warning, tone=Tone.WARNING))
        lines.append(warning)
    data = {
        "deals": [_deal_data(d, today) for d in shown],
        "rumours": [d.id for d in rumours],
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
    return _full(deal, ctx.now.date(), await events_for(ctx, deal.id))


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
    if deal.is_rumour:
        return f"RUMOUR (not a deal) · reported {deal.announced_text} · {deal.title}"
    return f"{deal.announced_text} · {deal.title}"


def _deal_summary(deal: Deal, today: date, events: list[DealEvent]) -> str:
    check = deal.verification.value
    if deal.unverified:
        check += "; unverified: " + ", ".join(deal.unverified)
    status = status_line(deal, today)
    changed = merge(deal, events).changed_by
    if changed is not None:
        status = f"{changed.new_status} per SEC filing {changed.filing_date} (was {status})"
    value = _short(deal.value.text, 140) + f" [{KIND_TEXT[deal.value.kind.value]}"
    value += f", {deal.value_level.value}]"
    return f"{value}\n{status} · {check} · id {deal.id}"


def status_line(deal: Deal, today: date) -> str:
    """'completed 2026-02-02 (as of 2026-06-26)', or the pending status with its staleness."""
    if deal.is_rumour:
        as_of = deal.as_of.isoformat() if deal.as_of else "unknown"
        return f"{deal.closed_text} (reports as of {as_of})"
    as_of = deal.as_of.isoformat() if deal.as_of else "unknown"
    stale = deal.staleness(today)
    if stale:
        return f"{deal.closed_text}: {stale}"
    return f"{deal.closed_text} (as of {as_of})"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _as_of(book: DealBook) -> str:
    latest = max((d.as_of for d in book.deals if d.as_of), default=None)
    return f"status as of {latest.isoformat()}" if latest else ""


def _deal_data(deal: Deal, today: date | None = None) -> dict[str, Any]:
    out = deal.data()
    out["stale"] = deal.staleness(today) if today else None
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


def verification_text(deal: Deal) -> str:
    """'status and dates: filed (...) · value: estimated (...)' plus unconfirmed fields."""
    parts = [f"status and dates: {deal.verification.value} ({deal.verification.meaning})"]
    if deal.value_level is not deal.verification:
        parts.append(f"value: {deal.value_level.value} ({deal.value_level.meaning})")
    text = "; ".join(parts)
    if deal.unverified:
        text += "; no stored source confirms: " + ", ".join(deal.unverified)
    return text


def _full(deal: Deal, today: date, events: list[DealEvent]) -> Response:
    check = verification_text(deal)
    curated = status_line(deal, today)
    merged = merge(deal, events)
    changed = merged.changed_by
    status = curated
    if changed is not None:
        status = (
            f"{merged.status} per an SEC filing of {changed.filing_date} "
            f"(the deal book said: {curated})"
        )
    value_name = (
        "Combined valuation (not a price paid)"
        if deal.value.kind is ValueKind.COMBINED_VALUATION
        else "Headline value"
    )
    fields = [
        Field("First reported" if deal.is_rumour else "Announced", deal.announced_text),
        Field("Status", status[:1024], inline=False),
        Field("Value kind", KIND_TEXT[deal.value.kind.value]),
        Field(value_name, _short(deal.value.text, 1024), inline=False),
        Field("Verification", check[:1024], inline=False),
    ]
    if deal.expected_close_text and deal.status.value == "pending":
        fields.insert(2, Field("Expected close", deal.expected_close_text))
    if changed is not None:
        fields.insert(
            2,
            Field(
                "Changed by",
                f"{changed.summary}\n{changed.form} filed {changed.filing_date}: {changed.url}"[
                    :1024
                ],
                inline=False,
            ),
        )
    if merged.signals:
        signals = [f"{e.filing_date} {e.form}: {e.summary}" for e in merged.signals[-5:]]
        fields.append(
            Field("Signals (not a status change)", _short("\n".join(signals), 1024), inline=False)
        )
    if deal.acquirer.ticker:
        fields.append(Field("Acquirer ticker", deal.acquirer.ticker))
    if deal.events:
        timeline = [f"{e.when}: {e.what}" for e in deal.events]
        fields.append(Field("Timeline", _short("\n".join(timeline), 1024), inline=False))
    if deal.note:
        fields.append(Field("Where reports disagree", _short(deal.note, 1024), inline=False))
    urls = deal.source_urls
    fields.append(Field("Sources", _short("\n".join(deal.source_lines), 1024), inline=False))
    as_of = deal.as_of.isoformat() if deal.as_of else "unknown"
    stale = deal.staleness(today)
    title = f"RUMOUR (not a deal): {deal.title}" if deal.is_rumour else deal.title
    card = Card(
        title=title[:256],
        description=deal.target.description or "",
        fields=tuple(fields),
        footer=f"deal book id {deal.id} · status as of {as_of} · sources: public pages listed",
        url=urls[0],
        tone=Tone.WARNING
        if (stale and changed is None) or deal.unverified or deal.is_rumour
        else Tone.NEUTRAL,
    )
    lines = [
        f"{title} ({deal.target.description})",
        f"{'First reported' if deal.is_rumour else 'Announced'}: {deal.announced_text}",
        f"Status: {status}",
    ]
    if changed is not None:
        lines.append(f"Changed by: {changed.summary} ({changed.form} filed {changed.filing_date})")
        lines.append(f"  {changed.url}")
    if deal.expected_close_text and deal.status.value == "pending":
        lines.append(f"Expected close: {deal.expected_close_text}")
    lines += [
        f"Value: {deal.value.text} [{KIND_TEXT[deal.value.kind.value]}]",
        f"Verification: {check}",
    ]
    lines += [f"  {e.when}: {e.what}" for e in deal.events]
    if deal.note:
        lines.append(f"Where reports disagree: {deal.note}")
    lines.append("Sources:")
    lines += [f"  {line}" for line in deal.source_lines]
    lines.append(f"(status as of {as_of})")
    lines += [f"Signal: {e.filing_date} {e.form}: {e.summary}" for e in merged.signals[-5:]]
    data = _deal_data(deal, today)
    data["watch"] = {
        "status": merged.status,
        "curated_status": deal.status.value,
        "changed_by": event_data(changed) if changed is not None else None,
        "signals": [event_data(e) for e in merged.signals],
    }
    return Response(text="\n".join(lines), cards=(card,), data={"deal": data})


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
        e
        for e in deal.events
        if listed and e.precision == "day" and e.date >= listed and e.date > deal.announced
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
