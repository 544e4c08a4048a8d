"""Questions on Discord: a message mentioning the bot, and a DM, answered by a reply through
the fake gateway, without the privileged message_content intent and pinging no one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.discord_adapter import DiscordAdapter
from tests.fakes.discord_server import BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, FakeDiscord
from tests.fakes.yahoo_server import FakeYahoo
from tests.test_discord_adapter import start_bot, stop_bot

MESSAGE_CONTENT = 1 << 15
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord().start()
    yield fake
    await fake.close()


@pytest.fixture
async def bot(
    tmp_path: Path, fake_discord: FakeDiscord, fake_yahoo: FakeYahoo
) -> AsyncIterator[DiscordAdapter]:
    adapter = await start_bot(tmp_path, fake_discord, fake_yahoo)
    yield adapter
    await stop_bot(adapter)


async def test_a_mention_gets_a_reply_read_as_its_command(
    bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    intents = int(fake_discord.identifies[0]["intents"])
    assert intents & GUILD_MESSAGES and intents & DIRECT_MESSAGES
    assert not intents & MESSAGE_CONTENT  # no privileged intent
    asked = await fake_discord.message_create(f"<@{BOT_ID}> did the cursor deal close? @everyone")
    await fake_discord.wait_for(lambda f: bool(f.channel_posts()))
    [reply] = fake_discord.channel_posts()
    assert reply.channel_id == str(CHANNEL_ID)
    assert reply.reference is not None and str(reply.reference["message_id"]) == asked
    assert reply.allowed_mentions is not None and reply.allowed_mentions["parse"] == []
    assert not reply.allowed_mentions.get("replied_user")  # Discord's default: no ping
    shown = reply.content + " ".join(e.get("description", "") for e in reply.embeds)
    assert "Read as: `acquisition cursor`" in shown


async def test_a_dm_is_answered_and_other_messages_are_not(
    bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    await fake_discord.message_create("what's SpaceX trading at?", mention_bot=False)  # ignored
    await fake_discord.message_create("what's SpaceX trading at?", direct=True, mention_bot=False)
    await fake_discord.wait_for(lambda f: bool(f.channel_posts()))
    [reply] = fake_discord.channel_posts()
    assert reply.channel_id == str(DM_CHANNEL_ID)
    shown = reply.content + " ".join(e.get("description", "") for e in reply.embeds)
    assert "Read as: `quote SPCX`" in shown
