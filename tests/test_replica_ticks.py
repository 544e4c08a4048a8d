"""A scheduler tick costs Yahoo the same with 1 or 3 replicas on one database.

Scheduled slots are claimed in the database (one replica posts and fetches them); an alert poll
period is claimed too (Redis, else the database), so one replica asks for the alerts' symbols.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.scheduler import Scheduler, SchedulerConfig
from tests.fakes.chat_platform import RecordingPlatform
from tests.fakes.yahoo_server import FakeYahoo
from tests.redis_fixtures import delete_prefix, require_redis
from tests.scheduling_helpers import add_schedule, clocked_app

OPEN = datetime(2026, 11, 24, 15, 0, 30, tzinfo=UTC)  # Tuesday 10:00:30 New York, trading
ALERTS = ["SPCX", "AMZN", "GOOG", "AAPL", "MSFT", "NVDA"]


def scheduler_of(app: App, platform: RecordingPlatform, claim: bool = True) -> Scheduler:
    poll: Callable[[str], Awaitable[bool]] | None = app.deliveries.claim if claim else None
    return Scheduler(
        store=app.store,
        market=app.market,
        calendar=app.market.calendar,
        clock=app.services.clock,
        adapters=lambda: {"fake": platform},
        posts=app.scheduler.posts,
        config=SchedulerConfig(),
        claim_poll=poll,
    )


async def run_ticks(
    tmp_path: Path, fake: FakeYahoo, replicas: int, settings: dict[str, Any], db: str = ""
) -> tuple[dict[str, int], int]:
    """`replicas` schedulers on one database (`db`, else a new SQLite file) tick through 3
    minutes of a trading morning with 2 schedules and 12 alerts; returns Yahoo's data requests
    and the posts made."""
    clock = ManualClock(OPEN)
    db = db or f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    apps = [
        await clocked_app(tmp_path / f"r{i}", fake, clock, database_url=db, **settings)
        for i in range(replicas)
    ]
    platform = RecordingPlatform()
    try:
        schedulers = [scheduler_of(app, platform) for app in apps]
        store = apps[0].store
        await add_schedule(store, schedulers[0], clock.now(), at="10:01", symbols=("TSLA", "NFLX"))
        await add_schedule(store, schedulers[0], clock.now(), at="10:02", symbols=("META",))
        for i, symbol in enumerate(ALERTS * 2):
            await store.add_alert(
                platform="fake", channel_id=f"c{i}", guild_id="g1", created_by="u1",
                symbol=symbol, kind="above", threshold=10_000.0, armed=True, fire_count=0,
                created_at=clock.now(),
            )  # fmt: skip
        for app in apps:  # each process's cookie and crumb, before counting
            await app.market.quotes(["IBM"])
        fake.reset_counts()
        for _ in range(18):  # every 10 s for 3 minutes, every replica at the same moment
            for scheduler in schedulers:
                await scheduler.tick(clock.now())
            clock.advance(10)
        counts = fake.counts()
        return {e: counts[e] for e in ("quote", "chart") if counts[e]}, len(platform.posts)
    finally:
        for app in apps:
            await app.close()


@pytest.mark.parametrize("engine", ["database", "redis"])
async def test_three_replicas_tick_with_the_upstream_requests_of_one(
    tmp_path: Path, fake_yahoo: FakeYahoo, engine: str, fresh_postgres_url: str
) -> None:
    settings: dict[str, Any] = {}
    prefix = ""
    # Replicas share PostgreSQL (on SQLite the bot is one process, claiming in its memory)
    shared_db = fresh_postgres_url if engine == "database" else ""
    if engine == "redis":
        url = await require_redis()
        prefix = f"od_test_ticks_{engine}_{id(tmp_path):x}:"
        settings = {"redis_url": url, "redis_key_prefix": prefix}
    try:
        one, one_posts = await run_ticks(tmp_path / "one", fake_yahoo, 1, settings)
        three, three_posts = await run_ticks(
            tmp_path / "three",
            fake_yahoo,
            3,
            settings | {"redis_key_prefix": prefix + "3:"},
            shared_db,
        )
    finally:
        if prefix:
            await delete_prefix(settings["redis_url"], prefix)
    assert one_posts == three_posts == 2  # each slot posted once
    assert three == one, (one, three)
    # alert polls at 10:00:30, 10:01 and 10:02, the slots' symbols with them or alone
    assert 3 <= one["quote"] <= 5, one
