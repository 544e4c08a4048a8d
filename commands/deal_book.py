"""The acquisitions deal book: schema, loading with precise errors, user files, and search.

The bundled `commands/data/acquisitions.yaml` must validate (a bad entry there is a bug and
stops the bot at start-up, naming the file, entry and field). Files the operator adds as
`DATA_DIR/acquisitions*.yaml` are merged over it, a deal with the same id replacing the
bundled one; a user file with a bad entry is skipped as a whole, the error is logged and
kept in `DealBook.problems` (shown by `orbitdesk doctor`), and the bundled deals still load.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, model_validator

log = logging.getLogger(__name__)

BUNDLED_NAME = "acquisitions.yaml"
USER_GLOB = "acquisitions*.yaml"

FileT = TypeVar("FileT", bound=BaseModel)
EntryT = TypeVar("EntryT")


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


Precision = Literal["day", "month", "quarter", "half", "year"]


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


def span(value: date, precision: Precision) -> tuple[date, date]:
    """The first and last day a date of this precision may stand for."""
    if precision == "day":
        return value, value
    if precision == "year":
        return date(value.year, 1, 1), date(value.year, 12, 31)
    months = {"month": 1, "quarter": 3, "half": 6}[precision]
    first = (value.month - 1) // months * months + 1
    start = date(value.year, first, 1)
    after = first + months
    end = (date(value.year + 1, 1, 1) if after > 12 else date(value.year, after, 1)) - timedelta(
        days=1
    )
    return start, end


def date_text(value: date, precision: Precision) -> str:
    """A date as precise as it is known: 2026-02-02, Jun 2025, Q3 2026, H1 2026, 2021."""
    if precision == "year":
        return f"{value.year}"
    if precision == "month":
        return value.strftime("%b %Y")
    if precision == "quarter":
        return f"Q{(value.month - 1) // 3 + 1} {value.year}"
    if precision == "half":
        return f"H{(value.month - 1) // 6 + 1} {value.year}"
    return value.isoformat()


def date_data(value: date, precision: Precision) -> str:
    """A partial ISO date for machine-readable data: 2025-06, 2026-Q3, 2026-H1, 2021."""
    if precision == "year":
        return f"{value.year}"
    if precision == "month":
        return f"{value.year}-{value.month:02d}"
    if precision in ("quarter", "half"):
        label, year = date_text(value, precision).split(" ")
        return f"{year}-{label}"
    return value.isoformat()


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
    sources: tuple[HttpUrl, ...] = Field(min_length=1)
    verification: Verification
    value_verification: Verification | None = None
    unverified: tuple[str, ...] = ()  # which fields no stored source confirms
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
            # Only an impossible order is an error: "Jun 2025" may be after June 12, 2025.
            if self.closed_span[1] < self.announced_span[0]:
                raise ValueError("closed: before the announcement")
        if self.expected_close is not None and self.status is not Status.PENDING:
            raise ValueError("expected_close: only a pending deal has an expected close")
        return self

    # ---------------------------------------------------------------- display helpers

    @property
    def title(self) -> str:
        return f"{self.acquirer.name} → {self.target.name}"

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
        return [str(u) for u in self.sources]

    def data(self) -> dict[str, Any]:
        """Machine-readable: dates as precise as they are known (2025-06, 2026-Q3)."""
        out = self.model_dump(mode="json")
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


@dataclass(frozen=True, slots=True)
class DataProblem:
    """A precise complaint about a data file: which file, which entry, which field."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.entry}" if self.entry else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class DataFileError(Exception):
    """A data file that does not validate; `problems` says where."""

    def __init__(self, problems: Sequence[DataProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)


class _TextDates(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad date is a field error, not a crash."""


_TextDates.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path) -> Any:
    """A YAML file's content; a syntax error becomes a DataFileError naming the line."""
    try:
        return yaml.load(
            path.read_text(encoding="utf-8"), Loader=_TextDates
        )  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise DataFileError(
            [DataProblem(path.name, where, "", f"not valid YAML ({getattr(exc, 'problem', exc)})")]
        ) from None
    except OSError as exc:
        raise DataFileError([DataProblem(path.name, "", "", f"cannot read: {exc}")]) from None


def validation_problems(file: str, entry: str, exc: ValidationError) -> list[DataProblem]:
    """Pydantic's errors as DataProblems naming the field path."""
    out = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"])
        message = error["msg"]
        if message.startswith("Value error, "):
            # Our validators say "field: reason"; fold the field into the location.
            message = message.removeprefix("Value error, ")
            head, sep, rest = message.partition(": ")
            if sep and re.fullmatch(r"[a-z_.]+", head):
                loc, message = (f"{loc}.{head}" if loc else head), rest
        out.append(
            DataProblem(file, entry, loc or "(entry)", message.removeprefix("Value error, "))
        )
    return out


class EntryProblem(Exception):
    """One entry's problem found beyond its schema: the field and what is wrong with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def load_entries(
    path: Path,
    file_model: type[FileT],
    label: str,
    entries: Callable[[FileT], list[dict[str, Any]]],
    build: Callable[[FileT, dict[str, Any]], EntryT],
    key: Callable[[EntryT], str],
) -> list[EntryT]:
    """Every entry of one data file, or a DataFileError naming each bad entry and field.

    `file_model` validates the file's top level, `entries` picks its list of entries and
    `build` turns one entry into a value (raising ValidationError or EntryProblem); `key` is
    the id that must not appear twice.
    """
    try:
        content = file_model.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise DataFileError(validation_problems(path.name, "", exc)) from None
    problems: list[DataProblem] = []
    out: list[EntryT] = []
    seen: set[str] = set()
    for index, item in enumerate(entries(content), start=1):
        ident = item.get("id") if isinstance(item, Mapping) else None
        entry = f"{label} #{index}" + (f" ({ident})" if ident else "")
        try:
            value = build(content, item)
        except ValidationError as exc:
            problems += validation_problems(path.name, entry, exc)
            continue
        except EntryProblem as exc:
            problems.append(DataProblem(path.name, entry, exc.field, exc.message))
            continue
        if key(value) in seen:
            problems.append(DataProblem(path.name, entry, "id", f"{key(value)!r} appears twice"))
        seen.add(key(value))
        out.append(value)
    if problems:
        raise DataFileError(problems)
    return out


def load_merged(
    bundled: Path,
    user_dir: Path | None,
    pattern: str,
    load: Callable[[Path], list[EntryT]],
    key: Callable[[EntryT], str],
) -> tuple[list[EntryT], list[DataProblem], list[str]]:
    """The bundled file's entries with every valid user file merged over them (same id
    replaces); also the problems of the files skipped and the names of the files used."""
    merged = {key(v): v for v in load(bundled)}
    problems: list[DataProblem] = []
    files = [bundled.name]
    for path in user_files(user_dir, pattern):
        try:
            extra = load(path)
        except DataFileError as exc:
            for problem in exc.problems:
                log.error("skipping user data file: %s", problem)
            problems += exc.problems
            continue
        files.append(path.name)
        for value in extra:
            merged[key(value)] = value
    return list(merged.values()), problems, files


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


def normalise(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", text.casefold()).strip()


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


def user_files(user_dir: Path | None, pattern: str) -> list[Path]:
    """The operator's data files matching `pattern`, in name order (later files win)."""
    if user_dir is None or not user_dir.is_dir():
        return []
    return sorted(p for p in user_dir.glob(pattern) if p.is_file())
