"""From what people type ("spacex", "BRK.B", "$aapl") to Yahoo symbols."""

from __future__ import annotations

import asyncio
import functools
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml

from bot.errors import UpstreamError
from bot.market.types import SearchHit
from bot.text import safe_echo

# Characters a symbol or company name may hold; anything else is refused before lookup.
_ALLOWED = re.compile(r"^[\w .&'^=\-$]+$")
_TICKER = re.compile(r"^[A-Z0-9^][A-Z0-9.\-=^]{0,19}$")
# Yahoo's one-letter exchange suffixes; any other ".X" is a share class (BRK.B -> BRK-B).
_ONE_LETTER_SUFFIXES = {"L", "T", "V", "F"}
_CLASS_SHARE = re.compile(r"^([A-Z]{1,5})\.([A-Z])$")
# A company name typed as words is looked up at most this many words long.
MAX_NAME_WORDS = 4
_SEARCHABLE_TYPES = {"EQUITY", "ETF", "INDEX", "CRYPTOCURRENCY", "CURRENCY", "MUTUALFUND", "FUTURE"}


def check_symbol_text(text: str) -> str:
    """Param parser: refuse text that cannot be a ticker or a company name."""
    cleaned = text.strip()
    if not cleaned or not _ALLOWED.match(cleaned) or len(cleaned) > 40:
        raise ValueError(f"'{safe_echo(cleaned, 20)}' is not a ticker or company name")
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


def _name_word(word: str) -> bool:
    """True for a word that may be part of a company name: not one typed as a ticker.

    "rocket", "lab", "Hathaway" may be; "AMZN" (capitals, ticker-shaped) and "$lab" are not.
    """
    if word.startswith("$"):
        return False
    return normalize_ticker(word) is None or any(ch.islower() for ch in word)


def _names_alike(phrase: Sequence[str], name: str) -> bool:
    """True when every typed word begins a word of the company's name (Yahoo's search is
    fuzzy: "amzn goog" must not come back as some other company)."""
    name_words = re.findall(r"[\w&'^]+", name.casefold())
    typed = [w for word in phrase for w in re.findall(r"[\w&'^]+", word.casefold())]
    return bool(typed) and all(any(n.startswith(t) for n in name_words) for t in typed)


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
        """Resolve what was typed, word by word as it came ("rocket", "lab", "AMZN").

        Company names may take several words, so at each word: the longest alias phrase
        starting there (rocket lab), then a name of several words through Yahoo search,
        longest first, kept only when the hit's name holds every word (planet labs); then the
        word alone: alias, ticker shape, or a search for a name.
        """
        words = [" ".join(t.split()) for t in texts]
        out: list[Resolution] = []
        i = 0
        while i < len(words):
            taken = self._alias_at(words, i) or await self._name_at(words, i, search)
            if taken is not None:
                out.append(taken[0])
                i += taken[1]
                continue
            out.append(await self._one(words[i], search))
            i += 1
        return out

    def _alias_at(self, words: Sequence[str], start: int) -> tuple[Resolution, int] | None:
        """The longest alias phrase starting at `start`, and how many words it took."""
        for count in range(min(self.longest_alias, len(words) - start), 0, -1):
            phrase = " ".join(words[start : start + count])
            symbol = self.aliases.get(phrase.lstrip("$").casefold())
            if symbol:
                return Resolution(phrase, symbol, "alias"), count
        return None

    async def _name_at(
        self, words: Sequence[str], start: int, search: SymbolSearch
    ) -> tuple[Resolution, int] | None:
        """A company name of 2 or more words starting at `start`, found by Yahoo search."""
        if start + 1 >= len(words):
            return None  # one word left: no name of two
        run = 0
        while start + run < len(words) and run < MAX_NAME_WORDS and _name_word(words[start + run]):
            run += 1
        phrases = [words[start : start + n] for n in range(run, 1, -1)]
        phrases = [p for p in phrases if any(normalize_ticker(w) is None for w in p)]
        if not phrases:
            return None
        found = await asyncio.gather(*(self._search(" ".join(p), search) for p in phrases))
        for phrase, hits in zip(phrases, found, strict=True):
            hit = next((h for h in hits if _names_alike(phrase, h.name)), None)
            if hit is not None:
                return Resolution(" ".join(phrase), hit.symbol, "search"), len(phrase)
        return None

    async def _one(self, text: str, search: SymbolSearch) -> Resolution:
        ticker = normalize_ticker(text)
        if ticker:
            return Resolution(text, ticker, "ticker")
        hits = await self._search(text, search)
        return (
            Resolution(text, hits[0].symbol, "search") if hits else Resolution(text, None, "none")
        )

    @functools.cached_property
    def longest_alias(self) -> int:
        """Words in the longest alias name (2 for "rocket lab"); worked out once, as the
        aliases are loaded once."""
        return max((len(name.split()) for name in self.aliases), default=1)

    async def suggestions(self, text: str, search: SymbolSearch, limit: int = 3) -> list[str]:
        """Symbols that may be what the user meant, for a "no such symbol" answer."""
        hits = await self._search(text, search)
        return [h.symbol for h in hits[:limit]]

    def remember(self, symbols: Iterable[str]) -> None:
        for symbol in symbols:
            if self.recent and self.recent[0] == symbol:
                continue  # asked again: already the most recent
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
