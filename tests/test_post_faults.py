"""Real `orbitdesk run discord` processes on one PostgreSQL, under the faults a deployment meets.

Each test starts bot processes against the fake Discord and the fake Yahoo, lets a scheduled
slot come due, breaks something at the worst moment (kill -9 after Discord received the post,
the database gone right after posting, the claimer killed mid-fetch, Yahoo answering empty),
and checks the outcome: exactly one message in the channel, and the slot recorded as posted.
The bots run on the real clock; the slot is set a few seconds ahead of it, so nothing here
depends on the date.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.store.db import Database
from bot.store.repo import Store
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.yahoo_server import FakeYahoo
from tests.run_support import add_slot, discord_bots, soon
from tests.run_support import yahoo as yahoo  # a fixture, shared

pytestmark = pytest.mark.postgres


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord().start()
    yield fake
    await fake.close()


async def slot_status(url: str, schedule_id: int) -> list[str]:
    database = Database(url)
    try:
        return [d.status for d in await Store(database).deliveries(schedule_id)]
    finally:
        await database.dispose()


async def until_posted(url: str, schedule_id: int, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while await slot_status(url, schedule_id) != ["posted"]:
            await asyncio.sleep(0.5)


async def test_killed_after_discord_received_the_post_it_shows_once(
    tmp_path: Path, discord: FakeDiscord, yahoo: FakeYahoo, fresh_postgres_url: str
) -> None:
    async with discord_bots(tmp_path, discord, yahoo, fresh_postgres_url) as bots:
        poster = await bots.start(schedule_lease_seconds="6")
        sid = await add_slot(fresh_postgres_url, soon())
        discord.hold_posts = True  # Discord takes the message but the bot never hears back
        await discord.wait_for(lambda f: len(f.channel_posts()) == 1, timeout=100)
        await bots.kill(poster)  # kill -9 between sending and recording
        assert await slot_status(fresh_postgres_url, sid) == ["claimed"]
        discord.release_posts()

        await bots.start(schedule_lease_seconds="6")  # the survivor (or the restarted bot)
        await until_posted(fresh_postgres_url, sid, timeout=60)

    assert discord.channel_post_requests == 2  # it did post again ...
    assert len(discord.channel_posts()) == 1  # ... and Discord showed it once (same nonce)


async def test_database_lost_right_after_posting_shows_once(
    tmp_path: Path, discord: FakeDiscord, yahoo: FakeYahoo, fresh_postgres_url: str
) -> None:
    target = make_url(fresh_postgres_url)
    proxy = await TcpProxy(target.host or "127.0.0.1", target.port or 5432).start()
    through_proxy = target.set(port=proxy.port).render_as_string(hide_password=False)
    outage: list[asyncio.Task[None]] = []

    async def lose_the_database() -> None:
        discord.on_channel_post = None
        await proxy.cut()

        async def back_later() -> None:
            await asyncio.sleep(8)  # longer than the bot's record retries (3.5 s)
            await proxy.restore()

        outage.append(asyncio.ensure_future(back_later()))

    try:
        async with discord_bots(tmp_path, discord, yahoo, through_proxy) as bots:
            await bots.start(schedule_lease_seconds="6")
            sid = await add_slot(fresh_postgres_url, soon())
            discord.on_channel_post = lose_the_database
            await discord.wait_for(lambda f: len(f.channel_posts()) == 1, timeout=100)
            await until_posted(fresh_postgres_url, sid, timeout=60)
    finally:
        for task in outage:
            task.cancel()
        await proxy.close()

    assert discord.channel_post_requests == 2  # taken over after the lease, posted again ...
    assert len(discord.channel_posts()) == 1  # ... and shown once


async def test_claimer_killed_mid_fetch_is_covered_within_90_seconds(
    tmp_path: Path, discord: FakeDiscord, yahoo: FakeYahoo, fresh_postgres_url: str
) -> None:
    yahoo.fail("all", "hang")
    async with discord_bots(tmp_path, discord, yahoo, fresh_postgres_url) as bots:
        claimer = await bots.start()  # the default lease
        due = soon()
        sid = await add_slot(fresh_postgres_url, due)
        async with asyncio.timeout(100):
            while await slot_status(fresh_postgres_url, sid) != ["claimed"]:
                await asyncio.sleep(0.2)
        await asyncio.sleep(1)  # it is waiting on Yahoo now
        await bots.kill(claimer)
        yahoo.fail("all", None)

        await bots.start()
        await discord.wait_for(lambda f: len(f.channel_posts()) == 1, timeout=100)
        took = datetime.now(UTC) - due
        await until_posted(fresh_postgres_url, sid, timeout=20)

    assert took <= timedelta(seconds=90), took
    assert len(discord.channel_posts()) == 1


async def test_an_empty_yahoo_answer_at_the_due_time_still_posts(
    tmp_path: Path, discord: FakeDiscord, yahoo: FakeYahoo, fresh_postgres_url: str
) -> None:
    yahoo.fail("quote", "empty")
    async with discord_bots(tmp_path, discord, yahoo, fresh_postgres_url) as bots:
        await bots.start()
        sid = await add_slot(fresh_postgres_url, soon())
        await discord.wait_for(lambda f: len(f.channel_posts()) == 1, timeout=100)
        await until_posted(fresh_postgres_url, sid, timeout=20)

    [post] = discord.channel_posts()
    [embed] = post.embeds
    assert [f["name"] for f in embed["fields"]] == ["SPCX", "AMZN"]
    assert embed["fields"][0]["value"].startswith("153.20 USD")
