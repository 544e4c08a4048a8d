"""What the router may recognise, supplied by commands/ when the app is wired (typed, no bags).

bot/ never imports commands/: the feature side builds a `Vocabulary` (symbol aliases, deal
book names, claims, calculators with their parameters) and a tuple of `Intent`s (which
phrasing means which command, and how to write that command from what was recognised).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from bot.router.reading import Reading


@dataclass(frozen=True, slots=True)
class Company:
    """A company name from the deal book: the words people type and the part it plays."""

    name: str  # lower case, as it is matched and written into a command ("zt systems")
    role: Literal["target", "acquirer"]
    deal_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClaimTerms:
    """One orbital claim: its id, who made it (maker words) and the words that single it out."""

    id: str
    makers: frozenset[str]
    terms: frozenset[str]  # id parts, topics, figures ("5gw", "radiator", "633")


@dataclass(frozen=True, slots=True)
class CalcParam:
    """A calculator parameter that takes a quantity with a unit (`power=40MW`)."""

    name: str
    # True when a quantity as typed ("40MW", "60C", "$100/kg") is a valid value for it.
    accepts: Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Calculator:
    name: str  # the subcommand ("radiator")
    command: str  # the command path as typed ("orbital radiator")
    cues: Mapping[str, float]  # words or phrases that ask for it ("eclipse": 2.0)
    params: tuple[CalcParam, ...]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    symbols: Mapping[str, str]  # alias (lower case, may be several words) -> symbol
    companies: tuple[Company, ...] = ()
    claims: tuple[ClaimTerms, ...] = ()
    calculators: tuple[Calculator, ...] = ()
    chart_ranges: frozenset[str] = frozenset()  # the range values the chart command takes
    not_tickers: frozenset[str] = frozenset()  # capitalised words that are never tickers (AI, GW)


@dataclass(frozen=True, slots=True)
class Built:
    """One reading an intent makes of a question: the command, and how well it fits."""

    command: str
    fit: float = 0.0  # added to the intent's cue score (entities that fit well)
    why: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Intent:
    """A kind of question and the command that answers it.

    `cues` are words or phrases (matched on whole words) with a weight; `build` writes the
    command from what the router recognised: none when something it needs (a symbol, a deal)
    is not in the question, several when the question fits more than one (two claims). `base` is the score the intent has with no cue at
    all (a lone symbol reads as a quote).
    """

    name: str
    cues: Mapping[str, float]
    build: Callable[[Reading], Sequence[Built]]
    base: float = 0.0
    vetoes: Sequence[str] = field(default=())  # cues that rule this intent out


class VocabularyProvider(Protocol):
    """What commands/ hands the router at wiring time."""

    def vocabulary(self) -> Vocabulary: ...

    def intents(self) -> tuple[Intent, ...]: ...

    def help_text(self) -> str:
        """The short "I can answer questions about ..." answer for a question not understood."""
        ...
