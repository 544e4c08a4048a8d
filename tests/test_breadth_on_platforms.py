"""news, movers, options and profile through the real discord.py and slack-bolt, against the
fake Discord, the fake Slack and the fake Yahoo, all pinned to one instant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from bot.adapters.slack_adapter import SlackAdapter
from bot.app import App
from bot.clock import ManualClock
from tests.breadth_support import NOW
from tests.conftest import make_settings
from tests.fakes.slack_server import FakeSlack
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
from tests.test_discord_adapter import DiscordChat, fields_of, final


@pytest.fixture
def pinned_yahoo() -> AsyncIterator[FakeYahoo]:
    with FakeYahoo(now=NOW) as fake:
        yield fake  # type: ignore[misc]


# ------------------------------------------------------------------------------ Discord


@pytest.fixture
async def discord(tmp_path: Path, pinned_yahoo: FakeYahoo) -> AsyncIterator[DiscordChat]:
    settings = partial(make_settings, tmp_path, pinned_yahoo.base_url)
    async with running_discord_bot(lambda more: settings(**more), ManualClock(NOW)) as running_bot:
        yield DiscordChat(*running_bot)


async def test_discord_syncs_the_four_commands_with_their_options(discord: DiscordChat) -> None:
    [(_, payload)] = discord.fake.command_syncs
    by_name = {c["name"]: c for c in payload}
    assert {"news", "movers", "options", "profile"} <= set(by_name)
    options = {o["name"]: o for o in by_name["options"]["options"]}
    assert list(options) == ["symbol", "expiry", "side", "strikes"]
    assert options["symbol"]["autocomplete"] is True
    assert [c["value"] for c in options["side"]["choices"]] == ["calls", "puts", "both"]
    movers = {o["name"]: o for o in by_name["movers"]["options"]}
    assert (movers["count"]["min_value"], movers["count"]["max_value"]) == (1, 25)


async def test_discord_news_links_stay_links(discord: DiscordChat) -> None:
    answer = final(await discord.slash("news", symbols="SPCX AMZN"))
    [embed] = answer.embeds
    assert embed["title"] == "News · SPCX, AMZN"
    first = embed["fields"][0]
    assert first["name"] == "SpaceX shares edge up as Starship flight window opens"
    assert "\nhttps://finance.yahoo.com/news/" in first["value"]
    assert answer.content == ""  # links only inside the embed: Discord previews none there
    assert answer.allowed_mentions == {"parse": []}


async def test_discord_profile(discord: DiscordChat) -> None:
    answer = final(await discord.slash("profile", symbol="apple"))
    [embed] = answer.embeds
    assert embed["title"] == "AAPL · Apple Inc."
    assert embed["url"] == "https://finance.yahoo.com/quote/AAPL/profile"
    assert fields_of(embed)["P/E (trailing)"] == "38.90"
    assert embed["footer"]["text"].startswith("Yahoo Finance · profile fetched Nov 24 11:00 EST")


async def test_discord_movers(discord: DiscordChat) -> None:
    answer = final(await discord.slash("movers", kind="gainers", count=2))
    [embed] = answer.embeds
    assert embed["title"] == "Day gainers · US"
    assert list(fields_of(embed)) == ["AVGO · Broadcom Inc.", "RKLB · Rocket Lab Corporation"]
    assert embed["color"] == 0x2ECC71


async def test_discord_options(discord: DiscordChat) -> None:
    answer = final(
        await discord.slash("options", symbol="SPCX", expiry="next month", side="calls", strikes=2)
    )
    calls, expiries = answer.embeds
    assert calls["title"] == "SPCX calls · Dec 18"
    assert list(fields_of(calls)) == ["150.00 call · ITM", "155.00 call"]
    assert "Dec 18 ◀" in expiries["description"]


async def test_discord_no_options_listed_is_private(discord: DiscordChat) -> None:
    answer = final(await discord.slash("options", symbol="BTC-USD"))
    assert answer.ephemeral
    assert "BTC-USD has no options listed on Yahoo Finance." in (
        answer.content + "".join(e.get("description", "") for e in answer.embeds)
    )


# ------------------------------------------------------------------------------ Slack


@pytest.fixture
async def slack(
    tmp_path: Path, pinned_yahoo: FakeYahoo
) -> AsyncIterator[tuple[SlackAdapter, FakeSlack]]:
    async with FakeSlack() as fake:
        settings = make_settings(
            tmp_path,
            pinned_yahoo.base_url,
            slack_bot_token=BOT_TOKEN,
            slack_app_token=APP_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_base=fake.api_base,
            slack_mode="http",
            http_host="127.0.0.1",
            http_port=0,
        )
        async with running(App.build(settings, clock=ManualClock(NOW))) as adapter:
            yield adapter, fake


async def ask(pair: tuple[SlackAdapter, FakeSlack], command: str, text: str) -> dict:  # type: ignore[type-arg]
    adapter, fake = pair
    payload = slash_payload(fake, command, text)
    answer: dict = await answer_of(fake, port_of(adapter), payload)  # type: ignore[type-arg]
    return answer


def _headers(answer: dict) -> list[str]:  # type: ignore[type-arg]
    return [b["text"]["text"] for b in answer["blocks"] if b["type"] == "header"]


def _fields(answer: dict) -> list[str]:  # type: ignore[type-arg]
    return [
        f["text"]
        for b in answer["blocks"]
        if b["type"] == "section" and "fields" in b
        for f in b["fields"]
    ]


async def test_slack_news_never_unfurls(slack: tuple[SlackAdapter, FakeSlack]) -> None:
    answer = await ask(slack, "/news", "SPCX")
    assert answer["unfurl_links"] is False and answer["unfurl_media"] is False
    assert answer["response_type"] == "in_channel"
    assert _headers(answer) == ["News · SPCX"]
    first = _fields(answer)[0]
    assert first.startswith("*SpaceX shares edge up as Starship flight window opens*\n")
    assert "https://finance.yahoo.com/news/" in first


async def test_slack_profile(slack: tuple[SlackAdapter, FakeSlack]) -> None:
    answer = await ask(slack, "/profile", "SPCX")
    assert _headers(answer) == ["SPCX · Space Exploration Technologies Corp."]
    assert "*Sector*\nIndustrials" in _fields(answer)


async def test_slack_movers(slack: tuple[SlackAdapter, FakeSlack]) -> None:
    answer = await ask(slack, "/movers", "active count=2")
    assert _headers(answer) == ["Most active · US"]
    assert len(_fields(answer)) == 2


async def test_slack_options(slack: tuple[SlackAdapter, FakeSlack]) -> None:
    answer = await ask(slack, "/options", "SPCX dec puts strikes=2")
    assert _headers(answer) == ["SPCX puts · Dec 18", "SPCX expiries"]
    assert _fields(answer)[1].startswith("*155.00 put · ITM*\nbid ")
    wrong = await ask(slack, "/options", "SPCX 2026-12-19")
    assert wrong["response_type"] == "ephemeral"
    assert wrong["text"].startswith("No options expire on 2026-12-19.")
