"""A company's profile, key statistics and analysts' view from one quoteSummary request.

yfinance would spend five requests on the same card (`info` is three, plus
`recommendations` and `calendar`); Yahoo's quoteSummary answers every module in one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from bot.errors import UpstreamError
from bot.market.upstream_json import answer_json, epoch, integer, num, obj, text, web_url

SUMMARY_URL = "https://query2.finance.yahoo.com/v10/finance/quoteSummary/{symbol}"
PROFILE_MODULES = (
    "assetProfile",
    "summaryDetail",
    "defaultKeyStatistics",
    "financialData",
    "quoteType",
    "recommendationTrend",
    "calendarEvents",
)
PROFILE_TTL = 86400.0  # a profile changes slowly; the card says when it was fetched


@dataclass(frozen=True, slots=True)
class Recommendations:
    """How many analysts rate the stock what, for the current month (Yahoo's period "0m")."""

    strong_buy: int
    buy: int
    hold: int
    sell: int
    strong_sell: int

    @property
    def total(self) -> int:
        return self.strong_buy + self.buy + self.hold + self.sell + self.strong_sell


@dataclass(frozen=True, slots=True)
class CompanyProfile:
    symbol: str
    name: str
    quote_type: str
    exchange: str
    currency: str
    fetched_at: datetime
    has_company_profile: bool  # Yahoo sent an assetProfile (companies and some funds)
    sector: str = ""
    industry: str = ""
    employees: int | None = None
    city: str = ""
    state: str = ""
    country: str = ""
    website: str | None = None
    summary: str = ""
    market_cap: float | None = None
    trailing_pe: float | None = None
    forward_pe: float | None = None
    trailing_eps: float | None = None
    forward_eps: float | None = None
    dividend_rate: float | None = None
    dividend_yield: float | None = None  # a fraction: 0.0041 is 0.41 %
    beta: float | None = None
    year_low: float | None = None
    year_high: float | None = None
    shares_outstanding: float | None = None
    price: float | None = None
    target_mean: float | None = None
    target_low: float | None = None
    target_high: float | None = None
    analysts: int | None = None
    recommendation: str = ""  # Yahoo's key: strong_buy, buy, hold, underperform, sell
    recommendation_mean: float | None = None  # 1 strong buy ... 5 sell
    recommendations: Recommendations | None = None
    # Next earnings: one time when confirmed, a window of two when Yahoo estimates it.
    earnings: tuple[datetime, ...] = ()
    earnings_estimated: bool | None = None
    source: str = "Yahoo Finance"
    stale: bool = False
    stale_reason: str | None = None

    def as_stale(self, reason: str) -> CompanyProfile:
        return replace(self, stale=True, stale_reason=reason)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["fetched_at"] = self.fetched_at.isoformat()
        out["earnings"] = [e.isoformat() for e in self.earnings]
        if self.recommendations is not None:
            r = self.recommendations
            out["recommendations"] = {
                "strong_buy": r.strong_buy,
                "buy": r.buy,
                "hold": r.hold,
                "sell": r.sell,
                "strong_sell": r.strong_sell,
            }
        return out


def profile_params(symbol: str) -> dict[str, str]:
    """The query yfinance sends for quoteSummary, with every module the card needs."""
    return {
        "modules": ",".join(PROFILE_MODULES),
        "corsDomain": "finance.yahoo.com",
        "formatted": "false",
        "symbol": symbol,
        "lang": "en-US",
        "region": "US",
    }


def _recommendations(module: dict[str, Any]) -> Recommendations | None:
    trend = module.get("trend")
    if not isinstance(trend, list):
        return None
    current = next((obj(t) for t in trend if obj(t).get("period") == "0m"), None)
    if current is None:
        return None
    counts = [integer(current.get(k)) for k in ("strongBuy", "buy", "hold", "sell", "strongSell")]
    if any(c is None for c in counts):
        return None
    found = Recommendations(*(c or 0 for c in counts))
    return found if found.total else None


def parse_profile(payload: Any, symbol: str, fetched_at: datetime) -> CompanyProfile:
    """quoteSummary's modules as a CompanyProfile; modules Yahoo left out leave fields empty."""
    body = obj(obj(payload).get("quoteSummary"))
    result = body.get("result")
    if not isinstance(result, list) or not result or not isinstance(result[0], dict):
        error = obj(body.get("error"))
        if error.get("code") == "Not Found":
            raise UpstreamError("not_found", f"Yahoo has no data for {symbol}.")
        raise UpstreamError("bad_answer", "Yahoo sent a profile we could not read.")
    row = result[0]
    asset = obj(row.get("assetProfile"))
    detail = obj(row.get("summaryDetail"))
    stats = obj(row.get("defaultKeyStatistics"))
    finance = obj(row.get("financialData"))
    kind = obj(row.get("quoteType"))
    events = obj(obj(row.get("calendarEvents")).get("earnings"))
    dates = events.get("earningsDate")
    earnings = tuple(
        d for d in (epoch(v) for v in (dates if isinstance(dates, list) else [])) if d is not None
    )
    estimated = events.get("isEarningsDateEstimate")
    has_profile = bool(
        asset.get("sector") or asset.get("industry") or asset.get("longBusinessSummary")
    )
    return CompanyProfile(
        symbol=text(kind.get("symbol")).upper() or symbol,
        name=text(kind.get("longName")) or text(kind.get("shortName")) or symbol,
        quote_type=text(kind.get("quoteType")).upper() or "EQUITY",
        exchange=text(kind.get("exchange")),
        currency=text(detail.get("currency")) or text(finance.get("financialCurrency")),
        fetched_at=fetched_at,
        has_company_profile=has_profile,
        sector=text(asset.get("sectorDisp")) or text(asset.get("sector")),
        industry=text(asset.get("industryDisp")) or text(asset.get("industry")),
        employees=integer(asset.get("fullTimeEmployees")),
        city=text(asset.get("city")),
        state=text(asset.get("state")),
        country=text(asset.get("country")),
        website=web_url(asset.get("website")),
        summary=text(asset.get("longBusinessSummary")),
        market_cap=num(detail.get("marketCap")),
        trailing_pe=num(detail.get("trailingPE")),
        forward_pe=num(detail.get("forwardPE")) or num(stats.get("forwardPE")),
        trailing_eps=num(stats.get("trailingEps")),
        forward_eps=num(stats.get("forwardEps")),
        dividend_rate=num(detail.get("dividendRate")),
        dividend_yield=num(detail.get("dividendYield")),
        beta=num(detail.get("beta")) if "beta" in detail else num(stats.get("beta")),
        year_low=num(detail.get("fiftyTwoWeekLow")),
        year_high=num(detail.get("fiftyTwoWeekHigh")),
        shares_outstanding=num(stats.get("sharesOutstanding")),
        price=num(finance.get("currentPrice")),
        target_mean=num(finance.get("targetMeanPrice")),
        target_low=num(finance.get("targetLowPrice")),
        target_high=num(finance.get("targetHighPrice")),
        analysts=integer(finance.get("numberOfAnalystOpinions")),
        recommendation=text(finance.get("recommendationKey")),
        recommendation_mean=num(finance.get("recommendationMean")),
        recommendations=_recommendations(obj(row.get("recommendationTrend"))),
        earnings=earnings,
        earnings_estimated=estimated if isinstance(estimated, bool) else None,
    )


def fetch_profile(data: Any, symbol: str, timeout: float, now: datetime) -> CompanyProfile:
    """Blocking: one quoteSummary GET with every profile module (`data` is our CrumbSession)."""
    url = SUMMARY_URL.format(symbol=symbol)
    response = data.get(url, params=profile_params(symbol), timeout=timeout)
    return parse_profile(answer_json(response), symbol, now)
