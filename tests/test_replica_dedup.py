"""A Slack delivery runs once across replicas: Redis when configured, else the database.

Slash commands are recognised by trigger_id, Events API deliveries (retried by Slack with
X-Slack-Retry-Num when not acknowledged in time) by event_id.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.dedup import DatabaseSeen, Layered, RedisSeen, SeenRecently
from bot.redis_engine import RedisEngine
from bot.store.repo import Store
from tests.conftest import pinned_clock
from tests.fakes.slack_server import FakeSlack
from tests.fakes.yahoo_server import FakeYahoo, unused_port
from tests.redis_fixtures import delete_prefix, redis_url, require_redis
from tests.slack_support import (
    answer_of,
    port_of,
    post_signed,
    record_dispatches,
    response_token,
    running,
    sign,
    slack_app,
    slash_payload,
)
from tests.store_fixtures import DatabaseFactory


async def test_redis_lets_one_replica_take_a_key(redis_prefix: str) -> None:
    engines = [RedisEngine(redis_url(), redis_prefix) for _ in range(3)]
    try:
        seen = [RedisSeen(e) for e in engines]
        assert [await s.claim("slack:trigger:1.2.3") for s in seen] == [True, False, False]
        assert await seen[2].claim("slack:trigger:1.2.4") is True
    finally:
        for engine in engines:
            await engine.close()


async def test_redis_out_of_reach_never_loses_a_command() -> None:
    engine = RedisEngine(f"redis://127.0.0.1:{unused_port()}/0")
    try:
        layered = Layered(SeenRecently(), RedisSeen(engine))
        assert await layered.claim("t1") is True  # Redis down: run it (nothing lost)
        assert await layered.claim("t1") is False  # still recognised by this process
        assert engine.outages == 1
    finally:
        await engine.close()


async def test_the_database_lets_one_replica_take_a_key(databases: DatabaseFactory) -> None:
    first, second = databases.open(), databases.open()
    await first.upgrade()
    clock = ManualClock(pinned_clock().now())
    a, b = DatabaseSeen(Store(first), clock), DatabaseSeen(Store(second), clock)
    assert await a.claim("slack:trigger:1") is True
    assert await b.claim("slack:trigger:1") is False
    assert await b.claim("slack:event:Ev1") is True
    assert await a.claim("slack:event:Ev1") is False
    clock.advance(601)  # the window passed: expired rows are pruned as the table is used
    b._pruned_at = float("-inf")
    assert await b.claim("slack:trigger:2") is True
    assert await a.claim("slack:trigger:1") is True  # its row was pruned
    later = clock.now() + timedelta(seconds=601)
    assert await Store(first).prune_deliveries_seen(later) == 2


async def test_the_database_out_of_reach_never_loses_a_command(tmp_path: Path) -> None:
    from bot.store.db import Database

    database = Database(f"postgresql+asyncpg://x:y@127.0.0.1:{unused_port()}/none")
    try:
        seen = DatabaseSeen(Store(database), pinned_clock())
        assert await seen.claim("t1") is True
    finally:
        await database.dispose()


@pytest.fixture(params=["database", "redis"])
async def shared_settings(
    request: pytest.FixtureRequest, fresh_postgres_url: str
) -> AsyncIterator[dict[str, Any]]:
    """Settings two replicas share: one database (PostgreSQL, as replicas need: on SQLite the
    bot is one process), and Redis in the "redis" variant."""
    settings: dict[str, Any] = {"slack_mode": "http", "database_url": fresh_postgres_url}
    if request.param == "database":
        yield settings
        return
    url = await require_redis()
    prefix = f"od_test_{uuid.uuid4().hex[:12]}:"
    yield settings | {"redis_url": url, "redis_key_prefix": prefix}
    await delete_prefix(url, prefix)


def two_replicas(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack, settings: dict[str, Any]
) -> tuple[App, App]:
    return (
        slack_app(tmp_path / "a", fake_yahoo, slack, **settings),
        slack_app(tmp_path / "b", fake_yahoo, slack, **settings),
    )


async def test_a_command_delivered_to_two_replicas_runs_once(
    tmp_path: Path, fake_yahoo: FakeYahoo, shared_settings: dict[str, Any]
) -> None:
    async with FakeSlack() as slack:
        first, second = two_replicas(tmp_path, fake_yahoo, slack, shared_settings)
        runs = record_dispatches(first.core), record_dispatches(second.core)
        async with running(first) as a, running(second) as b:
            payload = slash_payload(slack, "/quote", "SPCX")
            answer = await answer_of(slack, port_of(a), payload, timeout=10)
            # Slack's retry, or a duplicate delivery, reaches the other replica: an empty ack
            body = urlencode(payload).encode()
            assert await post_signed(port_of(b), body, sign(body)) == (200, "")
            other = slash_payload(slack, "/quote", "AMZN")
            await answer_of(slack, port_of(b), other, timeout=10)
            await asyncio.sleep(0.2)  # a second run would have answered by now
    assert (runs[0], runs[1]) == (["quote SPCX"], ["quote AMZN"])
    assert answer["text"].startswith("SPCX")
    assert len(slack.answers(response_token(payload))) <= 1  # only the first's, if it followed


def event_body(event_id: str) -> bytes:
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": "T0TEST",
            "api_app_id": "A0ORBIT",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            # An event no OrbitDesk listener takes, so the test's own listener sees each run.
            "event": {"type": "reaction_added", "user": "U0ADA", "reaction": "rocket"},
        }
    ).encode()


async def post_event(port: int, body: bytes, retry: int | None = None) -> int:
    headers = sign(body) | {"Content-Type": "application/json"}
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as resp,
    ):
        await resp.read()
        return resp.status


async def test_a_retried_event_delivery_runs_once_across_replicas(
    tmp_path: Path, fake_yahoo: FakeYahoo, shared_settings: dict[str, Any]
) -> None:
    handled: list[str] = []

    async def on_reaction(body: dict[str, Any]) -> None:
        handled.append(body["event_id"])

    async with FakeSlack() as slack:
        first, second = two_replicas(tmp_path, fake_yahoo, slack, shared_settings)
        async with running(first) as a, running(second) as b:
            for adapter in (a, b):
                adapter.bolt.event("reaction_added")(on_reaction)
            body = event_body("Ev0ORBIT1")
            assert await post_event(port_of(a), body) == 200
            assert await post_event(port_of(b), body, retry=1) == 200  # acked, not run
            assert await post_event(port_of(a), body, retry=2) == 200
            assert await post_event(port_of(b), event_body("Ev0ORBIT2")) == 200
    assert handled == ["Ev0ORBIT1", "Ev0ORBIT2"]
