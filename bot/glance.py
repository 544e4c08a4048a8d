"""Answers nobody typed a command for: cashtags, link unfurls and the Slack App Home.

The features (commands/) decide what these say; bot.app hands their functions to every adapter
through `Services.glances`, so nothing in bot/ builds cards or imports commands/. Adapters only
find the trigger (a `$TSLA` in a message, a Yahoo link, a user opening the Home tab) and render
the neutral answer.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from bot.dedup import SeenRecently
from bot.market.symbols import normalize_ticker
from bot.response import Card, Response

if TYPE_CHECKING:
    from bot.context import Services


QUOTE_LINK_HOST = "finance.yahoo.com"  # and its regional subdomains (uk.finance.yahoo.com)
# `$TSLA`, `$brk.b`, `$^GSPC`: a dollar sign right before a letter or ^ (so "$100" is money), not
# glued to a word or another `$`, and not followed by more word characters.
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z^][A-Za-z0-9.\-=^]{0,11})(?![\w$])")
# Slack wraps links, mentions and channels in <...>; a `$` inside one is not a cashtag.
_SLACK_ANGLE = re.compile(r"<[^>]*>")
_CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)


def cashtags(text: str, limit: int) -> list[str]:
    """The distinct symbols cashtagged in a message (`$TSLA`), in order, at most `limit`.

    Text in code spans or inside Slack's `<...>` markup is ignored.
    """
    text = _SLACK_ANGLE.sub(" ", _CODE.sub(" ", text))
    found: dict[str, None] = {}
    for match in _CASHTAG.finditer(text):
        symbol = normalize_ticker(match.group(1).rstrip(".-"))
        if symbol is not None:
            found.setdefault(symbol, None)
        if len(found) >= limit:
            break
    return list(found)


def quote_link_symbol(url: str) -> str | None:
    """The symbol of a Yahoo Finance quote page (`https://finance.yahoo.com/quote/TSLA/`)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https"):
        return None
    if host != QUOTE_LINK_HOST and not host.endswith("." + QUOTE_LINK_HOST):
        return None
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if len(segments) < 2 or segments[0].lower() != "quote":
        return None
    return normalize_ticker(segments[1])


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at their home: a user of a workspace, and the channels they are in."""

    platform: str
    user_id: str
    guild_id: str | None  # Slack team / Discord guild
    channel_ids: tuple[str, ...] = ()  # where their alerts and schedules may be


@dataclass(frozen=True, slots=True)
class Picker:
    """A typeahead the home offers: picking a value runs `path` with `param` set to it.

    The suggestions come from the parameter's own completion source (`Core.complete`), the
    same that feeds Discord autocomplete.
    """

    label: str
    path: tuple[str, ...]
    param: str
    placeholder: str = "Type a symbol or company"


@dataclass(frozen=True, slots=True)
class Home:
    """A person's home: cards (their watchlist with prices, their channels' alerts and
    schedules), the pickers it offers, and the answer to the last pick, if any."""

    title: str
    cards: tuple[Card, ...] = ()
    pickers: tuple[Picker, ...] = ()
    notice: Response | None = None
    data: dict[str, Any] = field(default_factory=dict)


class BriefQuotes(Protocol):
    async def __call__(self, services: Services, symbols: Sequence[str]) -> Response | None:
        """A compact quote for each symbol that has a price; None when none has."""
        ...


class BuildHome(Protocol):
    async def __call__(self, services: Services, viewer: Viewer) -> Home:
        """The viewer's home, with prices from one batched market call."""
        ...


@dataclass(frozen=True, slots=True)
class Glances:
    """The features' functions for answers without a command, wired by bot.app."""

    brief_quotes: BriefQuotes
    home: BuildHome


RATE_WINDOW_SECONDS = 60.0
CASHTAG_DEADLINE = 5.0  # s; a quote in a thread later than this is not worth sending


class CashtagDesk:
    """Decides whether a message gets a cashtag answer, and makes it (one per platform).

    Adapters hand over only human messages that are new (no bots, no edits). Here: the
    message has cashtags, it was not answered already, the channel has cashtags on, and the
    channel is within its per-minute budget. Then one batched quote for its first symbols.
    """

    def __init__(self, services: Services, platform: str) -> None:
        self.services = services
        self.platform = platform
        self._answered = SeenRecently(ttl=600.0, limit=10_000)
        self._recent: dict[str, deque[float]] = {}  # channel -> times of its recent answers

    def _within_budget(self, channel_id: str) -> bool:
        limit = self.services.settings.cashtag_per_minute
        now = self.services.clock.now().timestamp()
        times = self._recent.setdefault(channel_id, deque())
        while times and times[0] <= now - RATE_WINDOW_SECONDS:
            times.popleft()
        if len(times) >= limit:
            return False
        times.append(now)
        return True

    async def answer(self, channel_id: str, message_id: str, text: str) -> Response | None:
        """The threaded answer to a message, or None when it gets none."""
        symbols = cashtags(text, self.services.settings.cashtag_max_symbols)
        if not symbols:
            return None
        if not self._answered.first_time(f"{channel_id}/{message_id}"):
            return None  # the same message delivered again
        if not await self.services.store.channels.cashtags_on(self.platform, channel_id):
            return None
        if not self._within_budget(channel_id):
            return None
        async with asyncio.timeout(CASHTAG_DEADLINE):
            return await self.services.glances.brief_quotes(self.services, symbols)
