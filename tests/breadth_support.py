"""A pinned world for the market-breadth transcripts (news, movers, options, profile).

The fake Yahoo and the app share one instant, a Tuesday at 11:00 in New York with the
market open, so ages, expiries and cache lifetimes never depend on today's date.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.adapters.console import invocation
from bot.app import App
from bot.clock import ManualClock
from bot.response import Response
from tests.conftest import make_settings
from tests.fakes.yahoo_server import FakeYahoo

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # Tuesday 11:00 New York, market open


@dataclass
class Pinned:
    app: App
    fake: FakeYahoo
    clock: ManualClock

    async def __call__(self, text: str) -> Response:
        return await self.app.core.dispatch(invocation(text))


@asynccontextmanager
async def pinned_app(tmp_path: Path, now: datetime = NOW, **settings: Any) -> AsyncIterator[Pinned]:
    clock = ManualClock(now)
    with FakeYahoo(now=now) as fake:
        app = App.build(make_settings(tmp_path, fake.base_url, **settings), clock=clock)
        await app.start()
        try:
            yield Pinned(app, fake, clock)
        finally:
            await app.close()


def fields(card: Any) -> dict[str, str]:
    return {f.name: f.value for f in card.fields}
