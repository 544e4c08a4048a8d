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
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.store.db import Database
from bot.store.repo import Store
from tests.fakes.discord_server import CHANNEL_ID, GUILD_ID, FakeDiscord
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.yahoo_server import FakeYahoo

pytestmark = pytest.mark.postgres

PINNED = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)  # what the fake Yahoo's prices are "as of"


@pytest.fixture
def yahoo() -> Iterator[FakeYahoo]:
    with FakeYahoo(now=PINNED) as fake:
        yield fake


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord().start()
    yield fake
    await fake.close()


class Bots:
    """Starts and kills `orbitdesk run discord` processes sharing one database."""

    def __init__(self, tmp_path: Path, discord: FakeDiscord, yahoo: FakeYahoo, url: str) -> None:
        self.tmp_path = tmp_path
        self.discord = discord
        self.yahoo = yahoo
        self.url = url
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self, **settings: str) -> asyncio.subprocess.Process:
        index = len(self.processes)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORBITDESK_")} | {
            "ORBITDESK_DISCORD_TOKEN": "fake-token",
            "ORBITDESK_DISCORD_API_BASE": self.discord.api_base,
            "ORBITDESK_DISCORD_GATEWAY_URL": self.discord.gateway_url,
            "ORBITDESK_YAHOO_BASE_URL": self.yahoo.base_url,
            "ORBITDESK_DATA_DIR": str(self.tmp_path / f"bot{index}"),
            "ORBITDESK_DATABASE_URL": self.url,
            "ORBITDESK_HTTP_PORT": "0",
            "no_proxy": "127.0.0.1,localhost",
            **{f"ORBITDESK_{k.upper()}": v for k, v in settings.items()},
        }
        identified = len(self.discord.identifies)
        log = (self.tmp_path / f"bot{index}.log").open("w")  # shown when a test fails
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "discord",
            env=env,
            cwd=self.tmp_path,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        log.close()
        self.processes.append(process)
        await self.discord.wait_for(lambda f: len(f.identifies) > identified, timeout=60)
        return process

    async def kill(self, process: asyncio.subprocess.Process) -> None:
        process.send_signal(signal.SIGKILL)
        await process.wait()

    async def stop_all(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                process.kill()
                await process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- bot{i}.log\n" + (self.tmp_path / f"bot{i}.log").read_text()[-3000:]
            for i in range(len(self.processes))
        )


@asynccontextmanager
async def bots_on(
    tmp_path: Path, discord: FakeDiscord, yahoo: FakeYahoo, url: str
) -> AsyncIterator[Bots]:
    bots = Bots(tmp_path, discord, yahoo, url)
    try:
        yield bots
    except BaseException:
        await bots.stop_all()
        print(bots.logs())  # pytest shows it with the failure
        raise
    finally:
        await bots.stop_all()


async def add_slot(url: str, due: datetime) -> int:
    """A Discord schedule posting daily at `due`'s minute (UTC, no market calendar: any day)."""
    database = Database(url)
    try:
        row = await Store(database).add_schedule(
            platform="discord",
            channel_id=str(CHANNEL_ID),
            guild_id=str(GUILD_ID),
            created_by="u1",
            symbols="SPCX,AMZN",
            at=due.strftime("%H:%M"),
            days="daily",
            tz="UTC",
            calendar=None,
            holidays=True,
            paused=False,
            next_due=due,
            created_at=datetime.now(UTC),
        )
        return row.id
    finally:
        await database.dispose()


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


def soon(seconds: float = 4) -> datetime:
    """The first whole minute at least `seconds` from now (schedule times are minutes)."""
    start = datetime.now(UTC) + timedelta(seconds=seconds)
    return start.replace(second=0, microsecond=0) + timedelta(minutes=1)


async def test_killed_after_discord_received_the_post_it_shows_once(
    tmp_path: Path, discord: FakeDiscord, yahoo: FakeYahoo, fresh_postgres_url: str
) -> None:
    async with bots_on(tmp_path, discord, yahoo, fresh_postgres_url) as bots:
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
        async with bots_on(tmp_path, discord, yahoo, through_proxy) as bots:
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
    async with bots_on(tmp_path, discord, yahoo, fresh_postgres_url) as bots:
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
    async with bots_on(tmp_path, discord, yahoo, fresh_postgres_url) as bots:
        await bots.start()
        sid = await add_slot(fresh_postgres_url, soon())
        await discord.wait_for(lambda f: len(f.channel_posts()) == 1, timeout=100)
        await until_posted(fresh_postgres_url, sid, timeout=20)

    [post] = discord.channel_posts()
    [embed] = post.embeds
    assert [f["name"] for f in embed["fields"]] == ["SPCX", "AMZN"]
    assert embed["fields"][0]["value"].startswith("153.20 USD")
