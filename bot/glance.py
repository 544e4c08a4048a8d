"""Answers nobody typed a command for: cashtags, link unfurls and the Slack App Home.

The features (commands/) decide what these say; bot.app hands their functions to every adapter
through `Services.glances`, so nothing in bot/ builds cards or imports commands/. Adapters only
find the trigger (a `$TSLA` in a message, a Yahoo link, a user opening the Home tab) and render
the neutral answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.response import Card, Response

if TYPE_CHECKING:
    from bot.context import Services


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
