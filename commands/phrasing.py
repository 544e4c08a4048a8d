"""What the question router knows: the vocabulary of this bot's commands and data, and which
phrasing means which command (bot/router is generic; this is the OrbitDesk side).

`Phrasing(services)` is handed to the router when the app is wired: symbol aliases and the
deal book's companies, the orbital claims and who made them, the calculators and their
parameters (from the registry's Param metadata), the chart's ranges, and one `Intent` per
kind of question.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from bot.context import FeatureData
from bot.registry import Registry
from bot.router.reading import Reading
from bot.router.vocabulary import (
    Built,
    CalcParam,
    Calculator,
    ClaimTerms,
    Company,
    Intent,
    Vocabulary,
)
from bot.router.words import words_of
from commands.acquisitions.deal_book import DEAL_BOOK, Party
from commands.orbital.claims import CLAIM_BOOK

# Capitalised words that are never tickers in a question about this bot's subjects.
NOT_TICKERS = frozenset(
    [
        "AI",
        "CEO",
        "CFO",
        "CTO",
        "GW",
        "MW",
        "KW",
        "TW",
        "US",
        "USA",
        "UK",
        "EU",
        "USD",
        "IPO",
        "ETF",
        "FCC",
        "LEO",
        "GEO",
        "MEO",
        "TPU",
        "GPU",
        "CPU",
        "ISS",
        "ARR",
        "IV",
        "PE",
        "EPS",
        "OK",
        "AM",
        "PM",
        "ET",
        "EST",
        "UTC",
        "NYSE",
        "SEC",
        "FTC",
        "DOJ",
        "API",
        "LLM",
        "ML",
        "RAM",
        "WSJ",
        "CNBC",
        "FYI",
        "ASAP",
        "LOL",
        "YTD",
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "H1",
        "H2",
        "PV",
        "IR",
        "BOL",
        "EOL",
        "SSO",
        "ODC",
        "ODCS",
        "M&A",
    ]
)

# Which words ask for which calculator (the calculators themselves come from the registry).
CALCULATOR_CUES: dict[str, dict[str, float]] = {
    "radiator": {"radiator": 2.5, "radiators": 2.5, "cooling": 1.5, "heat": 1.0, "reject": 1.0},
    "solar": {"solar": 2.0, "array": 1.0, "panel": 1.5, "panels": 1.5, "pv": 1.5},
    "orbit": {
        "eclipse": 3.0,
        "period": 2.0,
        "light delay": 2.0,
        "delay": 1.5,
        "latency": 1.5,
        "sunlit": 1.5,
        "shadow": 1.5,
        "altitude": 1.0,
        "orbit": 1.0,
    },
    "launch": {"launch": 2.0, "launches": 2.0, "launching": 2.0, "cost": 0.5, "starship": 0.5},
    "learning": {"wright": 3.0, "wrights": 3.0, "learning": 3.0, "learning curve": 1.0},
    "link": {"laser": 2.0, "link": 2.0, "optical": 1.5, "budget": 0.5, "received power": 1.5},
    "datacenter": {
        "data center": 2.0,
        "data centre": 2.0,
        "datacenter": 2.0,
        "datacentre": 2.0,
        "size": 0.5,
        "sizing": 0.5,
        "end to end": 1.0,
    },
}

_MAKER_STOP = frozenset(
    [
        "the",
        "and",
        "a",
        "of",
        "by",
        "on",
        "in",
        "to",
        "with",
        "then",
        "via",
        "reported",
        "project",
        "white",
        "paper",
        "ceo",
        "interview",
        "podcast",
        "blog",
        "memo",
        "reply",
        "summit",
        "filing",
        "x",
        "research",
    ]
)
_TERM_STOP = frozenset(
    ["per", "in", "of", "the", "a", "to", "all", "new", "is", "by", "on", "and", "at"]
)
_STATUS_WORDS = ("contradicted", "contested", "demonstrated")


def _words(text: str) -> list[str]:
    return words_of(text)[0]


def _name(text: str) -> str:
    return " ".join(_words(text))


def _accepts(parse: Callable[[str], Any]) -> Callable[[str], bool]:
    @lru_cache(maxsize=256)
    def accepts(text: str) -> bool:
        try:
            parse(text)
        except (ValueError, TypeError):
            return False
        return True

    return accepts


@dataclass
class Phrasing:
    """The router's vocabulary and intents from the app's registry, aliases and data sets.

    A VocabularyProvider: read when the router first compiles, after the data is loaded.
    """

    registry: Registry
    aliases: Mapping[str, str]
    data: FeatureData

    def vocabulary(self) -> Vocabulary:
        registry = self.registry
        deals = self.data.get(DEAL_BOOK).deals
        symbols: dict[str, str] = {}
        companies: dict[tuple[str, str], list[str]] = defaultdict(list)
        for deal in deals:
            for party, role in ((deal.acquirer, "acquirer"), (deal.target, "target")):
                for name in _party_names(party):
                    companies[(name, role)].append(deal.id)
                    if party.ticker:
                        symbols.setdefault(name, party.ticker)
        symbols.update(self.aliases)  # the alias files win
        claims = []
        for item in self.data.get(CLAIM_BOOK).claims:
            c = item.claim
            who = re.sub(r"\([^)]*\)", " ", c.who)
            makers = frozenset(w for w in _words(who) if w not in _MAKER_STOP and len(w) > 2)
            terms = {p for p in c.id.split("-") if p not in _TERM_STOP}
            terms.update(w for t in c.topics for w in _words(t))
            claims.append(ClaimTerms(c.id, makers, frozenset(terms - _TERM_STOP)))
        calculators = []
        for spec in registry.subcommands("orbital"):
            cues = CALCULATOR_CUES.get(spec.path[1])
            if cues is None:
                continue
            params = tuple(
                CalcParam(p.name, _accepts(p.parse)) for p in spec.params if p.parse is not None
            )
            calculators.append(Calculator(spec.path[1], spec.name, cues, params))
        chart = registry.get(("chart",))
        ranges = chart.param("range") if chart else None
        typed_role: dict[str, Literal["target", "acquirer"]] = {
            "target": "target",
            "acquirer": "acquirer",
        }
        return Vocabulary(
            symbols=symbols,
            companies=tuple(
                Company(name, typed_role[role], tuple(dict.fromkeys(ids)))
                for (name, role), ids in companies.items()
            ),
            claims=tuple(claims),
            calculators=tuple(calculators),
            chart_ranges=frozenset(ranges.choices if ranges else ()),
            not_tickers=NOT_TICKERS,
        )

    def intents(self) -> tuple[Intent, ...]:
        return INTENTS

    def help_text(self) -> str:
        return (
            "I can answer questions about stock prices and charts (what's SpaceX trading "
            "at? a 1 year chart of nvidia), news, company profiles, earnings, your watchlist, the "
            "day's movers, options, acquisitions (did the Cursor deal close? what has SpaceX "
            "bought?), orbital data-center claims (is Starcloud's 5 GW claim right?) and the "
            "orbital calculators (radiator area for 40 MW at 60C). `help` lists every command."
        )


def _party_names(party: Party) -> list[str]:
    names = [_name(party.name), *(_name(a) for a in party.aliases)]
    if "(" in party.name:  # "Alphabet (Google)": also "alphabet"
        names.append(_name(party.name.split("(")[0]))
    return [n for n in dict.fromkeys(names) if n]


# ---------------------------------------------------------------------------- intents


def _one(command: str, fit: float = 0.0, *why: str) -> list[Built]:
    return [Built(command, fit, why)]


def _quote(r: Reading) -> list[Built]:
    symbols = r.symbol_list()[:10]
    return _one("quote " + " ".join(symbols), 0.5) if symbols else []


def _chart(r: Reading) -> list[Built]:
    symbols = r.symbol_list()
    if not symbols:
        return []
    kind = "candle" if r.any("candle", "candles", "candlestick", "candlesticks") else None
    fit = r.range_strength
    if len(symbols) > 1:  # compared: range and type are then positional before the others
        rest = " ".join(symbols[1:5])
        return _one(f"chart {symbols[0]} {r.chart_range or '1d'} {kind or 'line'} {rest}", fit)
    parts = ["chart", symbols[0], *(p for p in (r.chart_range, kind) if p)]
    if kind and not r.chart_range:
        parts.insert(2, "1d")
    return _one(" ".join(parts), fit)


def _news(r: Reading) -> list[Built]:
    symbols = r.symbol_list()[:3]
    if symbols:
        return _one("news " + " ".join(symbols), 0.3)
    return _one("news", -0.5)


def _single_symbol(command: str) -> Callable[[Reading], list[Built]]:
    def build(r: Reading) -> list[Built]:
        symbols = r.symbol_list()
        return _one(f"{command} {symbols[0]}", 0.3) if symbols else []

    return build


def _options(r: Reading) -> list[Built]:
    symbols = r.symbol_list()
    if not symbols:
        return []
    side = " calls" if r.any("calls", "call") else " puts" if r.any("puts", "put") else ""
    return _one(f"options {symbols[0]}{side}", 0.3)


def _movers(r: Reading) -> list[Built]:
    kind = ""
    if r.any("losers", "loser", "decliners", "worst", "down the most", "falling the most"):
        kind = " losers"
    elif r.any("active", "most traded", "volume", "busiest"):
        kind = " active"
    return _one("movers" + kind, -1.0 if r.symbols else 0.0)


_IMPACT = (
    "react",
    "reacted",
    "reaction",
    "impact",
    "move",
    "moved",
    "happened to",
    "happen to",
    "effect on",
    "share price",
    "stock do",
    "shares do",
)


def _deal(r: Reading) -> list[Built]:
    targets = r.targets()
    if not targets:
        return []
    acquirers = {c.company.name for c in r.acquirers()}
    plain = [t for t in targets if t.company.name not in acquirers]
    target = (plain or targets)[0].company
    impact = " impact" if r.any(*_IMPACT) else ""
    fit = 1.0 + (0.5 if impact else 0.0)
    return _one(f"acquisition {target.name}{impact}", fit, f"deal target '{target.name}'")


def _deals(r: Reading) -> list[Built]:
    acquirers = r.acquirers()
    year = f" {r.years[0]}" if r.years else ""
    if acquirers:
        name = acquirers[0].company.name
        targets = {c.company.name for c in r.targets()}
        fit = 0.3 if name in targets and r.any("deal", "merger") else 1.0
        return _one(f"acquisitions {name}{year}", fit, f"acquirer '{name}'")
    if year:
        return _one(f"acquisitions{year}", 0.5)
    return _one("acquisitions", -0.5)


_CLAIM_TALK = ("claim", "claims", "claimed", "say", "said", "says", "right", "true", "check")


def _claim(r: Reading) -> list[Built]:
    hits = [h for h in r.claims if h.distinctive][:2]
    # Words shared with a claim's id mean little unless the question is about a claim.
    names = {h.text.lower() for h in r.symbols} | {c.company.name for c in r.companies}
    weight = 1.0 if set(r.makers) - names or r.any(*_CLAIM_TALK) else 0.25
    if not hits:
        return []
    top = hits[0].score
    # The best-matching claim fits fully; a runner-up only as far as its words match as well.
    return [
        Built(
            f"orbital claim {h.id}",
            weight * min(top, 6.0) / 6 * (1.0 + 1.5 * (h.score / top) ** 2),
            (f"claim {h.id}",),
        )
        for h in hits
    ]


def _claims(r: Reading) -> list[Built]:
    query = next((w for w in _STATUS_WORDS if r.has(w)), None)
    query = query or (r.makers[0] if r.makers else None)
    if query is None:
        calc = r.calculators[0] if r.calculators and r.calculators[0][1] > 0 else None
        query = calc[0].name if calc else None
    return _one(f"orbital claims {query}" if query else "orbital claims", 0.5 if query else 0.0)


def _calculator(r: Reading) -> list[Built]:
    cued = [(c, s) for c, s in r.calculators if s > 0]
    pool = cued or [(c, 0.0) for c, _ in r.calculators] if r.quantities else cued
    out = []
    for calc, cue in pool:
        filled: list[str] = []
        used: set[str] = set()
        for q in r.quantities:
            param = next((p for p in calc.params if p.name not in used and p.accepts(q.text)), None)
            if param is not None:
                used.add(param.name)
                filled.append(f"{param.name}={q.text}")
        if not cue and not filled:
            continue
        fit = cue + 0.7 * len(filled) if cue else 0.5 * len(filled)
        out.append(Built(" ".join([calc.command, *filled]), fit, (f"calculator {calc.name}",)))
    return out


def _earnings(r: Reading) -> list[Built]:
    symbols = r.symbol_list()[:5]
    if symbols:
        return _one("earnings " + " ".join(symbols), 0.5)
    return _one("earnings week", 0.0) if r.any("this week", "week") else []


def _watchlist(r: Reading) -> list[Built]:
    symbols = r.symbol_list()[:10]
    if symbols and r.any("add", "put"):
        return _one("watchlist add " + " ".join(symbols), 0.5)
    if symbols and r.any("remove", "drop", "take", "delete"):
        return _one("watchlist remove " + " ".join(symbols), 0.5)
    if r.any("whats on", "what is on", "show", "list", "which"):
        return _one("watchlist show")
    return _one("watchlist quote")


def _fixed(command: str) -> Callable[[Reading], Sequence[Built]]:
    return lambda r: _one(command)


INTENTS: tuple[Intent, ...] = (
    Intent(
        "price",
        {
            "price": 1.0,
            "prices": 1.0,
            "quote": 1.5,
            "trading": 1.0,
            "trading at": 0.5,
            "trade": 0.5,
            "worth": 0.5,
            "how is": 0.5,
            "how are": 0.5,
            "doing": 0.5,
            "how much is": 0.5,
            "where is": 0.5,
            "share": 0.3,
            "shares": 0.3,
            "stock": 0.3,
            "up": 0.3,
            "down": 0.2,
            "today": 0.3,
            "right now": 0.3,
            "now": 0.2,
        },
        _quote,
        base=0.6,
        vetoes=("calls", "puts", "options", "option chain", "strikes"),
    ),
    Intent(
        "chart",
        {
            "chart": 2.0,
            "graph": 2.0,
            "plot": 2.0,
            "history": 1.2,
            "performance": 1.0,
            "trend": 1.0,
            "show me": 0.4,
            "over": 0.3,
            "candle": 1.5,
            "candlestick": 1.5,
        },
        _chart,
    ),
    Intent(
        "news",
        {
            "news": 2.5,
            "headlines": 2.5,
            "headline": 2.5,
            "stories": 1.5,
            "articles": 1.5,
            "why is": 1.5,
            "why are": 1.5,
            "why did": 1.5,
            "happening": 1.0,
            "going on": 1.0,
            "falling": 0.6,
            "dropping": 0.6,
            "crashing": 0.6,
            "soaring": 0.6,
            "surging": 0.6,
            "moving": 0.6,
        },
        _news,
    ),
    Intent(
        "profile",
        {
            "profile": 2.5,
            "what does": 1.2,
            "do": 0.3,
            "tell me about": 1.2,
            "about": 0.3,
            "company": 0.8,
            "market cap": 2.0,
            "market capitalization": 2.0,
            "earnings": 0.5,  # the earnings command reads these (below)
            "analyst": 2.0,
            "analysts": 2.0,
            "price target": 1.5,
            "target": 0.5,
            "sector": 1.5,
            "industry": 1.5,
            "ceo": 1.5,
            "employees": 1.5,
            "dividend": 1.5,
            "pe ratio": 1.5,
            "valuation": 1.0,
            "revenue": 1.5,
            "business": 1.0,
        },
        _single_symbol("profile"),
    ),
    Intent(
        "movers",
        {
            "movers": 2.5,
            "gainers": 2.5,
            "losers": 2.5,
            "most active": 2.5,
            "winners": 2.0,
            "biggest": 1.0,
            "top stocks": 1.5,
            "best performing": 1.5,
            "worst performing": 1.5,
            "up the most": 1.5,
            "down the most": 1.5,
        },
        _movers,
    ),
    Intent(
        "options",
        {
            "options": 2.5,
            "option": 2.5,
            "chain": 1.0,
            "calls": 2.0,
            "puts": 2.0,
            "call": 0.8,
            "put": 0.8,
            "strikes": 2.0,
            "strike": 2.0,
            "expiry": 1.5,
            "expiration": 1.5,
            "implied volatility": 2.0,
        },
        _options,
    ),
    Intent(
        "deal",
        {
            "deal": 1.5,
            "acquisition": 1.5,
            "merger": 1.5,
            "takeover": 1.5,
            "acquire": 1.0,
            "acquired": 1.0,
            "buy": 0.8,
            "bought": 0.8,
            "buying": 1.0,
            "pay for": 1.5,
            "pay": 1.0,
            "paid": 1.5,
            "close": 1.5,
            "closed": 1.5,
            "closing": 1.0,
            "go through": 1.5,
            "done": 0.8,
            "complete": 0.8,
            "completed": 1.0,
            "status": 1.0,
            "how much": 0.5,
            "price": 0.3,
            "value": 0.5,
            "valued": 0.8,
            "worth": 0.3,
            "who bought": 1.5,
            "who acquired": 1.5,
            "terms": 1.0,
            "approved": 1.0,
        },
        _deal,
    ),
    Intent(
        "acquisitions",
        {
            "acquisitions": 2.0,
            "deals": 1.5,
            "what has": 1.0,
            "what did": 0.5,
            "bought": 1.0,
            "buy": 1.0,
            "buys": 1.0,
            "purchases": 1.5,
            "list": 0.5,
            "companies": 1.0,
            "how many": 0.5,
            "shopping": 1.0,
        },
        _deals,
    ),
    Intent(
        "claim check",
        {
            "claim": 1.5,
            "right": 1.0,
            "true": 1.0,
            "correct": 1.0,
            "accurate": 1.0,
            "realistic": 1.0,
            "hold up": 1.5,
            "add up": 1.5,
            "check": 1.0,
            "verify": 1.2,
            "plausible": 1.0,
            "legit": 1.0,
            "say": 0.8,
            "said": 0.8,
            "says": 0.8,
        },
        _claim,
    ),
    Intent(
        "claims",
        {
            "claims": 2.0,
            "what claims": 1.0,
            "which claims": 1.0,
            "contradicted": 1.5,
            "contested": 1.5,
            "demonstrated": 1.5,
            "list": 0.5,
            "made": 0.3,
        },
        _claims,
    ),
    Intent("calculator", {"how big": 0.3, "how much": 0.2, "how long": 0.3}, _calculator),
    Intent(
        "help",
        {
            "help": 2.5,
            "what can you do": 3.0,
            "what do you do": 3.0,
            "what can i ask": 3.0,
            "how do i use": 2.0,
            "commands": 1.5,
        },
        _fixed("help"),
    ),
    Intent(
        "earnings",
        {
            "earnings": 3.0,
            "report": 0.8,
            "reports": 0.8,
            "eps": 2.0,
            "surprise": 1.5,
            "estimates": 1.5,
            "when does": 0.3,
        },
        _earnings,
    ),
    Intent(
        "watchlist",
        {
            "watchlist": 3.0,
            "watch list": 3.0,
            "my list": 1.5,
            "my stocks": 1.5,
            "my portfolio": 1.0,
        },
        _watchlist,
    ),
    Intent(
        "deal watch",
        {"deal watch": 3.0, "dealwatch": 3.0, "sec filings": 2.0, "edgar": 2.0, "filings": 1.5},
        _fixed("dealwatch status"),
    ),
    Intent(
        "schedules",
        {"schedule": 2.0, "schedules": 2.5, "scheduled": 2.0, "daily post": 1.5},
        _fixed("schedule list"),
    ),
    Intent(
        "alerts",
        {"alert": 2.0, "alerts": 2.5, "price alert": 0.5, "notify": 1.0},
        _fixed("alert list"),
    ),
)
