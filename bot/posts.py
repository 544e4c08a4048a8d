"""What the scheduler asks the features for: the content of a scheduled or pushed post.

The scheduler owns *when* and *exactly once*; the features (commands/) own *what a post
says*. bot.app hands the features' renderers to the scheduler when it builds the app, so
nothing in bot/ builds cards for posts or imports commands/.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.market.types import Quote, QuoteBatch
from bot.response import Response

if TYPE_CHECKING:
    from bot.store.models import Alert, DealEvent


class RenderSchedulePost(Protocol):
    def __call__(
        self, schedule_id: int, symbols: Sequence[str], tz: str, due: datetime, batch: QuoteBatch
    ) -> Response | None:
        """The post of one schedule's slot `due`; None when no symbol has a price."""
        ...


class RenderWatchlistPost(Protocol):
    def __call__(
        self,
        schedule_id: int,
        whose: str,
        symbols: Sequence[str],
        tz: str,
        due: datetime,
        batch: QuoteBatch,
    ) -> Response | None:
        """The post of a watchlist schedule's slot: `symbols` is the list `whose` ("channel")
        as it is now; an empty list gets a short note. None when no symbol has a price."""
        ...


class RenderAlertPost(Protocol):
    def __call__(self, alert: Alert, quote: Quote) -> Response:
        """The notice an alert posts when `quote` crossed its level."""
        ...


class RenderDealEventPost(Protocol):
    def __call__(self, event: DealEvent) -> Response:
        """The post of a deal status change the deal watch found in an SEC filing."""
        ...


@dataclass(frozen=True, slots=True)
class PostRenderers:
    """One renderer per kind of post the scheduler sends."""

    schedule: RenderSchedulePost
    alert: RenderAlertPost
    deal_event: RenderDealEventPost
    watchlist: RenderWatchlistPost
