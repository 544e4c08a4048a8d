"""Helpers shared by the scheduler and alert tests: a clocked app, schedules, schedulers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.adapters.base import ChatAdapter
from bot.app import App
from bot.clock import ManualClock
from bot.scheduler import Scheduler, SchedulerConfig
from bot.store.repo import Store
from tests.conftest import make_settings
from tests.fakes.yahoo_server import FakeYahoo


async def clocked_app(tmp_path: Path, fake: FakeYahoo, clock: ManualClock, **settings: Any) -> App:
    """An app on the fake Yahoo whose every service reads the given manual clock.

    The fake follows the same clock, so moving it moves Yahoo's market state too.
    """
    fake.now = clock.now
    app = App.build(make_settings(tmp_path, fake.base_url, **settings), clock=clock)
    await app.start()
    return app


def make_scheduler(
    store: Store, app: App, adapters: Mapping[str, ChatAdapter], **config: Any
) -> Scheduler:
    return Scheduler(
        store=store,
        market=app.market,
        calendar=app.market.calendar,
        clock=app.services.clock,
        adapters=lambda: adapters,
        posts=app.scheduler.posts,
        config=SchedulerConfig(**config),
    )


async def add_schedule(
    store: Store,
    scheduler: Scheduler,
    now: datetime,
    *,
    at: str,
    symbols: tuple[str, ...] = ("SPCX", "AMZN"),
    channel: str = "c1",
    platform: str = "fake",
    days: str = "weekdays",
    tz: str = "America/New_York",
    calendar: str | None = "XNYS",
    holidays: bool = False,
) -> int:
    """A schedule stored as `schedule add` would store it, due after `now`."""
    times = scheduler.times_for(at, days, tz, calendar, holidays)
    row = await store.add_schedule(
        platform=platform,
        channel_id=channel,
        guild_id="g1",
        created_by="u1",
        symbols=",".join(symbols),
        at=at,
        days=days,
        tz=tz,
        calendar=calendar,
        holidays=holidays,
        paused=False,
        next_due=times.next_after(now),
        created_at=now,
    )
    return row.id
