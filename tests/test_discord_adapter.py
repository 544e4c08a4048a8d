"""OrbitDesk on Discord: the real discord.py client logged into a fake Discord on 127.0.0.1.

Each test reads as a chat: someone runs a slash command (the fake sends INTERACTION_CREATE
over the gateway) and the test looks at what the bot sent back over REST.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest

from bot.adapters.base import PostError, PostKey
from bot.adapters.discord_adapter import DiscordAdapter
from bot.adapters.discord_schema import command_payloads
from bot.app import App
from bot.completion import complete_symbols
from bot.context import Context
from bot.errors import NotFound
from bot.registry import Param, Registry, command, group
from bot.response import Attachment, Card, Field, Response, Tone
from tests.conftest import make_settings, pinned_clock
from tests.fakes.discord_server import (
    CHANNEL_ID,
    GUILD_ID,
    MANAGE_CHANNELS,
    MEMBER_PERMISSIONS,
    FakeDiscord,
    RestError,
    Sent,
)
from tests.fakes.yahoo_server import FakeYahoo
from tests.run_support import bots_running, discord_env

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 256

# ---------------------------------------------------------------------- test-only commands

watch = group("watch", "Price watches for this channel")
calls: list[dict[str, Any]] = []


@command("watch add", manage_channel=True)
async def watch_add(
    ctx: Context,
    symbol: Annotated[str, Param("ticker to watch", complete=complete_symbols)],
    every: Annotated[Literal["hour", "day"], Param("how often to post")] = "day",
    percent: Annotated[float, Param("move that triggers a post", min=0.5, max=50)] = 5.0,
    quiet: bool = False,
) -> Response:
    """Post a price for a symbol in this channel."""
    calls.append({"symbol": symbol, "every": every, "percent": percent, "quiet": quiet})
    return Response(text=f"Watching {symbol} every {every}.")


@command("watch list")
async def watch_list(ctx: Context, limit: Annotated[int, Param("", min=1, max=20)] = 5) -> Response:
    """List this channel's watches."""
    return Response(text=f"No watches (showing up to {limit}).")


@command("slow")
async def slow(ctx: Context, seconds: Annotated[float, Param("how long", max=2)] = 0.4) -> Response:
    """Answer after a while, like a cold Yahoo fetch."""
    await asyncio.sleep(seconds)
    return Response(text="done", cards=(Card(title="Slow answer", tone=Tone.NEUTRAL),))


@command("slowfail")
async def slowfail(ctx: Context) -> Response:
    """Fail after a while, like a symbol Yahoo does not know."""
    await asyncio.sleep(0.3)
    raise NotFound("No such symbol: ZZZZQ.")


@command("snapshot")
async def snapshot(ctx: Context) -> Response:
    """Answer with a chart file."""
    card = Card(title="SPCX · 1 month", image="spcx.png", fields=(Field("Close", "153.20"),))
    return Response(
        text="SPCX chart",
        cards=(card,),
        attachments=(Attachment("spcx.png", PNG, description="SPCX price, one month"),),
    )


def add_test_commands(registry: Registry) -> Registry:
    registry.add_group(watch)
    for func in (watch_add, watch_list, slow, slowfail, snapshot):
        registry.add(func.__orbitdesk_spec__)  # type: ignore[attr-defined]
    return registry


# ---------------------------------------------------------------------- harness


class DiscordChat:
    """Slash commands as a guild member types them; answers as the fake received them."""

    def __init__(self, fake: FakeDiscord, adapter: DiscordAdapter) -> None:
        self.fake = fake
        self.adapter = adapter

    async def slash(
        self,
        name: str,
        *,
        sub: str | None = None,
        permissions: int = MEMBER_PERMISSIONS,
        **options: Any,
    ) -> list[Sent]:
        """Run `/name [sub] option:value...`; returns what the bot sent for it."""
        opts = [{"name": k, "type": _option_type(v), "value": v} for k, v in options.items()]
        if sub is not None:
            opts = [{"name": sub, "type": 1, "options": opts}]
        payload = self.fake.interaction(name, opts, permissions=permissions)
        token = await self.fake.interact(payload)
        await self.fake.replies(token)
        await self.adapter.drain()
        return [s for s in self.fake.sent if s.token == token]

    async def complete(
        self, name: str, option: str, typed: str, *, sub: str | None = None
    ) -> list[str]:
        """Type into an autocomplete option; returns the offered choice values."""
        opts: list[dict[str, Any]] = [{"name": option, "type": 3, "value": typed, "focused": True}]
        if sub is not None:
            opts = [{"name": sub, "type": 1, "options": opts}]
        token = await self.fake.interact(self.fake.interaction(name, opts, kind=4))
        [sent] = await self.fake.replies(token)
        assert sent.callback_type == 8
        assert len(sent.choices) <= 25
        return [c["value"] for c in sent.choices]


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


async def start_bot(
    tmp_path: Path, fake: FakeDiscord, yahoo: FakeYahoo, **settings: Any
) -> DiscordAdapter:
    built = App.build(
        make_settings(
            tmp_path,
            yahoo.base_url,
            discord_token="fake-token",
            discord_api_base=fake.api_base,
            discord_gateway_url=fake.gateway_url,
            **settings,
        ),
        clock=pinned_clock(),
    )
    add_test_commands(built.services.registry)
    await built.start()
    adapter = DiscordAdapter(built, guild_ready_timeout=0.05)
    await adapter.start()
    return adapter


async def stop_bot(adapter: DiscordAdapter) -> None:
    await adapter.stop()
    await adapter.app.close()


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord().start()
    yield fake
    await fake.close()


@pytest.fixture
async def discord_chat(
    tmp_path: Path, fake_discord: FakeDiscord, fake_yahoo: FakeYahoo
) -> AsyncIterator[DiscordChat]:
    calls.clear()
    adapter = await start_bot(tmp_path, fake_discord, fake_yahoo)
    yield DiscordChat(fake_discord, adapter)
    await stop_bot(adapter)


def final(sent: list[Sent]) -> Sent:
    return next(s for s in sent if s.final)


def fields_of(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


# ---------------------------------------------------------------------- login and sync


async def test_login_reaches_ready_with_minimal_intents(discord_chat: DiscordChat) -> None:
    fake = discord_chat.fake
    assert discord_chat.adapter.is_ready()
    [identify] = fake.identifies
    # GUILDS, GUILD_MESSAGES and DIRECT_MESSAGES (questions: mentions and DMs, bot.router);
    # no message content, no members: nothing privileged.
    assert identify["intents"] == 1 | 1 << 9 | 1 << 12
    client = discord_chat.adapter.client
    assert client is not None and [g.id for g in client.guilds] == [GUILD_ID]


async def test_every_registered_command_is_synced_with_its_options(
    discord_chat: DiscordChat,
) -> None:
    [(scope, payload)] = discord_chat.fake.command_syncs
    assert scope is None  # global
    by_name = {c["name"]: c for c in payload}
    registry = discord_chat.adapter.app.services.registry
    assert sorted(by_name) == registry.top_level_names()
    assert {"help", "quote", "slow", "slowfail", "snapshot", "watch"} <= set(by_name)
    orbital = {o["name"]: o for o in by_name["orbital"]["options"]}
    assert {s.path[1] for s in registry.subcommands("orbital")} == set(orbital)
    assert all(o["type"] == 1 for o in orbital.values())  # subcommands
    assert by_name["quote"] == {
        "type": 1,
        "name": "quote",
        "description": "Price, change, day range and market state for 1 to 10 symbols.",
        "options": [
            {
                "type": 3,
                "name": "symbols",
                "description": "1 to 10 tickers or company names, e.g. SPCX AMZN google",
                "required": True,
                "max_length": 500,
                "autocomplete": True,
            }
        ],
        "nsfw": False,
        "default_member_permissions": None,
        "contexts": [0, 1, 2],
        "integration_types": [0, 1],
    }
    assert by_name["help"]["options"][0]["required"] is False
    watch_cmd = by_name["watch"]
    assert watch_cmd["default_member_permissions"] == "16"  # Manage Channels
    assert watch_cmd["contexts"] == [0]
    assert watch_cmd["integration_types"] == [0]  # changes a channel: server install only
    add, listing = watch_cmd["options"]
    assert (add["type"], add["name"], listing["name"]) == (1, "add", "list")
    assert add["options"] == [
        {
            "type": 3,
            "name": "symbol",
            "description": "ticker to watch",
            "required": True,
            "max_length": 100,
            "autocomplete": True,
        },
        {
            "type": 3,
            "name": "every",
            "description": "how often to post",
            "required": False,
            "max_length": 100,
            "choices": [{"name": "hour", "value": "hour"}, {"name": "day", "value": "day"}],
        },
        {
            "type": 10,
            "name": "percent",
            "description": "move that triggers a post",
            "required": False,
            "min_value": 0.5,
            "max_value": 50.0,
        },
        {"type": 5, "name": "quiet", "description": "quiet", "required": False},
    ]
    [limit] = listing["options"]
    assert limit == {
        "type": 4,
        "name": "limit",
        "description": "limit",  # no help text: the name stands in
        "required": False,
        "min_value": 1,
        "max_value": 20,
    }
    assert payload == command_payloads(discord_chat.adapter.app.services.registry)


async def test_global_sync_happens_only_when_the_schema_changed(
    tmp_path: Path, fake_discord: FakeDiscord, fake_yahoo: FakeYahoo
) -> None:
    first = await start_bot(tmp_path, fake_discord, fake_yahoo)
    await stop_bot(first)
    again = await start_bot(tmp_path, fake_discord, fake_yahoo)
    assert again.last_sync == "unchanged"
    assert len(fake_discord.command_syncs) == 1
    assert (tmp_path / "data" / "discord_commands.sha256").read_text().strip()
    await stop_bot(again)
    # A changed registry is a changed schema: synced again.
    changed = App.build(again.settings, clock=pinned_clock())
    add_test_commands(changed.services.registry)
    changed.services.registry.commands.pop(("slowfail",))
    adapter = DiscordAdapter(changed, guild_ready_timeout=0.05)
    await adapter.start()
    assert adapter.last_sync == "global"
    assert len(fake_discord.command_syncs) == 2
    assert "slowfail" not in {c["name"] for c in fake_discord.command_syncs[-1][1]}
    await stop_bot(adapter)


async def test_a_development_guild_gets_its_commands_at_every_start(
    tmp_path: Path, fake_discord: FakeDiscord, fake_yahoo: FakeYahoo
) -> None:
    for _ in range(2):
        adapter = await start_bot(tmp_path, fake_discord, fake_yahoo, discord_guild_id=GUILD_ID)
        assert adapter.last_sync == "guild"
        await stop_bot(adapter)
    assert [scope for scope, _ in fake_discord.command_syncs] == [GUILD_ID, GUILD_ID]


# ---------------------------------------------------------------------- commands


async def test_quote_answers_with_one_embed_per_symbol(discord_chat: DiscordChat) -> None:
    cold = final(await discord_chat.slash("quote", symbols="SPCX AMZN"))  # Yahoo fetch
    [answer] = await discord_chat.slash("quote", symbols="SPCX AMZN")
    # Warm, it is ready within the grace: the interaction response itself, one request.
    assert (answer.route, answer.callback_type, answer.ephemeral) == ("callback", 4, False)
    assert answer.embeds == cold.embeds
    spcx, amzn = answer.embeds
    assert spcx["title"] == "SPCX · Space Exploration Technologies Corp."
    assert amzn["title"] == "AMZN · Amazon.com, Inc."
    assert spcx["color"] == 0x2ECC71  # up
    fields = fields_of(spcx)
    assert fields["Price"] == "153.20 USD"
    assert fields["Change"] == "+0.20 (+0.13%)"
    assert fields["Market cap"] == "$1.93T"
    assert all(f["inline"] for f in spcx["fields"])
    assert spcx["footer"]["text"].startswith("Yahoo Finance · NasdaqGS · USD · as of ")
    assert answer.allowed_mentions == {"parse": []}


async def test_help_lists_every_command(discord_chat: DiscordChat) -> None:
    answer = final(await discord_chat.slash("help"))
    [embed] = answer.embeds
    assert embed["title"] == "OrbitDesk commands"
    assert {"/quote", "/help", "/watch"} <= set(fields_of(embed))
    answer = final(await discord_chat.slash("help", command="quote"))
    assert answer.embeds[0]["title"].startswith("/quote <symbol...>")


async def test_a_usage_error_is_ephemeral_and_names_the_parameter(
    discord_chat: DiscordChat,
) -> None:
    [answer] = await discord_chat.slash("watch", sub="list", limit=0)
    assert (answer.callback_type, answer.ephemeral) == (4, True)
    assert answer.content == "limit: must be at least 1.\nUsage: watch list [<limit>]"
    assert answer.embeds == []


async def test_quote_at_everyone_pings_nobody(discord_chat: DiscordChat) -> None:
    [answer] = await discord_chat.slash("quote", symbols="@everyone")
    assert answer.ephemeral
    assert "everyone" in answer.content  # echoed, but...
    assert answer.allowed_mentions == {"parse": []}  # ...Discord may notify no one


async def test_a_slow_command_is_deferred_then_followed_up(discord_chat: DiscordChat) -> None:
    sent = await discord_chat.slash("slow", seconds=0.4)
    defer, answer = sent
    assert (defer.route, defer.callback_type, defer.ephemeral) == ("callback", 5, False)
    assert answer.route == "followup" and not answer.ephemeral
    assert answer.embeds[0]["title"] == "Slow answer"
    assert answer.allowed_mentions == {"parse": []}
    assert answer.at - defer.at >= 0.2  # acknowledged long before the answer was ready


async def test_an_error_after_deferring_replaces_the_placeholder_privately(
    discord_chat: DiscordChat,
) -> None:
    defer, delete, answer = await discord_chat.slash("slowfail")
    assert defer.callback_type == 5
    assert delete.route == "delete"  # the public "thinking" message goes away
    assert (answer.route, answer.ephemeral) == ("followup", True)
    assert answer.content == "No such symbol: ZZZZQ."


async def test_an_attachment_is_uploaded_and_shown_in_its_embed(
    discord_chat: DiscordChat,
) -> None:
    answer = final(await discord_chat.slash("snapshot"))
    assert answer.files == [("spcx.png", PNG)]
    assert answer.embeds[0]["image"] == {"url": "attachment://spcx.png"}


async def test_channel_commands_need_manage_channels(discord_chat: DiscordChat) -> None:
    [refused] = await discord_chat.slash("watch", sub="add", symbol="SPCX")
    assert refused.ephemeral
    assert "Manage Channels" in refused.content
    assert calls == []  # nothing changed
    allowed = final(
        await discord_chat.slash(
            "watch",
            sub="add",
            permissions=MEMBER_PERMISSIONS | MANAGE_CHANNELS,
            symbol="SPCX",
            every="hour",
            percent=2.5,
            quiet=True,
        )
    )
    assert allowed.content == "Watching SPCX every hour."
    assert calls == [{"symbol": "SPCX", "every": "hour", "percent": 2.5, "quiet": True}]


# ---------------------------------------------------------------------- autocomplete


async def test_symbols_autocomplete_from_aliases_recent_and_yahoo(
    discord_chat: DiscordChat,
) -> None:
    assert "SPCX" in await discord_chat.complete("quote", "symbols", "spa")
    # A list option completes its last word and keeps the ones before it.
    assert "SPCX AMZN" in await discord_chat.complete("quote", "symbols", "SPCX amaz")
    # Names the aliases do not know come from Yahoo's search.
    assert "RKLB" in await discord_chat.complete("quote", "symbols", "rocket")
    # Recently asked symbols come first.
    await discord_chat.slash("quote", symbols="RKLB")
    assert (await discord_chat.complete("quote", "symbols", ""))[0] == "RKLB"
    # Subcommand options complete too.
    assert "SPCX" in await discord_chat.complete("watch", "symbol", "SPC", sub="add")


async def test_autocomplete_answers_fast_when_yahoo_hangs(
    discord_chat: DiscordChat, fake_yahoo: FakeYahoo
) -> None:
    fake_yahoo.fail("search", "hang")
    loop = asyncio.get_running_loop()
    started = loop.time()
    choices = await discord_chat.complete("quote", "symbols", "amaz")
    assert loop.time() - started < 2.0
    assert choices == ["AMZN"]  # the alias, without waiting for Yahoo
    fake_yahoo.fail("search", None)


# ---------------------------------------------------------------------- posts


async def test_scheduled_posts_and_their_distinct_failures(discord_chat: DiscordChat) -> None:
    fake, adapter = discord_chat.fake, discord_chat.adapter
    await adapter.post(str(CHANNEL_ID), Response(text="@here SPCX 153.20"))
    [post] = [s for s in fake.sent if s.route == "channel"]
    assert (post.channel_id, post.content) == (str(CHANNEL_ID), "@here SPCX 153.20")
    assert post.allowed_mentions == {"parse": []}
    path = f"/channels/{CHANNEL_ID}/messages"
    fake.fail("POST", path, RestError(403, 50013, "Missing Permissions"))
    with pytest.raises(PostError) as missing:
        await adapter.post(str(CHANNEL_ID), Response(text="x"))
    assert (missing.value.reason, missing.value.permanent) == ("missing_permissions", True)
    fake.fail("POST", path, RestError(403, 50001, "Missing Access"))
    with pytest.raises(PostError) as lost:
        await adapter.post(str(CHANNEL_ID), Response(text="x"))
    assert (lost.value.reason, lost.value.permanent) == ("missing_access", True)
    with pytest.raises(PostError) as bad:
        await adapter.post("general", Response(text="x"))
    assert bad.value.reason == "bad_channel"


async def test_a_keyed_post_sent_twice_shows_once(discord_chat: DiscordChat) -> None:
    fake, adapter = discord_chat.fake, discord_chat.adapter
    key = PostKey("7-1795554300")
    await adapter.post(str(CHANNEL_ID), Response(text="SPCX 153.20"), key)
    # Taken over by another process after a crash: the same key, flagged maybe sent.
    await adapter.post(str(CHANNEL_ID), Response(text="SPCX 153.20"), replace(key, maybe_sent=True))
    [post] = [s for s in fake.sent if s.route == "channel"]
    assert post.content == "SPCX 153.20"
    # A different slot is a different message.
    await adapter.post(str(CHANNEL_ID), Response(text="SPCX 153.40"), PostKey("7-1795640700"))
    assert len([s for s in fake.sent if s.route == "channel"]) == 2


# ---------------------------------------------------------------------- connection


async def test_the_client_resumes_after_a_gateway_disconnect(discord_chat: DiscordChat) -> None:
    fake = discord_chat.fake
    await fake.disconnect(code=4000)
    await fake.wait_for(lambda f: len(f.resumes) == 1)
    assert len(fake.identifies) == 1  # resumed the session, did not log in again
    answer = final(await discord_chat.slash("help"))
    assert answer.embeds[0]["title"] == "OrbitDesk commands"


async def test_stop_finishes_in_flight_commands_then_closes_the_gateway(
    discord_chat: DiscordChat,
) -> None:
    fake, adapter = discord_chat.fake, discord_chat.adapter
    token = await fake.interact(
        fake.interaction("slow", [{"name": "seconds", "type": 10, "value": 0.3}])
    )
    await fake.wait_for(lambda f: any(s.token == token for s in f.sent))  # deferred
    await adapter.stop()
    assert [s.route for s in fake.sent if s.token == token] == ["callback", "followup"]
    await fake.wait_for(lambda f: f.closed_sockets == 1)
    assert not adapter.is_ready()


async def test_sharded_client_answers_from_the_shard_owning_the_guild(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    fake = await FakeDiscord(shards=2).start()
    try:
        adapter = await start_bot(tmp_path, fake, fake_yahoo, discord_shards="auto")
        assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 2), (1, 2)]
        answer = final(await DiscordChat(fake, adapter).slash("help"))
        assert answer.embeds[0]["title"] == "OrbitDesk commands"
        await stop_bot(adapter)
    finally:
        await fake.close()


async def test_orbitdesk_run_discord_stops_cleanly_on_sigterm(
    tmp_path: Path, fake_discord: FakeDiscord, fake_yahoo: FakeYahoo
) -> None:
    env = discord_env(tmp_path, fake_yahoo.base_url, fake_discord)
    async with bots_running(tmp_path) as bots:
        bot = await bots.launch("discord", env, name="discord")
        await fake_discord.wait_for(lambda f: len(f.identifies) == 1, timeout=20)
        token = await fake_discord.interact(fake_discord.interaction("help"))
        assert final(await fake_discord.replies(token, timeout=10)).embeds
        code = await bot.stop(timeout=15)
    output = bot.log()
    assert code == 0, output
    await fake_discord.wait_for(lambda f: f.closed_sockets == 1)
    assert "Traceback" not in output


async def test_a_user_install_answers_in_group_dms_and_servers_without_the_bot(
    discord_chat: DiscordChat,
) -> None:
    fake = discord_chat.fake
    symbols = [{"name": "symbols", "type": 3, "value": "SPCX"}]
    for guild in (None, 1_777_777_777_777_777_777):  # a group DM; a server the bot is not in
        token = await fake.interact(fake.user_install_interaction("quote", symbols, guild_id=guild))
        sent = await fake.replies(token)
        await discord_chat.adapter.drain()
        answer = final(sent)
        assert not answer.ephemeral
        assert answer.embeds[0]["title"].startswith("SPCX")


# ---------------------------------------------------------------------- cashtags


async def settled(adapter: DiscordAdapter) -> None:
    await asyncio.sleep(0.1)  # the gateway event reaches on_message
    await adapter.drain()


async def test_cashtags_are_not_read_without_the_message_content_setting(
    discord_chat: DiscordChat,
) -> None:
    fake = discord_chat.fake
    [answer] = [
        s for s in await discord_chat.slash("cashtags", state="on", permissions=MANAGE_CHANNELS)
    ]
    assert "ORBITDESK_DISCORD_MESSAGE_CONTENT=true" in answer.content  # told why nothing happens
    await fake.say("$SPCX to the moon")
    await settled(discord_chat.adapter)
    assert fake.channel_posts() == []


async def test_cashtags_get_one_reply_with_the_intent_and_the_channel_switched_on(
    tmp_path: Path, fake_discord: FakeDiscord, fake_yahoo: FakeYahoo
) -> None:
    adapter = await start_bot(tmp_path, fake_discord, fake_yahoo, discord_message_content=True)
    chat = DiscordChat(fake_discord, adapter)
    try:
        intents = fake_discord.identifies[-1]["intents"]
        # guilds, guild messages, DMs (questions), message content (cashtags)
        assert intents == 1 | 1 << 9 | 1 << 12 | 1 << 15
        await fake_discord.say("$SPCX before anyone turned it on")
        await settled(adapter)
        assert fake_discord.channel_posts() == []  # off by default
        await chat.slash("cashtags", state="on", permissions=MANAGE_CHANNELS)
        await fake_discord.say("$SPCX from another bot", bot=True)
        said = await fake_discord.say("what about $SPCX and $amzn, or $100?")
        await fake_discord.wait_for(lambda f: bool(f.channel_posts()))
        await settled(adapter)
        [reply] = fake_discord.channel_posts()
        assert reply.channel_id == str(CHANNEL_ID)
        assert reply.reference is not None and str(reply.reference["message_id"]) == said
        assert reply.allowed_mentions is not None and reply.allowed_mentions["parse"] == []
        assert reply.allowed_mentions.get("replied_user") is False
        titles = [e["title"] for e in reply.embeds]
        assert [t.split(" · ")[0] for t in titles] == ["SPCX", "AMZN"]
    finally:
        await stop_bot(adapter)
