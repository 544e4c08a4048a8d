"""The fake Yahoo's news, screener, options and quoteSummary profile answers (issue 13).

Shapes follow research/yahoo-formats-more.md: the ncp news stream (§2.2: `{id, content}`
items, off-site items with a null clickThroughUrl, ads dropped by readers), the predefined and
POST screeners (§4), v7 options with the chain of one expiry and an empty answer for
instruments without options (§5), and quoteSummary modules routed on `modules`, answering
only those that exist and a 404 "No fundamentals data found" when none does (§6.2, §10).
Times are generated relative to the fake's clock, so pinned tests see pinned ages.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.yahoo_server import FakeSymbol, FakeYahoo

# ------------------------------------------------------------------------------ news

# (title, publisher, minutes before the fake's now, hosted on Yahoo)
NEWS: dict[str, list[tuple[str, str, int, bool]]] = {
    "SPCX": [
        ("SpaceX shares edge up as Starship flight window opens", "Yahoo Finance", 35, True),
        ("Amazon and SpaceX trade barbs over satellite spectrum", "Reuters", 95, False),
        ("SpaceX's Cursor deal: what $60 billion buys", "Barrons.com", 300, False),
        ("Orbital data centers: the physics behind the pitch", "Yahoo Finance", 1500, True),
    ],
    "AMZN": [
        ("Amazon and SpaceX trade barbs over satellite spectrum", "Reuters", 95, False),
        ("Amazon's Kuiper adds launches for next year", "Yahoo Finance", 200, True),
        ("AWS chief says AI demand still outruns supply", "Bloomberg", 720, False),
    ],
    "^GSPC": [
        ("Stocks drift as traders wait for the jobs report", "Yahoo Finance", 20, True),
        ("Treasury yields slip for a third day", "Reuters", 140, False),
        ("What the Fed minutes say about December", "Yahoo Finance", 400, True),
    ],
}


def _uuid(seed: str) -> str:
    h = hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _slug(title: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")[:60]


def news_item(title: str, publisher: str, published: datetime, hosted: bool) -> dict[str, Any]:
    """One stream item shaped like the recorded AAPL answer (§2.2)."""
    uid = _uuid(title)
    stamp = published.strftime("%Y-%m-%dT%H:%M:%SZ")
    if hosted:
        url = f"https://finance.yahoo.com/news/{_slug(title)}-{uid[:9]}.html"
        canonical = {"url": url, "site": "finance", "region": "US", "lang": "en-US"}
        click: dict[str, Any] | None = dict(canonical)
        preview = None
        provider = {"displayName": publisher, "url": "http://finance.yahoo.com/"}
    else:
        site = publisher.lower().replace(" ", "")
        url = f"https://www.{site.removesuffix('.com')}.com/articles/{_slug(title)}?siteid=yhoof2"
        canonical = {"url": url, "site": "finance", "region": "US", "lang": "en-US"}
        click = None
        preview = f"https://finance.yahoo.com/m/{uid}/{_slug(title)[:30]}.html"
        provider = {"displayName": publisher, "url": f"http://www.{site}/"}
    return {
        "id": uid,
        "content": {
            "id": uid,
            "contentType": "STORY",
            "title": title,
            "description": "",
            "summary": f"{title}.",
            "pubDate": stamp,
            "displayTime": stamp,
            "isHosted": hosted,
            "bypassModal": False,
            "previewUrl": preview,
            "thumbnail": None,
            "provider": provider,
            "canonicalUrl": canonical,
            "clickThroughUrl": click,
            "metadata": {"editorsPick": False},
            "finance": {"premiumFinance": {"isPremiumNews": False, "isPremiumFreeNews": False}},
            "storyline": None,
        },
    }


def news_answer(fake: FakeYahoo, body: dict[str, Any]) -> dict[str, Any]:
    config = body.get("serviceConfig") or {}
    count = int(config.get("snippetCount") or 10)
    symbols = [str(s).upper() for s in config.get("s") or []]
    now = fake.current_time().replace(microsecond=0)
    stream: list[dict[str, Any]] = []
    for symbol in symbols:
        rows = NEWS.get(symbol)
        if rows is None and symbol in fake.symbols:
            name = fake.symbols[symbol].name.split(",")[0]
            rows = [
                (f"{name} stock: what analysts watch this week", "Yahoo Finance", 180, True),
                (f"{name} in focus as sector rotates", "Motley Fool", 2000, False),
            ]
        for title, publisher, minutes, hosted in rows or []:
            stream.append(news_item(title, publisher, now - timedelta(minutes=minutes), hosted))
    if len(stream) > 1:  # Yahoo mixes ads into the stream; readers drop them
        stream.insert(1, {"id": _uuid("ad"), "ad": [{"type": "ad"}], "content": {}})
    return {
        "data": {
            "tickerStream": {
                "pagination": {"requestedCount": count, "remainingCount": 0, "uuids": ""},
                "nextPage": False,
                "stream": stream[: count + 1],
            }
        },
        "status": "OK",
    }


# ------------------------------------------------------------------------------ screeners

_SCREENS = {
    "day_gainers": ("Day Gainers", "DAY_GAINERS"),
    "day_losers": ("Day Losers", "DAY_LOSERS"),
    "most_actives": ("Most Actives", "MOST_ACTIVES"),
}


def _region(sym: FakeSymbol) -> str:
    return "us" if sym.currency == "USD" else "jp" if sym.currency == "JPY" else "other"


def _pick(fake: FakeYahoo, screen: str, region: str) -> list[FakeSymbol]:
    rows = [
        s
        for s in fake.symbols.values()
        if s.quote_type == "EQUITY" and _region(s) == region and (s.market_cap or 0) >= 2e9
    ]

    def pct(s: FakeSymbol) -> float:
        return (s.price - s.previous_close) / s.previous_close * 100

    if screen == "day_gainers":
        return sorted((s for s in rows if pct(s) > 3), key=pct, reverse=True)
    if screen == "day_losers":
        return sorted((s for s in rows if pct(s) < -2.5), key=pct)
    return sorted((s for s in rows if s.volume > 5_000_000), key=lambda s: (-s.volume, s.symbol))


def predefined_answer(fake: FakeYahoo, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
    screen = query.get("scrIds", [""])[0]
    count = int(query.get("count", ["25"])[0])
    if screen not in _SCREENS:
        return 400, {
            "finance": {
                "result": None,
                "error": {"code": "Bad Request", "description": f"Invalid scrIds {screen}"},
            }
        }
    title, canonical = _SCREENS[screen]
    picked = _pick(fake, screen, "us")
    return 200, {
        "finance": {
            "result": [
                {
                    "id": _uuid(screen),
                    "title": title,
                    "description": f"{title} of the trading day.",
                    "canonicalName": canonical,
                    "criteriaMeta": {"size": count, "offset": 0, "quoteType": "EQUITY"},
                    "start": 0,
                    "count": min(count, len(picked)),
                    "total": len(picked),
                    "quotes": [fake.quote_row(s) for s in picked[:count]],
                    "useRecords": False,
                    "predefinedScr": True,
                    "versionId": 10,
                    "isPremium": False,
                }
            ],
            "error": None,
        }
    }


def screener_post_answer(fake: FakeYahoo, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    operands = (body.get("query") or {}).get("operands") or []
    region = next(
        (
            str(o["operands"][1])
            for o in operands
            if isinstance(o, dict) and (o.get("operands") or [None])[0] == "region"
        ),
        "us",
    )
    sort_field = body.get("sortField")
    screen = {"percentchange": "day_gainers", "dayvolume": "most_actives"}.get(
        str(sort_field), "most_actives"
    )
    if screen == "day_gainers" and str(body.get("sortType", "")).upper() == "ASC":
        screen = "day_losers"
    count = int(body.get("count") or 25)
    picked = _pick(fake, screen, region.lower())
    return 200, {
        "finance": {
            "result": [
                {
                    "start": 0,
                    "count": min(count, len(picked)),
                    "total": len(picked),
                    "quotes": [fake.quote_row(s) for s in picked[:count]],
                    "useRecords": False,
                }
            ],
            "error": None,
        }
    }


# ------------------------------------------------------------------------------ options


def _third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def expiries(now: datetime) -> list[date]:
    """Four weekly Fridays, then the monthly (third Friday) expiries of the next six months."""
    today = now.date()
    friday = today + timedelta(days=(4 - today.weekday()) % 7)
    days = {friday + timedelta(weeks=i) for i in range(4)}
    year, month = today.year, today.month
    for _ in range(7):
        third = _third_friday(year, month)
        if third >= today:
            days.add(third)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(days)


def _epoch(day: date) -> int:
    return int(datetime.combine(day, time(0), UTC).timestamp())


def _step(price: float) -> float:
    return 1.0 if price < 25 else 2.5 if price < 100 else 5.0 if price < 500 else 10.0


def strikes_for(price: float) -> list[float]:
    step = _step(price)
    low = math.floor(price * 0.7 / step) * step
    high = math.ceil(price * 1.3 / step) * step
    n = round((high - low) / step)
    return [round(low + i * step, 2) for i in range(n + 1)]


def _norm_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _price(call: bool, spot: float, strike: float, years: float, vol: float) -> float:
    years = max(years, 1 / 365)
    d1 = (math.log(spot / strike) + (0.04 + vol * vol / 2) * years) / (vol * math.sqrt(years))
    d2 = d1 - vol * math.sqrt(years)
    disc = math.exp(-0.04 * years)
    if call:
        return spot * _norm_cdf(d1) - strike * disc * _norm_cdf(d2)
    return strike * disc * _norm_cdf(-d2) - spot * _norm_cdf(-d1)


def _contract(
    sym: FakeSymbol, expiry: date, strike: float, call: bool, now: datetime
) -> dict[str, Any]:
    years = (datetime.combine(expiry, time(20), UTC) - now).total_seconds() / (365 * 86400)
    moneyness = abs(math.log(strike / sym.price))
    vol = 0.32 + 0.6 * moneyness
    mid = max(_price(call, sym.price, strike, years, vol), 0.01)
    spread = max(0.01, round(mid * 0.04, 2))
    name = f"{sym.symbol.replace('-', '')}{expiry:%y%m%d}{'C' if call else 'P'}{int(strike * 1000):08d}"
    row: dict[str, Any] = {
        "contractSymbol": name,
        "strike": strike,
        "currency": sym.currency,
        "lastPrice": round(mid, 2),
        "change": round(mid * 0.03, 2),
        "percentChange": 3.0,
        "openInterest": int(5000 * math.exp(-8 * moneyness)),
        "bid": round(max(mid - spread / 2, 0), 2),
        "ask": round(mid + spread / 2, 2),
        "contractSize": "REGULAR",
        "expiration": _epoch(expiry),
        "lastTradeDate": int((now - timedelta(minutes=7)).timestamp()),
        "impliedVolatility": round(vol, 6),
        "inTheMoney": strike < sym.price if call else strike > sym.price,
    }
    volume = int(2000 * math.exp(-10 * moneyness))
    if volume:  # Yahoo leaves `volume` out when nothing traded (§5.2)
        row["volume"] = volume
    return row


def options_answer(fake: FakeYahoo, symbol: str, query: dict[str, list[str]]) -> dict[str, Any]:
    sym = fake.symbols.get(symbol)
    if sym is None:
        return {"optionChain": {"result": [], "error": None}}
    quote = fake.quote_row(sym)
    if sym.quote_type != "EQUITY" or sym.currency != "USD":
        return {
            "optionChain": {
                "result": [
                    {
                        "underlyingSymbol": sym.symbol,
                        "expirationDates": [],
                        "strikes": [],
                        "hasMiniOptions": False,
                        "quote": quote,
                        "options": [],
                    }
                ],
                "error": None,
            }
        }
    now = fake.current_time()
    listed = expiries(now)
    wanted = query.get("date", [""])[0]
    chosen = datetime.fromtimestamp(int(wanted), UTC).date() if wanted else listed[0]
    if chosen in listed:
        strikes = strikes_for(sym.price)
        calls = [_contract(sym, chosen, k, True, now) for k in strikes]
        puts = [_contract(sym, chosen, k, False, now) for k in strikes]
    else:  # a date Yahoo does not list: 200 with an empty chain (§5.4)
        strikes, calls, puts = [], [], []
    return {
        "optionChain": {
            "result": [
                {
                    "underlyingSymbol": sym.symbol,
                    "expirationDates": [_epoch(d) for d in listed],
                    "strikes": strikes,
                    "hasMiniOptions": False,
                    "quote": quote,
                    "options": [
                        {
                            "expirationDate": _epoch(chosen),
                            "hasMiniOptions": False,
                            "calls": calls,
                            "puts": puts,
                        }
                    ],
                }
            ],
            "error": None,
        }
    }


# ------------------------------------------------------------------------------ profiles

# Text fields; AAPL's are the recorded answer's (§6.2), the others are the fake's story.
PROFILES: dict[str, dict[str, Any]] = {
    "AAPL": {
        "address1": "One Apple Park Way",
        "city": "Cupertino",
        "state": "CA",
        "zip": "95014",
        "country": "United States",
        "website": "https://www.apple.com",
        "industry": "Consumer Electronics",
        "industryDisp": "Consumer Electronics",
        "sector": "Technology",
        "sectorDisp": "Technology",
        "longBusinessSummary": (
            "Apple Inc. designs, manufactures, and markets smartphones, personal computers, "
            "tablets, wearables, and accessories worldwide."
        ),
        "fullTimeEmployees": 150000,
    },
    "SPCX": {
        "city": "Starbase",
        "state": "TX",
        "country": "United States",
        "website": "https://www.spacex.com",
        "industry": "Aerospace & Defense",
        "industryDisp": "Aerospace & Defense",
        "sector": "Industrials",
        "sectorDisp": "Industrials",
        "longBusinessSummary": (
            "Space Exploration Technologies Corp. designs, manufactures and launches rockets "
            "and spacecraft, and runs the Starlink satellite network. It merged with xAI in "
            "2026 and agreed to buy Cursor."
        ),
        "fullTimeEmployees": 13000,
    },
}
# Dividend (rate per share a year) for the symbols that pay one.
DIVIDENDS = {"AAPL": 1.04, "MSFT": 3.64, "IBM": 6.72, "ORCL": 2.0, "AVGO": 2.36, "CRM": 1.66}


def _profile_text(sym: FakeSymbol) -> dict[str, Any]:
    known = PROFILES.get(sym.symbol)
    if known is not None:
        return dict(known)
    return {
        "city": "Austin",
        "state": "TX",
        "country": "United States",
        "website": f"https://www.{sym.symbol.lower().replace('-', '')}.example.com",
        "industry": "Software - Infrastructure",
        "industryDisp": "Software - Infrastructure",
        "sector": "Technology",
        "sectorDisp": "Technology",
        "longBusinessSummary": f"{sym.name} is a listed company in the fake's universe.",
        "fullTimeEmployees": 10000 + len(sym.symbol) * 1111,
    }


def summary_modules(fake: FakeYahoo, sym: FakeSymbol) -> dict[str, dict[str, Any]]:
    """Every quoteSummary module the fake has for a symbol, in Yahoo's order."""
    now = fake.current_time()
    zone_offset = -18000000
    modules: dict[str, dict[str, Any]] = {}
    equity = sym.quote_type == "EQUITY"
    shares = round((sym.market_cap or 0) / sym.price) if sym.market_cap else None
    if equity:
        modules["assetProfile"] = {**_profile_text(sym), "maxAge": 86400}
    detail: dict[str, Any] = {
        "maxAge": 1,
        "priceHint": 2,
        "previousClose": sym.previous_close,
        "regularMarketPreviousClose": sym.previous_close,
        "fiftyTwoWeekLow": round(sym.price * 0.71, 4),
        "fiftyTwoWeekHigh": round(sym.price * 1.18, 4),
        "currency": sym.currency,
        "tradeable": False,
    }
    if sym.market_cap:
        detail["marketCap"] = sym.market_cap
    if equity:
        eps = round(sym.price / 38.9, 2)
        detail.update(
            trailingPE=round(sym.price / eps, 4),
            forwardPE=round(sym.price / (eps * 1.3), 4),
            beta=1.2,
        )
        if sym.symbol in DIVIDENDS:
            rate = DIVIDENDS[sym.symbol]
            detail.update(dividendRate=rate, dividendYield=round(rate / sym.price, 4))
        modules["defaultKeyStatistics"] = {
            "maxAge": 1,
            "priceHint": 2,
            "forwardPE": round(sym.price / (eps * 1.29), 4),
            "sharesOutstanding": shares,
            "trailingEps": eps,
            "forwardEps": round(eps * 1.3, 2),
            "beta": 1.2,
        }
    modules["quoteType"] = {
        "exchange": sym.exchange,
        "quoteType": sym.quote_type,
        "symbol": sym.symbol,
        "underlyingSymbol": sym.symbol,
        "shortName": sym.name,
        "longName": sym.name,
        "timeZoneFullName": sym.tz,
        "gmtOffSetMilliseconds": zone_offset,
        "maxAge": 1,
    }
    modules["summaryDetail"] = detail
    if equity:
        modules["financialData"] = {
            "maxAge": 86400,
            "currentPrice": sym.price,
            "targetHighPrice": round(sym.price * 1.3, 2),
            "targetLowPrice": round(sym.price * 0.8, 2),
            "targetMeanPrice": round(sym.price * 1.1, 2),
            "targetMedianPrice": round(sym.price * 1.12, 2),
            "recommendationMean": 2.06522,
            "recommendationKey": "buy",
            "numberOfAnalystOpinions": 40,
            "financialCurrency": sym.currency,
        }
        modules["recommendationTrend"] = {
            "trend": [
                {"period": "0m", "strongBuy": 7, "buy": 21, "hold": 14, "sell": 2, "strongSell": 2},
                {
                    "period": "-1m",
                    "strongBuy": 8,
                    "buy": 21,
                    "hold": 13,
                    "sell": 2,
                    "strongSell": 2,
                },
            ],
            "maxAge": 86400,
        }
        start = datetime.combine(now.date() + timedelta(days=20), time(21), UTC)
        confirmed = sym.symbol == "SPCX"
        window = (
            [int(start.timestamp())]
            if confirmed
            else [
                int(start.timestamp()),
                int((start + timedelta(days=5)).timestamp()),
            ]
        )
        modules["calendarEvents"] = {
            "maxAge": 1,
            "earnings": {
                "earningsDate": window,
                "earningsCallDate": [int(start.timestamp())],
                "isEarningsDateEstimate": not confirmed,
                "earningsAverage": 1.61696,
                "earningsLow": 1.5,
                "earningsHigh": 1.67,
                "revenueAverage": 94076168920,
                "revenueLow": 89370000000,
                "revenueHigh": 95903397000,
            },
        }
    return modules


def quote_summary_answer(
    fake: FakeYahoo, symbol: str, query: dict[str, list[str]]
) -> tuple[int, dict[str, Any]]:
    sym = fake.symbols.get(symbol)
    if sym is None:
        return 404, {
            "quoteSummary": {
                "result": None,
                "error": {
                    "code": "Not Found",
                    "description": f"Quote not found for symbol: {symbol}",
                },
            }
        }
    wanted = [m for m in ",".join(query.get("modules", [""])).split(",") if m]
    have = summary_modules(fake, sym)
    found = {name: module for name, module in have.items() if name in wanted}
    if not found:
        return 404, {
            "quoteSummary": {
                "result": None,
                "error": {
                    "code": "Not Found",
                    "description": "No fundamentals data found for any of the summaryTypes="
                    + ",".join(wanted),
                },
            }
        }
    return 200, {"quoteSummary": {"result": [found], "error": None}}
