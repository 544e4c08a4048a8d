"""What the router recognised in one question: words, entities, quantities, a range."""

from __future__ import annotations

from dataclasses import dataclass

from bot.router.vocabulary import Calculator, Company


@dataclass(frozen=True, slots=True)
class SymbolHit:
    text: str  # as typed ("amazon", "$RKLB")
    symbol: str  # the Yahoo symbol ("AMZN")
    start: int  # word index, for the order of mention
    via: str  # "alias", "ticker" (typed as one) or "cashtag"


@dataclass(frozen=True, slots=True)
class CompanyHit:
    company: Company
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Quantity:
    text: str  # number and unit as a command takes it ("40MW", "$100/kg")
    start: int  # character offset, for the order of mention


@dataclass(frozen=True, slots=True)
class ClaimHit:
    id: str
    score: float  # idf-weighted overlap of the question's words with the claim's terms
    distinctive: bool  # matched a term beyond who made it


@dataclass(frozen=True, slots=True)
class Reading:
    question: str
    words: tuple[str, ...]  # lower case, possessives dropped
    padded: str  # " w1 w2 ... " for whole-word phrase tests
    symbols: tuple[SymbolHit, ...] = ()
    companies: tuple[CompanyHit, ...] = ()
    years: tuple[int, ...] = ()
    quantities: tuple[Quantity, ...] = ()
    chart_range: str | None = None
    range_strength: float = 0.0
    claims: tuple[ClaimHit, ...] = ()  # best first
    makers: tuple[str, ...] = ()  # claim makers named ("starcloud", "musk")
    calculators: tuple[tuple[Calculator, float], ...] = ()  # by cue score, best first

    def has(self, phrase: str) -> bool:
        """True when the words hold `phrase` (one or more whole words)."""
        return f" {phrase} " in self.padded

    def any(self, *phrases: str) -> bool:
        return any(self.has(p) for p in phrases)

    def targets(self) -> list[CompanyHit]:
        return [c for c in self.companies if c.company.role == "target"]

    def acquirers(self) -> list[CompanyHit]:
        return [c for c in self.companies if c.company.role == "acquirer"]

    def symbol_list(self) -> list[str]:
        """Symbols in order of mention, each once."""
        return list(dict.fromkeys(h.symbol for h in self.symbols))
