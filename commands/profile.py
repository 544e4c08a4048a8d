"""/profile: what a company does, its key statistics and the analysts' view."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.errors import NotFound, UpstreamError
from bot.market.profile import CompanyProfile
from bot.registry import command
from bot.response import Card, Field, Response, Tone
from commands.market_words import (
    NEW_YORK,
    Symbol,
    failure_message,
    not_found,
    resolve_one,
    stale_warning,
)
from commands.quote_cards import fmt_as_of, fmt_big, fmt_price

SUMMARY_CHARS = 400
_NOT_COMPANIES = {
    "CRYPTOCURRENCY": "a cryptocurrency",
    "CURRENCY": "a currency pair",
    "INDEX": "an index",
    "FUTURE": "a futures contract",
    "MUTUALFUND": "a mutual fund",
}


@command("profile", examples=("profile SPCX", "profile apple", "profile NVDA"))
async def profile(ctx: Context, symbol: Symbol) -> Response:
    """What a company does, its key statistics, analysts' targets and next earnings date.

    Sector, industry, employees, headquarters, website and a short description; market cap,
    P/E (trailing and forward), EPS, dividend and yield, beta, 52-week range and shares
    outstanding; analysts' mean price target and recommendation counts. All from one Yahoo
    Finance request, cached for a day.
    """
    found = await resolve_one(ctx, symbol)
    assert found.symbol is not None  # resolve_one raises otherwise
    try:
        company = await ctx.market.profile(found.symbol)
    except UpstreamError as exc:
        if exc.reason == "not_found":
            raise await not_found(ctx, [found.text]) from None
        raise UpstreamError(exc.reason, failure_message(exc.reason)) from None
    if not company.has_company_profile and company.quote_type in _NOT_COMPANIES:
        raise NotFound(
            f"{company.symbol} is {_NOT_COMPANIES[company.quote_type]}: Yahoo Finance has no "
            f"company profile for it. Try `quote {company.symbol}`."
        )
    ctx.symbols.remember([company.symbol])
    card = profile_card(company)
    data: dict[str, Any] = {
        "profile": company.to_dict(),
        "resolved": {found.text: company.symbol} if found.via != "ticker" else {},
    }
    return Response(text=profile_text(company), cards=(card,), data=data, unfurl=False)


def _summary(text: str) -> str:
    """The description cut at a sentence end near SUMMARY_CHARS."""
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text.rfind(". ", 0, SUMMARY_CHARS)
    return text[: cut + 1] if cut > 80 else text[: SUMMARY_CHARS - 1] + "…"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _dividend(p: CompanyProfile) -> str:
    if not p.dividend_rate:
        return "none"
    text = f"{fmt_price(p.dividend_rate, p.symbol)} {p.currency}".strip()
    if p.dividend_yield is not None:
        text += f" ({p.dividend_yield * 100:.2f}%)"
    return text


def _earnings(p: CompanyProfile) -> str:
    if not p.earnings:
        return "not announced"
    days = [d.date() for d in p.earnings]
    first = days[0].strftime("%b %d, %Y").replace(" 0", " ")
    if len(days) > 1 and days[-1] != days[0]:
        last = days[-1].strftime("%b %d, %Y").replace(" 0", " ")
        return f"{first} – {last} (estimated)"
    return first + (" (estimated)" if p.earnings_estimated else " (confirmed)")


def _hq(p: CompanyProfile) -> str:
    return ", ".join(part for part in (p.city, p.state, p.country) if part) or "n/a"


def profile_fields(p: CompanyProfile) -> list[Field]:
    sym = p.symbol
    fields: list[Field] = []
    if p.has_company_profile:
        fields += [
            Field("Sector", p.sector or "n/a"),
            Field("Industry", p.industry or "n/a"),
            Field("Employees", f"{p.employees:,}" if p.employees else "n/a"),
            Field("Headquarters", _hq(p)),
        ]
        if p.website:
            fields.append(Field("Website", p.website))
    fields += [
        Field("Market cap", fmt_big(p.market_cap, p.currency)),
        Field("P/E (trailing)", _ratio(p.trailing_pe)),
        Field("P/E (forward)", _ratio(p.forward_pe)),
        Field("EPS (trailing)", fmt_price(p.trailing_eps, sym)),
        Field("EPS (forward)", fmt_price(p.forward_eps, sym)),
        Field("Dividend", _dividend(p)),
        Field("Beta", _ratio(p.beta)),
    ]
    if p.year_low is not None and p.year_high is not None:
        fields.append(
            Field("52-week", f"{fmt_price(p.year_low, sym)} – {fmt_price(p.year_high, sym)}")
        )
    fields.append(Field("Shares out", fmt_big(p.shares_outstanding)))
    if p.target_mean is not None:
        target = f"{fmt_price(p.target_mean, sym)} {p.currency}".strip()
        if p.target_low is not None and p.target_high is not None:
            target += f" (low {fmt_price(p.target_low, sym)}, high {fmt_price(p.target_high, sym)})"
        if p.analysts:
            target += f" · {p.analysts} analysts"
        fields.append(Field("Price target", target, inline=False))
    if p.recommendation:
        rating = p.recommendation.replace("_", " ")
        if p.recommendation_mean is not None:
            rating += f" ({p.recommendation_mean:.2f} on 1 strong buy … 5 sell)"
        fields.append(Field("Rating", rating, inline=False))
    if p.recommendations is not None:
        r = p.recommendations
        fields.append(
            Field(
                "Analysts this month",
                f"{r.strong_buy} strong buy · {r.buy} buy · {r.hold} hold · "
                f"{r.sell} sell · {r.strong_sell} strong sell",
                inline=False,
            )
        )
    if p.quote_type == "EQUITY":
        fields.append(Field("Next earnings", _earnings(p), inline=False))
    return fields


def profile_card(p: CompanyProfile) -> Card:
    description = _summary(p.summary)
    if p.stale:
        description = stale_warning("profile", p.stale_reason, p.fetched_at) + "\n" + description
    return Card(
        title=f"{p.symbol} · {p.name}" if p.name != p.symbol else p.symbol,
        description=description.strip(),
        fields=tuple(profile_fields(p)),
        tone=Tone.WARNING if p.stale else Tone.NEUTRAL,
        footer=f"{p.source} · profile fetched {fmt_as_of(p.fetched_at, NEW_YORK)} · refreshed daily",
        url=f"https://finance.yahoo.com/quote/{p.symbol}/profile",
    )


def profile_text(p: CompanyProfile) -> str:
    lines = [f"{p.symbol} · {p.name}"]
    if p.summary:
        lines.append(_summary(p.summary))
    lines += [f"{f.name}: {f.value}" for f in profile_fields(p)]
    lines.append(f"{p.source} · profile fetched {fmt_as_of(p.fetched_at, NEW_YORK)}")
    return "\n".join(lines)
