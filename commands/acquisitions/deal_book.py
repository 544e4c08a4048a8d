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
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from bot.context import Context, DataKey
from commands._shared.dates import Precision, date_data, date_text, span
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
    # Reported talks nobody announced: shown as a rumour, never as a deal, never watched.
    RUMOURED = "rumoured"


class Verification(StrEnum):
    """How a fact is known: the levels mean what they say."""

    FILED = "filed"  # a regulatory filing or the company's own release
    REPORTED = "reported"  # press reports
    ESTIMATED = "estimated"  # press figures the parties never confirmed
    DISPUTED = "disputed"  # sources disagree, or a later report contradicts the stored ones

    @property
    def meaning(self) -> str:
        return VERIFICATION_MEANING[self]


VERIFICATION_MEANING = {
    Verification.FILED: "a regulatory filing or the company's own release",
    Verification.REPORTED: "press reports",
    Verification.ESTIMATED: "press figures the parties never confirmed",
    Verification.DISPUTED: "sources disagree or a later report contradicts them",
}

# What each value kind is, in words an answer can put next to the number.
KIND_TEXT = {
    "cash": "price paid, cash",
    "stock": "price paid, stock",
    "cash-and-stock": "price paid, cash and stock",
    "all-stock-merger": "all-stock merger",
    "combined-valuation": "combined valuation of the merged company, NOT a price paid",
    "stake": "price of a minority stake, not a takeover",
    "licence-acqui-hire": "licence and hires, not an acquisition",
    "asset-purchase": "asset purchase",
    "unspecified": "reported figure, form of payment not reported",
    "undisclosed": "undisclosed",
}


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
    # SEC Central Index Key, when a stored source gives it (the deal watch otherwise looks the
    # ticker up in the SEC's ticker file).
    cik: int | None = Field(None, ge=1, le=9_999_999_999)


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
    precision: Precision = "day"
    what: str = Field(min_length=1, max_length=200)

    @property
    def when(self) -> str:
        return date_text(self.date, self.precision)


class Source(_Strict):
    """A source page; with the day it was read and, when the page gives one, its own date.

    In the YAML a source is a plain URL, or `{url, read, published?}`.
    """

    url: HttpUrl
    read: date | None = None
    published: date | None = None

    @property
    def line(self) -> str:
        dates = [f"published {self.published.isoformat()}"] if self.published else []
        if self.read:
            dates.append(f"read {self.read.isoformat()}")
        return f"{self.url} ({', '.join(dates)})" if dates else str(self.url)


class Deal(_Strict):
    """One deal, every figure with its sources and how well it is verified.

    `verification` says how the status and dates are known, `value_verification` how the
    headline figure is (default: the same). Dates carry their precision; `expected_close`
    is the date the parties gave for closing, used to flag a pending deal that went stale.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,60}$")
    acquirer: Party
    target: Party
    announced: date
    announced_precision: Precision = "day"
    status: Status
    closed: date | None = None
    closed_precision: Precision = "day"
    expected_close: date | None = None
    expected_close_precision: Precision = "day"
    value: Value
    sources: tuple[Source, ...] = Field(min_length=1)
    verification: Verification
    value_verification: Verification | None = None
    unverified: tuple[str, ...] = ()  # which fields no stored source confirms
    note: str | None = Field(None, max_length=900)
    events: tuple[Event, ...] = ()
    as_of: date | None = None  # when the status was last checked; the file's as_of if unset

    @field_validator("sources", mode="before")
    @classmethod
    def _plain_urls(cls, value: Any) -> Any:
        """A plain URL is a source with no dates (errors then name `sources.N.url`)."""
        if isinstance(value, list | tuple):
            return [{"url": item} if isinstance(item, str) else item for item in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Deal:
        if self.target.description is None:
            raise ValueError("target.description: a one-line description is required")
        if self.closed is not None:
            if self.status is Status.PENDING:
                raise ValueError("closed: a pending deal has no close date")
            # Only an impossible order is an error: "Jun 2025" may be after June 12, 2025.
            if self.closed_span[1] < self.announced_span[0]:
                raise ValueError("closed: before the announcement")
        if self.expected_close is not None and self.status is not Status.PENDING:
            raise ValueError("expected_close: only a pending deal has an expected close")
        if self.status is Status.RUMOURED and self.value.usd is not None:
            # A rumour has no price: a figure would read as a deal and match value filters.
            raise ValueError("value.usd: a rumoured deal carries no figure")
        return self

    # ---------------------------------------------------------------- display helpers

    @property
    def title(self) -> str:
        return f"{self.acquirer.name} → {self.target.name}"

    @property
    def is_rumour(self) -> bool:
        return self.status is Status.RUMOURED

    @property
    def announced_span(self) -> tuple[date, date]:
        return span(self.announced, self.announced_precision)

    @property
    def closed_span(self) -> tuple[date, date]:
        assert self.closed is not None
        return span(self.closed, self.closed_precision)

    @property
    def sort_key(self) -> tuple[date, date, str]:
        """Newest-first order that never treats a month-only date as its 1st."""
        start, end = self.announced_span
        return (end, start, self.id)

    @property
    def announced_text(self) -> str:
        return date_text(self.announced, self.announced_precision)

    @property
    def closed_text(self) -> str:
        if self.is_rumour:
            return "RUMOUR, not a deal: neither company announced one"
        if self.closed is None:
            return self.status.value
        when = date_text(self.closed, self.closed_precision)
        return f"{self.status.value} {when}"

    @property
    def expected_close_text(self) -> str | None:
        if self.expected_close is None:
            return None
        return date_text(self.expected_close, self.expected_close_precision)

    @property
    def value_level(self) -> Verification:
        return self.value_verification or self.verification

    @property
    def value_label(self) -> str:
        """The headline value with what kind of number it is."""
        return f"{self.value.text} [{KIND_TEXT[self.value.kind.value]}]"

    def staleness(self, today: date) -> str | None:
        """Why a pending status may be out of date on `today` (None when it is not)."""
        if self.status is not Status.PENDING:
            return None
        since = self.as_of.isoformat() if self.as_of else "the deal book's date"
        if self.expected_close is not None:
            end = span(self.expected_close, self.expected_close_precision)[1]
            if end < today:
                return (
                    f"expected close ({self.expected_close_text}) passed; "
                    f"status unconfirmed since {since}"
                )
            return None
        if self.as_of is not None and (today - self.as_of).days > 90:
            return f"no expected close given; status unconfirmed since {since}"
        return None

    @property
    def source_urls(self) -> list[str]:
        return [str(s.url) for s in self.sources]

    @property
    def source_lines(self) -> list[str]:
        """Each source as shown: the URL, with its publication and reading dates when known."""
        return [s.line for s in self.sources]

    def data(self) -> dict[str, Any]:
        """Machine-readable: dates as precise as they are known (2025-06, 2026-Q3)."""
        out = self.model_dump(mode="json")
        out["source_details"] = out["sources"]  # {url, read, published} each
        out["sources"] = self.source_urls
        out["announced"] = date_data(self.announced, self.announced_precision)
        if self.closed is not None:
            out["closed"] = date_data(self.closed, self.closed_precision)
        if self.expected_close is not None:
            out["expected_close"] = date_data(self.expected_close, self.expected_close_precision)
        out["events"] = [
            {"date": date_data(e.date, e.precision), "what": e.what} for e in self.events
        ]
        out["value_verification"] = self.value_level.value
        out["value_kind_text"] = KIND_TEXT[self.value.kind.value]
        out["title"] = self.title
        return out


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
        ordered = tuple(sorted(deals, key=lambda d: d.sort_key, reverse=True))
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
            if min_value is not None and (
                deal.value.usd is None
                or deal.value.usd < min_value
                # A combined valuation is not a price paid: SpaceX-xAI is no "$1.25T deal".
                or deal.value.kind is ValueKind.COMBINED_VALUATION
            ):
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
