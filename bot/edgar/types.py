"""What the deal watch works on: deals to watch (handed in at wiring), filings, events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SEC_ARCHIVES = "https://www.sec.gov/Archives/edgar/data"


@dataclass(frozen=True, slots=True)
class WatchParty:
    """An acquirer or a target as the watch sees it: names to look for, how to find its CIK."""

    name: str
    ticker: str | None = None
    cik: int | None = None
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class WatchedDeal:
    """A deal that is not final (its curated status is pending)."""

    id: str
    title: str
    acquirer: WatchParty
    target: WatchParty
    status: str  # the curated status
    since: date  # the curated status's "as of": filings from this day on are news

    def party(self, role: str) -> WatchParty:
        return self.acquirer if role == "acquirer" else self.target

    def other(self, role: str) -> WatchParty:
        return self.target if role == "acquirer" else self.acquirer


@dataclass(frozen=True, slots=True)
class Filing:
    """One row of a submissions file's columnar `filings.recent`."""

    cik: int
    accession: str
    form: str
    items: tuple[str, ...]
    filing_date: date
    primary_document: str

    @property
    def folder(self) -> str:
        return f"{SEC_ARCHIVES}/{self.cik}/{self.accession.replace('-', '')}"

    @property
    def url(self) -> str:
        """The filing's index page on sec.gov (what a person clicks)."""
        return f"{self.folder}/{self.accession}-index.htm"

    @property
    def document_url(self) -> str:
        return f"{self.folder}/{self.primary_document}"


@dataclass(frozen=True, slots=True)
class Classified:
    """What a filing means for a deal: a status change (strong) or a signal."""

    kind: str  # completed | terminated | announced | signal
    strong: bool
    summary: str

    @property
    def new_status(self) -> str | None:
        return self.kind if self.strong and self.kind in ("completed", "terminated") else None
