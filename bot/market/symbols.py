"""From what people type ("spacex", "BRK.B", "$aapl") to Yahoo symbols."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml

from bot.errors import UpstreamError
from bot.market.types import SearchHit

# Characters a symbol or company name may hold; anything else is refused before lookup.
_ALLOWED = re.compile(r"^[\w .&'^=\-$]+$")
_TICKER = re.compile(r"^[A-Z0-9^][A-Z0-9.\-=^]{0,19}$")
# Yahoo's one-letter exchange suffixes; any other ".X" is a share class (BRK.B -> BRK-B).
_ONE_LETTER_SUFFIXES = {"L", "T", "V", "F"}
_CLASS_SHARE = re.compile(r"^([A-Z]{1,5})\.([A-Z])$")
_SEARCHABLE_TYPES = {"EQUITY", "ETF", "INDEX", "CRYPTOCURRENCY", "CURRENCY", "MUTUALFUND", "FUTURE"}


def check_symbol_text(text: str) -> str:
    """Param parser: refuse text that cannot be a ticker or a company name."""
    cleaned = text.strip()
    if not cleaned or not _ALLOWED.match(cleaned) or len(cleaned) > 40:
        raise ValueError(f"{cleaned[:20]!r} is not a ticker or company name")
    return cleaned


def normalize_ticker(text: str) -> str | None:
    """A Yahoo symbol when `text` looks like a ticker, else None (then it is a name)."""
    candidate = text.strip().lstrip("$").upper()
    if not _TICKER.match(candidate):
        return None
    if candidate.isalpha() and len(candidate) > 5:
        return None  # "MICROSOFT": a name, not a ticker
    match = _CLASS_SHARE.match(candidate)
    if match and match.group(2) not in _ONE_LETTER_SUFFIXES:
        return f"{match.group(1)}-{match.group(2)}"
    return candidate


def load_aliases(paths: Iterable[Path]) -> dict[str, str]:
    """name -> symbol from YAML files ({"aliases": {name: symbol}}); later files win."""
    aliases: dict[str, str] = {}
    for path in paths:
        if not path.is_file():
            continue
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        table = loaded.get("aliases", {}) if isinstance(loaded, dict) else {}
        if not isinstance(table, dict):
            raise ValueError(f"{path}: 'aliases' must map names to symbols")
        for name, symbol in table.items():
            if not isinstance(symbol, str) or normalize_ticker(symbol) is None:
                raise ValueError(f"{path}: alias {name!r} -> {symbol!r} is not a symbol")
            aliases[str(name).casefold()] = symbol.upper()
    return aliases


class SymbolSearch(Protocol):
    """What the resolver needs from the market service."""

    async def search(self, query: str, *, budget: float | None = None) -> list[SearchHit]: ...


@dataclass(frozen=True, slots=True)
class Resolution:
    text: str  # what the user typed
    symbol: str | None  # None: nothing matched
    via: str  # "ticker", "alias", "search", or "none"


@dataclass
class SymbolResolver:
    aliases: Mapping[str, str]
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=200))

    async def resolve(self, texts: Sequence[str], search: SymbolSearch) -> list[Resolution]:
        """Resolve each text: alias, then ticker shape, then Yahoo search for names."""
        out = []
        for text in texts:
            alias = self.aliases.get(text.strip().lstrip("$").casefold())
            if alias:
                out.append(Resolution(text, alias, "alias"))
                continue
            ticker = normalize_ticker(text)
            if ticker:
                out.append(Resolution(text, ticker, "ticker"))
                continue
            hits = await self._search(text, search)
            out.append(
                Resolution(text, hits[0].symbol, "search")
                if hits
                else Resolution(text, None, "none")
            )
        return out

    async def suggestions(self, text: str, search: SymbolSearch, limit: int = 3) -> list[str]:
        """Symbols that may be what the user meant, for a "no such symbol" answer."""
        hits = await self._search(text, search)
        return [h.symbol for h in hits[:limit]]

    def remember(self, symbols: Iterable[str]) -> None:
        for symbol in symbols:
            if symbol in self.recent:
                self.recent.remove(symbol)
            self.recent.appendleft(symbol)

    def complete_local(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        """(label, symbol) pairs from aliases and recent symbols: instant, no network."""
        needle = prefix.strip().casefold()
        seen: dict[str, str] = {}
        for symbol in self.recent:
            if symbol.casefold().startswith(needle):
                seen.setdefault(symbol, symbol)
        for name, symbol in sorted(self.aliases.items()):
            if name.startswith(needle) or symbol.casefold().startswith(needle):
                seen.setdefault(symbol, f"{symbol} ({name})")
        return [(label, symbol) for symbol, label in list(seen.items())[:limit]]

    @staticmethod
    async def _search(text: str, search: SymbolSearch) -> list[SearchHit]:
        try:
            hits = await search.search(text)
        except UpstreamError:
            return []
        return [h for h in hits if h.quote_type.upper() in _SEARCHABLE_TYPES]
