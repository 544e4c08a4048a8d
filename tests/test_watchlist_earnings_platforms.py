"""watchlist and earnings through the real Discord and Slack adapters, against their fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.slack_adapter import SlackAdapter
from bot.app import App
from bot.clock import ManualClock
from tests.conftest import make_settings
from tests.fakes.discord_server import MANAGE_CHANNELS, MEMBER_PERMISSIONS
from tests.fakes.slack_server import FakeSlack, FakeUser
from tests.fakes.yahoo_earnings import FakeEarnings, at_new_york
from tests.fakes.yahoo_server import FakeYahoo
from tests.platform_support import running_discord_bot
from tests.slack_support import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    answer_of,
    port_of,
    running,
    slash_payload,
)
from tests.slack_support import slack as slack  # a fixture, shared
from tests.test_discord_adapter import DiscordChat, final

WEDNESDAY_10AM = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 10:00 EST


@pytest.fixture
def yahoo() -> Iterator[FakeYahoo]:
    with FakeYahoo(now=WEDNESDAY_10AM) as fake:
        fake.earnings["NVDA"] = FakeEarnings(
            next_report=at_new_york(date(2026, 12, 3), 16, 20),
            history=[(date(2026, 7, 26), 1.05, 1.01)],
        )
        yield fake


# ---------------------------------------------------------------------- Discord


@pytest.fixture
async def discord(tmp_path: Path, yahoo: FakeYahoo) -> AsyncIterator[DiscordChat]:
    settings = partial(make_settings, tmp_path, yahoo.base_url)
    async with running_discord_bot(
        lambda more: settings(**more), ManualClock(WEDNESDAY_10AM)
    ) as running:
        yield DiscordChat(*running)


async def test_discord_watchlist_add_quote_and_channel_permission(discord: DiscordChat) -> None:
    added = final(await discord.slash("watchlist", sub="add", symbols="NVDA AMZN"))
    assert added.content == "Added NVDA, AMZN to your watchlist. It holds 2 of 50."
    refused = final(await discord.slash("watchlist", sub="add", symbols="TSLA", list="channel"))
    assert refused.ephemeral
    assert "changed only by people who manage the channel" in refused.content
    allowed = final(
        await discord.slash(
            "watchlist",
            sub="add",
            symbols="TSLA",
            list="channel",
            permissions=MEMBER_PERMISSIONS | MANAGE_CHANNELS,
        )
    )
    assert allowed.content == "Added TSLA to this channel's watchlist. It holds 1 of 50."
    quoted = final(await discord.slash("watchlist", sub="quote"))
    [embed] = quoted.embeds
    assert embed["title"] == "Watchlist · yours 2 · this channel's 1"
    lines = embed["description"].splitlines()
    assert [line.split()[0] for line in lines] == ["NVDA", "AMZN", "TSLA"]
    assert lines[2].endswith("· channel")
    assert embed["footer"]["text"].startswith("Yahoo Finance · prices as of Dec 2 10:00 EST")
    shown = final(await discord.slash("watchlist", sub="show", which="mine"))
    assert shown.embeds[0]["fields"][0]["value"] == "NVDA, AMZN"


async def test_discord_earnings(discord: DiscordChat) -> None:
    answer = final(await discord.slash("earnings", symbols="NVDA QQQ"))
    nvda, note = answer.embeds
    assert nvda["title"] == "NVDA · NVIDIA Corporation · earnings"
    fields = {f["name"]: f["value"] for f in nvda["fields"]}
    assert fields["Next report"] == "Thu Dec 3, 2026, after close"
    assert (
        fields["Last 1 quarters"]
        == "Quarter to Jul 26, 2026: EPS 1.05 vs 1.01 est · surprise +4.0%"
    )
    assert note["description"] == "QQQ is an ETF: it reports no earnings."
    week = final(await discord.slash("earnings"))
    assert week.content.startswith("Nothing is watched here yet")


# ---------------------------------------------------------------------- Slack


@pytest.fixture
async def slack_adapter(
    tmp_path: Path, yahoo: FakeYahoo, slack: FakeSlack
) -> AsyncIterator[SlackAdapter]:
    settings = make_settings(
        tmp_path,
        yahoo.base_url,
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_base=slack.api_base,
        slack_mode="http",
        http_host="127.0.0.1",
        http_port=0,
    )
    app = App.build(settings, clock=ManualClock(WEDNESDAY_10AM))
    async with running(app) as started:
        yield started


async def ask(
    adapter: SlackAdapter, slack: FakeSlack, command: str, text: str, **who: str
) -> dict[str, Any]:
    payload = slash_payload(slack, command, text, **who)
    return await answer_of(slack, port_of(adapter), payload)


async def test_slack_watchlist_member_and_admin(
    slack_adapter: SlackAdapter, slack: FakeSlack
) -> None:
    slack.users["U0BOB"] = FakeUser("U0BOB", "bob")
    slack.users["U0ADA"] = FakeUser("U0ADA", "ada", is_admin=True)
    bob = {"user_id": "U0BOB", "user_name": "bob"}
    mine = await ask(slack_adapter, slack, "/watchlist", "add AMZN", **bob)
    assert mine["text"] == "Added AMZN to your watchlist. It holds 1 of 50."
    refused = await ask(slack_adapter, slack, "/watchlist", "add NVDA list:channel", **bob)
    assert refused["response_type"] == "ephemeral"
    assert "changed only by people who manage the channel" in refused["text"]
    ada = {"user_id": "U0ADA", "user_name": "ada"}
    allowed = await ask(slack_adapter, slack, "/watchlist", "add NVDA list:channel", **ada)
    assert allowed["text"] == "Added NVDA to this channel's watchlist. It holds 1 of 50."
    quoted = await ask(slack_adapter, slack, "/watchlist", "", **bob)
    assert quoted["response_type"] == "in_channel"
    assert quoted["text"].splitlines()[0] == "Watchlist · yours 1 · this channel's 1"
    assert [line.split()[0] for line in quoted["text"].splitlines()[1:3]] == ["AMZN", "NVDA"]


async def test_slack_earnings_and_week(slack_adapter: SlackAdapter, slack: FakeSlack) -> None:
    answer = await ask(slack_adapter, slack, "/earnings", "NVDA")
    assert answer["text"].startswith("NVDA: next report Thu Dec 3, 2026, after close")
    await ask(slack_adapter, slack, "/watchlist", "add NVDA")
    week = await ask(slack_adapter, slack, "/earnings", "week")
    assert week["text"].splitlines()[:2] == [
        "Earnings this week (Nov 30 – Dec 6) · 1 of 1 watched",
        "Thu Dec 3, 2026, after close · NVDA (NVIDIA Corporation)",
    ]
