"""Schedules and alerts made from Discord and Slack, posted by the scheduler through them.

The real discord.py and slack-bolt talk to their fakes on 127.0.0.1; the clock is injected, so
the scheduler's tick runs at 16:05 New York time without anyone waiting for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from bot.adapters.discord_adapter import DiscordAdapter
from bot.adapters.slack_adapter import SlackAdapter
from bot.app import App
from bot.clock import ManualClock
from bot.http_server import HttpServer
from tests.conftest import make_settings
from tests.fakes.discord_server import CHANNEL_ID, MANAGE_CHANNELS, MEMBER_PERMISSIONS, FakeDiscord
from tests.fakes.slack_server import FakeSlack, FakeUser
from tests.fakes.yahoo_server import FakeYahoo
from tests.platform_support import running_discord_bot
from tests.slack_support import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    answer_of,
    slash_payload,
)

TUESDAY_3PM = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 15:00 New York
CLOSE_PLUS_5 = datetime(2026, 11, 24, 21, 5, tzinfo=UTC)  # 16:05 New York


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(TUESDAY_3PM)


@pytest.fixture
async def discord_bot(
    tmp_path: Path, fake_yahoo: FakeYahoo, clock: ManualClock
) -> AsyncIterator[tuple[FakeDiscord, DiscordAdapter]]:
    fake_yahoo.now = clock.now
    settings = partial(make_settings, tmp_path, fake_yahoo.base_url)
    async with running_discord_bot(lambda more: settings(**more), clock) as running:
        yield running


async def slash(
    fake: FakeDiscord, adapter: DiscordAdapter, sub: str, permissions: int, **opts: str
):
    group, name = sub.split()
    options = [{"name": name, "type": 1, "options": [
        {"name": k, "type": 3, "value": v} for k, v in opts.items()
    ]}]  # fmt: skip
    token = await fake.interact(fake.interaction(group, options, permissions=permissions))
    replies = await fake.replies(token)
    await adapter.drain()
    return next(s for s in replies if s.final)


async def test_discord_schedule_posts_into_its_channel_at_close_plus_five(
    discord_bot: tuple[FakeDiscord, DiscordAdapter], clock: ManualClock
) -> None:
    fake, adapter = discord_bot
    refused = await slash(
        fake, adapter, "schedule add", MEMBER_PERMISSIONS, symbols="SPCX AMZN", at="close+5m"
    )
    assert refused.ephemeral and "Manage Channels" in refused.content
    manager = MEMBER_PERMISSIONS | MANAGE_CHANNELS
    added = await slash(fake, adapter, "schedule add", manager, symbols="SPCX AMZN", at="close+5m")
    assert not added.ephemeral
    assert "Schedule #1 added" in (added.content + str(added.embeds))
    clock.current = CLOSE_PLUS_5
    report = await adapter.app.scheduler.tick(CLOSE_PLUS_5)
    assert report.posted == 1
    [post] = [s for s in fake.sent if s.route == "channel"]
    assert post.channel_id == str(CHANNEL_ID)
    assert post.allowed_mentions == {"parse": []}
    [embed] = post.embeds
    assert embed["title"] == "Prices · Tue Nov 24 16:05 EST"
    assert [f["name"] for f in embed["fields"]] == ["SPCX", "AMZN"]
    assert embed["fields"][0]["value"].startswith("153.20 USD +0.20 (+0.13%)")


async def test_discord_alert_fires_once_into_its_channel(
    discord_bot: tuple[FakeDiscord, DiscordAdapter], fake_yahoo: FakeYahoo, clock: ManualClock
) -> None:
    fake, adapter = discord_bot
    fake_yahoo.set_state("SPCX", "REGULAR")
    manager = MEMBER_PERMISSIONS | MANAGE_CHANNELS
    added = await slash(
        fake, adapter, "alert add", manager, symbol="SPCX", condition="above", value="160"
    )
    assert "Alert #1" in (added.content + str(added.embeds))
    await adapter.app.scheduler.tick(TUESDAY_3PM)
    assert [s for s in fake.sent if s.route == "channel"] == []  # 153.20: below the line
    fake_yahoo.symbols["SPCX"] = replace(fake_yahoo.symbols["SPCX"], price=161.0)
    clock.advance(120)  # past the quote cache's 15 s and the alert poll interval
    await adapter.app.scheduler.tick(clock.now())
    posts = [s for s in fake.sent if s.route == "channel"]
    assert len(posts) == 1
    assert posts[0].channel_id == str(CHANNEL_ID)
    assert "SPCX" in str(posts[0].embeds) and "161.00" in str(posts[0].embeds)
    clock.advance(120)
    await adapter.app.scheduler.tick(clock.now())
    assert len([s for s in fake.sent if s.route == "channel"]) == 1  # fired once, not again


async def test_slack_schedule_from_an_admin_posts_with_chat_post_message(
    tmp_path: Path, fake_yahoo: FakeYahoo, clock: ManualClock
) -> None:
    async with FakeSlack(users={"U0BOSS": FakeUser("U0BOSS", "boss", is_admin=True)}) as slack:
        settings = make_settings(
            tmp_path,
            fake_yahoo.base_url,
            slack_bot_token=BOT_TOKEN,
            slack_app_token=APP_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_base=slack.api_base,
            slack_mode="http",
            http_host="127.0.0.1",
            http_port=0,
        )
        fake_yahoo.now = clock.now
        app = App.build(settings, clock=clock)
        await app.start()
        adapter = SlackAdapter(app)
        http = HttpServer("127.0.0.1", 0, app.metrics)
        http.app.add_routes(adapter.routes())
        await http.start()
        await adapter.start()
        app.services.adapters = {"slack": adapter}
        try:
            port = http.bound_port
            assert port is not None
            asked = slash_payload(slack, "/schedule", "add SPCX at=close+5m", user_id="U0ADA")
            refused = await answer_of(slack, port, asked)
            assert refused["response_type"] == "ephemeral"
            assert "admin" in refused["text"]
            boss = slash_payload(
                slack, "/schedule", "add SPCX at=close+5m", user_id="U0BOSS", user_name="boss"
            )
            added = await answer_of(slack, port, boss)
            assert (
                "Schedule #1" in added["text"]
                and "Next post: Tue Nov 24 16:05 EST" in (added["text"])
            )
            clock.current = CLOSE_PLUS_5
            report = await app.scheduler.tick(CLOSE_PLUS_5)
            assert report.posted == 1
            [post] = [c for c in slack.calls if c.method == "chat.postMessage"]
            assert post.params["channel"] == "C0MARKETS"
            assert "SPCX  153.20 USD" in post.params["text"]
        finally:
            await adapter.stop()
            await http.stop()
            await app.close()
