"""One Discord bot spread over two real `orbitdesk run discord` processes, a shard each.

ORBITDESK_DISCORD_SHARD_IDS / _SHARD_COUNT: each process identifies only its shard, and the
scheduler of each posts only for the guilds on it, so a guild's scheduled slot is posted once,
by the process holding the guild's shard. Real clock (the slot is a minute ahead), one
PostgreSQL, the fake Discord and Yahoo.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.discord_adapter import parse_shard_ids, shard_of
from bot.store.db import Database
from bot.store.repo import Store
from tests.fakes.discord_server import GUILD_ID, FakeDiscord
from tests.fakes.yahoo_server import FakeYahoo
from tests.run_support import add_slot, discord_bots, soon
from tests.run_support import yahoo as yahoo  # a fixture, shared

GUILD_ON_1 = GUILD_ID + (1 << 22)  # the next guild id whose shard (of 2) is 1
CHANNEL_0, CHANNEL_1 = 2_000_000_000_000_000_000, 2_000_000_000_000_000_001


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord(guild_ids=(GUILD_ID, GUILD_ON_1), shards=2).start()
    yield fake
    await fake.close()


def test_shard_ids_parse_and_guilds_map_to_shards() -> None:
    assert parse_shard_ids("0-3", 8) == [0, 1, 2, 3]
    assert parse_shard_ids("0,2", 4) == [0, 2]
    assert parse_shard_ids(" 5, 0-1 ", 6) == [0, 1, 5]
    assert parse_shard_ids(None, None) is None
    for value, count, problem in [
        ("0-3", None, "SHARD_COUNT"),
        ("4", 4, "does not exist"),
        ("3-1", 4, "backwards"),
        ("a", 4, "not a shard id"),
    ]:
        with pytest.raises(ValueError, match=problem):
            parse_shard_ids(value, count)
    assert (shard_of(GUILD_ID, 2), shard_of(GUILD_ON_1, 2)) == (0, 1)


async def claimers(url: str, schedule_id: int) -> list[tuple[str, str]]:
    database = Database(url)
    try:
        return [(d.status, d.claimed_by) for d in await Store(database).deliveries(schedule_id)]
    finally:
        await database.dispose()


@pytest.mark.postgres
async def test_each_guilds_slot_is_posted_once_by_the_process_holding_its_shard(
    tmp_path: Path, discord: FakeDiscord, yahoo: FakeYahoo, fresh_postgres_url: str
) -> None:
    async with discord_bots(tmp_path, discord, yahoo, fresh_postgres_url) as bots:
        holds_0 = await bots.start(discord_shard_ids="0", discord_shard_count="2")
        holds_1 = await bots.start(discord_shard_ids="1", discord_shard_count="2")
        assert sorted(i["shard"][0] for i in discord.identifies) == [0, 1]
        due = soon()
        on_0 = await add_slot(
            fresh_postgres_url, due, guild=GUILD_ID, channel=CHANNEL_0, symbols="SPCX"
        )
        on_1 = await add_slot(
            fresh_postgres_url, due, guild=GUILD_ON_1, channel=CHANNEL_1, symbols="SPCX"
        )
        await discord.wait_for(lambda f: len(f.channel_posts()) >= 2, timeout=100)
        async with asyncio.timeout(20):
            while [
                s for sid in (on_0, on_1) for s, _ in await claimers(fresh_postgres_url, sid)
            ] != [
                "posted",
                "posted",
            ]:
                await asyncio.sleep(0.3)
        await asyncio.sleep(2)  # a second post, if any, would arrive meanwhile

    by_channel = sorted(str(p.channel_id) for p in discord.channel_posts())
    assert by_channel == [str(CHANNEL_0), str(CHANNEL_1)]  # each exactly once
    [(_, claimer_0)] = await claimers(fresh_postgres_url, on_0)
    [(_, claimer_1)] = await claimers(fresh_postgres_url, on_1)
    assert f"-{holds_0.pid}-" in claimer_0
    assert f"-{holds_1.pid}-" in claimer_1
