"""The question router: a question in, exactly one command (or up to three candidates) out.

Deterministic and explainable: it recognises only what the vocabulary names (symbols and
their aliases, deal-book companies, claims, calculators and their parameters), scores each
intent by the phrasing cues present plus how well the recognised entities fit, and reads the
question as the best intent's command only when that one is clearly ahead. It never writes a
symbol, a name or a number into a command that was not in the question.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.router import words as lex
from bot.router.reading import ClaimHit, CompanyHit, Reading, SymbolHit
from bot.router.vocabulary import Calculator, Company, Intent, Vocabulary
from bot.text import MAX_INPUT_CHARS

MIN_SCORE = 1.0  # below this nothing was really asked for
MARGIN = 0.6  # the best reading must lead the next different one by this much
MAX_CANDIDATES = 3

# Typed in capitals, a ticker: AMZN, BRK.B, ^GSPC, 7203.T.
_TICKER = re.compile(r"^\^?[A-Z][A-Z0-9]{1,4}(?:[.\-][A-Z]{1,2})?$|^\d{4}\.[A-Z]$")
_CASHTAG = re.compile(r"^\$[A-Za-z][A-Za-z0-9]{0,5}(?:[.\-][A-Za-z]{1,2})?$")
_NUMBER_UNIT = re.compile(r"(\d+(?:\.\d+)?)([a-z/%]+)")


@dataclass(frozen=True, slots=True)
class Candidate:
    command: str
    intent: str
    score: float
    why: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Routing:
    """How a question was read: `command` when one reading is clear, else `candidates`."""

    question: str
    command: str | None
    candidates: tuple[Candidate, ...]
    reading: Reading

    @property
    def unsure(self) -> bool:
        return self.command is None and bool(self.candidates)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


class Router:
    """Compiled once from a vocabulary and the intents; `route` is pure and fast."""

    def __init__(self, vocabulary: Vocabulary, intents: Iterable[Intent]) -> None:
        self.vocabulary = vocabulary
        self.intents = tuple(intents)
        self._aliases = {k: v for k, v in vocabulary.symbols.items() if k}
        self._alias_words = max((len(k.split()) for k in self._aliases), default=1)
        self._symbol_values = {v.lower(): v for v in vocabulary.symbols.values()}
        self._companies: dict[str, list[Company]] = defaultdict(list)
        for company in vocabulary.companies:
            if len(company.name) >= 3:
                self._companies[company.name].append(company)
        self._company_words = max((len(k.split()) for k in self._companies), default=1)
        index: dict[str, set[str]] = defaultdict(set)
        for claim in vocabulary.claims:
            for term in claim.terms | claim.makers:
                index[term].add(claim.id)
        count = max(len(vocabulary.claims), 1)
        self._claim_index = {t: frozenset(ids) for t, ids in index.items()}
        self._idf = {t: math.log(1 + count / len(ids)) for t, ids in index.items()}
        self._claims = {c.id: c for c in vocabulary.claims}
        self._makers = frozenset(m for c in vocabulary.claims for m in c.makers)

    # ------------------------------------------------------------------ reading

    def read(self, question: str) -> Reading:
        """Everything the vocabulary recognises in `question`."""
        question = question[:MAX_INPUT_CHARS]
        words, raw = lex.words_of(question)
        padded = " " + " ".join(words) + " "
        claims, makers = self._claims_in(words)
        rng, strength = lex.chart_range(words, padded, self.vocabulary.chart_ranges)
        companies = self._companies_in(words)
        # "ZT" in "ZT Systems" is part of a name, not a ticker typed on its own.
        named = {i for c in companies if c.end - c.start > 1 for i in range(c.start, c.end)}
        symbols = [
            s for s in self._symbols_in(words, raw) if s.via == "alias" or s.start not in named
        ]
        return Reading(
            question=question,
            words=tuple(words),
            padded=padded,
            symbols=tuple(symbols),
            companies=tuple(companies),
            years=tuple(lex.years(words)),
            quantities=tuple(lex.quantities(question)),
            chart_range=rng,
            range_strength=strength,
            claims=claims,
            makers=makers,
            calculators=self._calculators_in(padded),
        )

    def _symbols_in(self, words: list[str], raw: list[str]) -> list[SymbolHit]:
        out: list[SymbolHit] = []
        i = 0
        while i < len(words):
            taken = 0
            for n in range(min(self._alias_words, len(words) - i), 0, -1):
                phrase = " ".join(words[i : i + n]).lstrip("$")
                symbol = self._aliases.get(phrase)
                if symbol:
                    out.append(SymbolHit(" ".join(raw[i : i + n]), symbol, i, "alias"))
                    taken = n
                    break
            if taken:
                i += taken
                continue
            word = raw[i]
            if _CASHTAG.match(word):
                out.append(SymbolHit(word, word[1:].upper().replace(".", "-"), i, "cashtag"))
            elif _TICKER.match(word) and word not in self.vocabulary.not_tickers:
                out.append(SymbolHit(word, _yahoo(word), i, "ticker"))
            elif len(word) >= 3 and word.lower() in self._symbol_values:
                out.append(SymbolHit(word, self._symbol_values[word.lower()], i, "ticker"))
            i += 1
        return out

    def _companies_in(self, words: list[str]) -> list[CompanyHit]:
        out: list[CompanyHit] = []
        i = 0
        while i < len(words):
            for n in range(min(self._company_words, len(words) - i), 0, -1):
                found = self._companies.get(" ".join(words[i : i + n]))
                if found:
                    out.extend(CompanyHit(c, i, i + n) for c in found)
                    i += n - 1
                    break
            i += 1
        return out

    def _claims_in(self, words: list[str]) -> tuple[tuple[ClaimHit, ...], tuple[str, ...]]:
        terms = set(words)
        for word in words:  # "$200/kg" -> 200, kg; "5gw" stays
            terms.update(p for p in re.split(r"[^a-z0-9]+", word) if p)
            match = _NUMBER_UNIT.fullmatch(word)
            if match:
                terms.update(match.groups())
        for a, b in itertools.pairwise(words):  # "5 gw" -> 5gw
            if a.replace(".", "").isdigit() and b.isalpha() and len(b) <= 3:
                terms.add(a + b)
        makers = tuple(m for m in dict.fromkeys(words) if m in self._makers)
        scores: dict[str, float] = defaultdict(float)
        distinctive: set[str] = set()
        for term in terms:
            for claim_id in self._claim_index.get(term, ()):
                scores[claim_id] += self._idf[term]
                if term not in self._claims[claim_id].makers:
                    distinctive.add(claim_id)
        hits = sorted(
            (ClaimHit(cid, score, cid in distinctive) for cid, score in scores.items()),
            key=lambda h: (-h.score, h.id),
        )
        return tuple(hits[:5]), makers

    def _calculators_in(self, padded: str) -> tuple[tuple[Calculator, float], ...]:
        scored = []
        for calc in self.vocabulary.calculators:
            score = sum(w for cue, w in calc.cues.items() if f" {cue} " in padded)
            scored.append((calc, score))
        scored.sort(key=lambda pair: -pair[1])
        return tuple(scored)

    # ------------------------------------------------------------------ routing

    def route(self, question: str) -> Routing:
        """Read `question` as one command, or say which commands it may mean."""
        reading = self.read(question)
        best: dict[str, Candidate] = {}
        for intent in self.intents:
            if any(reading.has(v) for v in intent.vetoes):
                continue
            readings = intent.build(reading)
            if not readings:
                continue
            cues = [c for c in intent.cues if reading.has(c)]
            cue_score = intent.base + sum(intent.cues[c] for c in cues)
            for built in readings:
                why = (*built.why, *(f"'{c}'" for c in cues))
                score = round(cue_score + built.fit, 3)
                candidate = Candidate(built.command, intent.name, score, why)
                if built.command not in best or best[built.command].score < candidate.score:
                    best[built.command] = candidate
        ranked = sorted(best.values(), key=lambda c: (-c.score, c.command))
        ranked = [c for c in ranked if c.score >= MIN_SCORE / 2]
        top = tuple(ranked[:MAX_CANDIDATES])
        if not top or top[0].score < MIN_SCORE:
            return Routing(reading.question, None, top if top else (), reading)
        if len(top) > 1 and top[0].score - top[1].score < MARGIN:
            return Routing(reading.question, None, top, reading)
        return Routing(reading.question, top[0].command, top, reading)


def _yahoo(ticker: str) -> str:
    """BRK.B -> BRK-B (share classes); 7203.T and ^GSPC as they are."""
    match = re.match(r"^([A-Z]{1,5})\.([A-Z])$", ticker)
    if match and match.group(2) not in {"L", "T", "V", "F"}:
        return f"{match.group(1)}-{match.group(2)}"
    return ticker
