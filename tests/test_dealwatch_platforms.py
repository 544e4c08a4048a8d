"""The EDGAR deal watch end to end on Discord and Slack, and through the real process.

In-process: the real discord.py and slack-bolt adapters against their fakes, the fake EDGAR
and a pinned clock. A channel manager turns the watch on, a member is refused; the fake EDGAR
serves the target's Form 25-NSE and the acquirer's 8-K Item 2.01; one poll finds the change,
the scheduler's tick posts it into the channel exactly once, and `/acquisition` then shows
"completed" with the filing link and the curated status it replaced.

As processes: `orbitdesk ask` prints a pending deal's freshness (the deal book's as-of date),
and `orbitdesk run discord` polls the fake EDGAR soon after start, declaring its User-Agent,
while /healthz answers OK. The processes run on the real clock, so nothing asserted about them
depends on today's date.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.slack_adapter import SlackAdapter
from bot.app import App
from bot.clock import ManualClock
from tests.conftest import make_settings
from tests.fakes.discord_server import (
    CHANNEL_ID,
    GUILD_ID,
    MANAGE_CHANNELS,
    MEMBER_PERMISSIONS,
    FakeDiscord,
)
from tests.fakes.edgar_server import FakeEdgar
from tests.fakes.slack_server import FakeSlack, FakeUser
from tests.fakes.yahoo_server import FakeYahoo
from tests.platform_support import running_discord_bot
from tests.run_support import base_env, bots_running, discord_env
from tests.slack_support import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    answer_of,
    port_of,
    running,
    slash_payload,
)
from tests.test_dealwatch import NOW, UA, close_the_deal, user_data
from tests.test_dealwatch import edgar as edgar  # the fixture, shared
from tests.test_discord_adapter import DiscordChat, fields_of, final

FILING_URL = (
    "https://www.sec.gov/Archives/edgar/data/1000001/000000000126000200/"
    "0000000001-26-000200-index.htm"
)
TITLE = "Deal status: Acme Rockets → Widget Orbital is now completed"


@pytest.fixture
def pinned_yahoo() -> Iterator[FakeYahoo]:
    with FakeYahoo(now=NOW) as fake:
        yield fake


def watch_settings(tmp_path: Path, yahoo: FakeYahoo, edgar: FakeEdgar, **more: Any) -> Any:
    user_data(tmp_path)  # the made-up pending deal Acme Rockets -> Widget Orbital
    return make_settings(
        tmp_path,
        yahoo.base_url,
        sec_user_agent=UA,
        edgar_base_url=edgar.base_url,
        edgar_rate=8,
        **more,
    )


async def poll_and_tick_twice(app: App) -> None:
    """One poll finds the change; two scheduler ticks (a minute apart) post what is due."""
    report = await app.services.dealwatch.poll(NOW)
    assert report.polled and report.status_changes == 1, report
    assert (await app.scheduler.tick(NOW + timedelta(minutes=1))) is not None
    await app.scheduler.tick(NOW + timedelta(minutes=2))


# ---------------------------------------------------------------------- Discord


@pytest.fixture
async def discord(
    tmp_path: Path, pinned_yahoo: FakeYahoo, edgar: FakeEdgar
) -> AsyncIterator[DiscordChat]:
    settings = partial(watch_settings, tmp_path, pinned_yahoo, edgar)
    async with running_discord_bot(lambda more: settings(**more), ManualClock(NOW)) as running:
        yield DiscordChat(*running)


async def test_discord_a_filed_completion_is_posted_once_and_shown_by_acquisition(
    discord: DiscordChat, edgar: FakeEdgar
) -> None:
    fake, app = discord.fake, discord.adapter.app
    refused = final(await discord.slash("dealwatch", sub="on"))
    assert refused.ephemeral and "Manage Channels" in refused.content
    on = final(
        await discord.slash("dealwatch", sub="on", permissions=MEMBER_PERMISSIONS | MANAGE_CHANNELS)
    )
    assert "This channel will get deal status changes found in SEC filings." in (
        on.content + json.dumps(on.embeds)
    )
    before = final(await discord.slash("acquisition", target="widget"))
    assert fields_of(before.embeds[0])["Status"].startswith("pending")

    close_the_deal(edgar)
    await poll_and_tick_twice(app)
    posts = [s for s in fake.sent if s.route == "channel"]
    assert len(posts) == 1, posts  # the second tick posted nothing
    [post] = posts
    assert post.channel_id == str(CHANNEL_ID)
    assert post.allowed_mentions == {"parse": []}
    [embed] = post.embeds
    assert embed["title"] == TITLE and embed["url"] == FILING_URL
    assert fields_of(embed)["Was (deal book)"] == "pending (as of 2026-10-01)"
    assert (str(CHANNEL_ID), "deal-1.0") in fake._nonces  # keyed: a retry is shown once
    await app.scheduler.tick(NOW + timedelta(minutes=30))
    assert len([s for s in fake.sent if s.route == "channel"]) == 1

    answer = final(await discord.slash("acquisition", target="widget"))
    fields = fields_of(answer.embeds[0])
    assert fields["Status"].startswith("completed per an SEC filing of 2026-11-23")
    assert "(the deal book said: pending (as of 2026-10-01))" in fields["Status"]
    assert FILING_URL in fields["Changed by"]
    assert {r.user_agent for r in edgar.requests} == {UA}


# ---------------------------------------------------------------------- Slack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    users = {
        "U0BOB": FakeUser("U0BOB", "bob"),
        "U0BOSS": FakeUser("U0BOSS", "boss", is_admin=True),
    }
    async with FakeSlack(users=users) as fake:
        yield fake


@pytest.fixture
async def slack_adapter(
    tmp_path: Path, pinned_yahoo: FakeYahoo, edgar: FakeEdgar, slack: FakeSlack
) -> AsyncIterator[SlackAdapter]:
    settings = watch_settings(
        tmp_path,
        pinned_yahoo,
        edgar,
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_base=slack.api_base,
        slack_mode="http",
        http_host="127.0.0.1",
        http_port=0,
    )
    async with running(App.build(settings, clock=ManualClock(NOW))) as adapter:
        adapter.app.services.adapters = {"slack": adapter}
        yield adapter


async def ask(
    adapter: SlackAdapter, slack: FakeSlack, command: str, text: str, user: str
) -> dict[str, Any]:
    payload = slash_payload(slack, command, text, user_id=user, user_name=user[2:].lower())
    return await answer_of(slack, port_of(adapter), payload)


async def test_slack_a_filed_completion_is_posted_once_and_shown_by_acquisition(
    slack_adapter: SlackAdapter, slack: FakeSlack, edgar: FakeEdgar
) -> None:
    refused = await ask(slack_adapter, slack, "/dealwatch", "on", "U0BOB")
    assert refused["response_type"] == "ephemeral" and "admin" in refused["text"]
    on = await ask(slack_adapter, slack, "/dealwatch", "on", "U0BOSS")
    assert on["text"] == "This channel will get deal status changes found in SEC filings."
    before = await ask(slack_adapter, slack, "/acquisition", "widget", "U0BOB")
    assert "pending" in before["text"]

    close_the_deal(edgar)
    await poll_and_tick_twice(slack_adapter.app)
    posts = [c for c in slack.calls if c.method == "chat.postMessage"]
    assert len(posts) == 1, posts  # the second tick posted nothing
    [post] = posts
    assert post.params["channel"] == "C0MARKETS"
    assert post.params["text"].startswith(TITLE)
    assert FILING_URL in post.params["text"]
    assert "(the deal book said pending as of 2026-10-01)" in post.params["text"]
    metadata = post.params["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata["event_payload"] == {"slot": "deal-1"}
    await slack_adapter.app.scheduler.tick(NOW + timedelta(minutes=30))
    assert len([c for c in slack.calls if c.method == "chat.postMessage"]) == 1

    answer = await ask(slack_adapter, slack, "/acquisition", "widget", "U0BOB")
    blocks = json.dumps(answer["blocks"])
    assert "completed per an SEC filing of 2026-11-23" in blocks
    assert "the deal book said: pending (as of 2026-10-01)" in blocks
    assert FILING_URL in blocks


# ---------------------------------------------------------------------- the real process


def test_orbitdesk_ask_prints_a_pending_deals_freshness(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    """The bundled deal book is as of 2026-06-26; Cursor's expected close is Q3 2026. Which
    of the two freshness phrases shows depends on today, so both are accepted: the as-of
    date of the data is what must be there."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "acquisition cursor"],
        env=base_env(tmp_path, fake_yahoo.base_url),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [status] = [line for line in done.stdout.splitlines() if re.match(r"\W*Status\s", line)]
    assert re.search(
        r"pending( \(as of 2026-06-26\)|: expected close \(Q3 2026\) passed; "
        r"status unconfirmed since 2026-06-26)$",
        status,
    ), status
    assert "status as of 2026-06-26" in done.stdout  # the footer


async def subscribe_beforehand(tmp_path: Path, yahoo: FakeYahoo) -> None:
    """Turn the watch on in the Discord channel in the process's database, before it runs."""
    app = App.build(make_settings(tmp_path, yahoo.base_url))
    await app.start()
    try:
        since = datetime(2026, 1, 1, tzinfo=UTC)
        store = app.services.dealwatch.store
        assert await store.subscribe("discord", str(CHANNEL_ID), str(GUILD_ID), "u1", since)
    finally:
        await app.close()


async def test_orbitdesk_run_discord_checks_edgar_at_start_and_posts_the_change(
    tmp_path: Path, fake_yahoo: FakeYahoo, edgar: FakeEdgar
) -> None:
    """The real process on the real clock (any day of the week): soon after start the deal
    watch polls the fake EDGAR with the declared User-Agent, finds the filed completion and
    posts it into the subscribed channel, while /healthz is OK."""
    user_data(tmp_path)
    close_the_deal(edgar)
    await subscribe_beforehand(tmp_path, fake_yahoo)
    discord = await FakeDiscord().start()
    env = discord_env(
        tmp_path, fake_yahoo.base_url, discord, sec_user_agent=UA, edgar_base_url=edgar.base_url
    )
    try:
        async with bots_running(tmp_path) as bots:
            bot = await bots.start("discord", env, name="discord", ready_timeout=20)
            posts: list[Any] = []
            for _ in range(600):
                posts = [s for s in discord.sent if s.route == "channel"]
                if posts or not bot.running:
                    break
                await asyncio.sleep(0.05)
            code = await bot.stop(timeout=20)
    finally:
        await discord.close()
    output = bot.log()
    health = bot.health
    assert health["status"] == "ok" and health["checks"]["database"] is True, health
    submissions = edgar.paths("/data.sec.gov/submissions/")
    assert "/data.sec.gov/submissions/CIK0001000001.json" in submissions, edgar.paths()
    assert "/data.sec.gov/submissions/CIK0001000002.json" in submissions
    assert {r.user_agent for r in edgar.requests} == {UA}
    assert [p.embeds[0]["title"] for p in posts] == [TITLE], output
    assert posts[0].channel_id == str(CHANNEL_ID)
    assert code == 0, output
    assert "Traceback" not in output
