"""The acquisitions deal book: schema, loading with precise errors, user files, and search.

The bundled `commands/data/acquisitions.yaml` must validate (a bad entry there is a bug and
stops the bot at start-up, naming the file, entry and field). Files the operator adds as
`DATA_DIR/acquisitions*.yaml` are merged over it, a deal with the same id replacing the
bundled one; a user file with a bad entry is skipped as a whole, the error is logged and
kept in `DealBook.problems` (shown by `orbitdesk doctor`), and the bundled deals still load.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from bot.context import Context, DataKey
from commands._shared.yaml_entries import DataProblem, load_entries, load_merged, normalise

BUNDLED_NAME = "acquisitions.yaml"
USER_GLOB = "acquisitions*.yaml"


class ValueKind(StrEnum):
    """What a headline number is (research/acquisitions.md, "Value type")."""

    CASH = "cash"
    STOCK = "stock"
    CASH_AND_STOCK = "cash-and-stock"
    ALL_STOCK_MERGER = "all-stock-merger"
    COMBINED_VALUATION = "combined-valuation"
    STAKE = "stake"
    LICENCE = "licence-acqui-hire"
    ASSET_PURCHASE = "asset-purchase"
    UNSPECIFIED = "unspecified"  # a reported figure whose form (cash/stock) is not reported
    UNDISCLOSED = "undisclosed"


class Status(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    TERMINATED = "terminated"


Precision = Literal["day", "month", "year"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Party(_Strict):
    """An acquirer or a target."""

    name: str = Field(min_length=1, max_length=80)
    ticker: str | None = Field(None, pattern=r"^[A-Z0-9.^=-]{1,12}$")
    aliases: tuple[str, ...] = ()
    description: str | None = Field(None, max_length=200)
    # First trading day, for a company listed after some of its deals (SpaceX: 2026-06-12).
    listed_since: date | None = None


class Value(_Strict):
    """The headline value: the number (US dollars, None if undisclosed), its kind, its text."""

    usd: float | None = Field(None, ge=0)
    kind: ValueKind
    text: str = Field(min_length=1, max_length=300)

    @model_validator(mode="after")
    def _undisclosed_has_no_number(self) -> Value:
        if self.kind is ValueKind.UNDISCLOSED and self.usd is not None:
            raise ValueError("an undisclosed value has no usd figure")
        return self


class Event(_Strict):
    """Another dated step of a deal (an option, a definitive agreement, a termination)."""

    date: date
    what: str = Field(min_length=1, max_length=200)


class Deal(_Strict):
    """One deal, every figure with its sources and how well it is verified."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,60}$")
    acquirer: Party
    target: Party
    announced: date
    announced_precision: Precision = "day"
    status: Status
    closed: date | None = None
    closed_precision: Precision = "day"
    value: Value
    sources: tuple[HttpUrl, ...] = Field(min_length=1)
    verification: Literal["confirmed", "unverified"]
    unverified: tuple[str, ...] = ()  # which fields could not be confirmed
    note: str | None = Field(None, max_length=900)
    events: tuple[Event, ...] = ()
    as_of: date | None = None  # when the status was last checked; the file's as_of if unset

    @model_validator(mode="after")
    def _consistent(self) -> Deal:
        if self.target.description is None:
            raise ValueError("target.description: a one-line description is required")
        if self.closed is not None:
            if self.status is Status.PENDING:
                raise ValueError("closed: a pending deal has no close date")
            if _floor(self.closed, self.closed_precision) < _floor(
                self.announced, self.closed_precision
            ):
                raise ValueError("closed: before the announcement")
        if self.verification == "unverified" and not self.unverified:
            raise ValueError("unverified: name the fields that could not be confirmed")
        if self.verification == "confirmed" and self.unverified:
            raise ValueError("verification: 'confirmed' but some fields are listed unverified")
        return self

    # ---------------------------------------------------------------- display helpers

    @property
    def title(self) -> str:
        return f"{self.acquirer.name} → {self.target.name}"

    @property
    def announced_text(self) -> str:
        return _date_text(self.announced, self.announced_precision)

    @property
    def closed_text(self) -> str:
        if self.closed is None:
            return self.status.value
        when = _date_text(self.closed, self.closed_precision)
        return f"{self.status.value} {when}"

    @property
    def source_urls(self) -> list[str]:
        return [str(u) for u in self.sources]


def _floor(value: date, precision: Precision) -> date:
    if precision == "year":
        return date(value.year, 1, 1)
    if precision == "month":
        return date(value.year, value.month, 1)
    return value


def _date_text(value: date, precision: Precision) -> str:
    if precision == "year":
        return f"{value.year}"
    if precision == "month":
        return value.strftime("%b %Y")
    return value.isoformat()


class DealFile(_Strict):
    as_of: date
    deals: list[dict[str, Any]]


def load_deal_file(path: Path) -> list[Deal]:
    """Every deal in one file, or a DataFileError naming each bad entry and field."""
    return load_entries(
        path,
        DealFile,
        "deal",
        entries=lambda content: content.deals,
        build=lambda content, item: Deal.model_validate({"as_of": content.as_of, **item}),
        key=lambda deal: deal.id,
    )


@dataclass(frozen=True)
class DealBook:
    """All deals, newest first, plus the problems met while loading user files."""

    deals: tuple[Deal, ...]
    problems: tuple[DataProblem, ...] = ()
    files: tuple[str, ...] = ()
    _by_id: Mapping[str, Deal] = field(default_factory=dict, repr=False)

    @classmethod
    def of(
        cls,
        deals: Iterable[Deal],
        problems: Iterable[DataProblem] = (),
        files: Iterable[str] = (),
    ) -> DealBook:
        ordered = tuple(sorted(deals, key=lambda d: (d.announced, d.id), reverse=True))
        return cls(ordered, tuple(problems), tuple(files), {d.id: d for d in ordered})

    def get(self, deal_id: str) -> Deal | None:
        return self._by_id.get(deal_id)

    def search(
        self,
        company: str | None = None,
        *,
        tickers: Iterable[str] = (),
        year: int | None = None,
        min_value: float | None = None,
    ) -> list[Deal]:
        """Deals matching every filter given, newest first."""
        wanted = {t.upper() for t in tickers}
        out = []
        for deal in self.deals:
            if year is not None and deal.announced.year != year:
                continue
            if min_value is not None and (deal.value.usd is None or deal.value.usd < min_value):
                continue
            if company and not (
                party_matches(deal.acquirer, company, wanted)
                or party_matches(deal.target, company, wanted)
            ):
                continue
            out.append(deal)
        return out

    def find_target(self, text: str) -> list[Deal]:
        """Deals whose id, target name, alias or ticker matches `text` (exact id wins)."""
        exact = self.get(text.strip().lower())
        if exact is not None:
            return [exact]
        return [d for d in self.deals if party_matches(d.target, text, set())]


def party_matches(party: Party, text: str, tickers: set[str]) -> bool:
    """True when `text` is the party's ticker, or whole words of its name or an alias."""
    if party.ticker and (party.ticker in tickers or party.ticker == text.strip().upper()):
        return True
    needle = normalise(text)
    if not needle:
        return False
    pattern = re.compile(rf"\b{re.escape(needle)}\b")
    return any(pattern.search(normalise(name)) for name in (party.name, *party.aliases))


def load_deal_book(bundled: Path, user_dir: Path | None) -> DealBook:
    """The bundled deals with every valid user file merged over them (same id replaces)."""
    deals, problems, files = load_merged(
        bundled, user_dir, USER_GLOB, load_deal_file, key=lambda deal: deal.id
    )
    return DealBook.of(deals, problems, files)


DEAL_BOOK: DataKey[DealBook] = DataKey("the deal book")


def deal_book(ctx: Context) -> DealBook:
    """The deal book the app loaded when it was built (commands.knowledge.install)."""
    return ctx.services.data.get(DEAL_BOOK)
