"""Slack for many workspaces: the OAuth install, a token per workspace, uninstall.

The real slack-bolt app is served by the bot's HTTP listener on loopback; the fake Slack plays
slack.com (oauth.v2.access, the Web API) and records the token every call carried. The
installation lands in the bot's own database (tables from the project's migrations), on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, inspect, text

from bot.adapters.slack_adapter import SlackAdapter, settings_problem
from bot.app import App
from bot.response import Response
from bot.store.db import Database
from bot.store.watchlists import ListKey
from tests import probe_commands
from tests.conftest import PINNED_NOW, make_settings, pinned_clock
from tests.fakes.slack_server import FakeSlack, FakeUser
from tests.fakes.yahoo_server import FakeYahoo
from tests.run_support import base_env, bots_running, run_until_exit
from tests.slack_support import (
    SIGNING_SECRET,
    answer_of,
    port_of,
    post_form,
    record_dispatches,
    running,
    sign,
    slash_payload,
)
from tests.store_fixtures import DatabaseFactory

STATE_SECRET = "state-secret-for-tests"
TEAM, TEAM_TOKEN = "T0NEW", "xoxb-team-new"
OTHER, OTHER_TOKEN = "T0OTHER", "xoxb-team-other"


def oauth_app(
    tmp_path: Path,
    fake_yahoo: FakeYahoo,
    slack: FakeSlack,
    *,
    database_url: str | None = None,
    **overrides: Any,
) -> App:
    settings = make_settings(
        tmp_path,
        fake_yahoo.base_url,
        slack_mode="http",
        slack_signing_secret=SIGNING_SECRET,
        slack_client_id=slack.client_id,
        slack_client_secret=slack.client_secret,
        slack_state_secret=STATE_SECRET,
        slack_api_base=slack.api_base,
        http_host="127.0.0.1",
        http_port=0,
        database_url=database_url,
        **overrides,
    )
    app = App.build(settings, clock=pinned_clock())
    app.services.registry.add_module(probe_commands)
    return app


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None: the default SQLite file in the data dir; else a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


async def install(port: int, slack: FakeSlack, code: str, team: str, token: str) -> int:
    """An admin's browser: /slack/install, Slack's Allow (the fake grants `code`), redirect."""
    slack.grant(code, team, token)
    async with aiohttp.ClientSession() as browser:
        async with browser.get(
            f"http://127.0.0.1:{port}/slack/install", allow_redirects=False
        ) as start:
            assert start.status == 302, await start.text()
            location = start.headers["Location"]
            # The cookie is Secure (the bot is behind https in production): send it by hand.
            cookie = start.cookies["slack-app-oauth-state"]
        state = parse_qs(urlsplit(location).query)["state"][0]
        async with browser.get(
            f"http://127.0.0.1:{port}/slack/oauth_redirect",
            params={"code": code, "state": state},
            headers={"Cookie": f"{cookie.key}={cookie.value}"},
            allow_redirects=False,
        ) as back:
            await back.read()
            return back.status


async def bots(database: Database) -> list[tuple[str, str]]:
    async with database.engine.connect() as conn:
        rows = await conn.execute(text("SELECT team_id, bot_token FROM slack_bots ORDER BY id"))
        return [(r[0], r[1]) for r in rows]


async def post_event(port: int, team: str, event: dict[str, Any]) -> int:
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A0ORBIT",
            "type": "event_callback",
            "event_id": f"Ev{team}{event['type']}",
            "event_time": int(time.time()),
            "event": event,
        }
    ).encode()
    headers = {**sign(body), "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as resp,
    ):
        await resp.read()
        return resp.status


async def add_slack_schedule(app: App, team: str, channel: str) -> int:
    row = await app.store.add_schedule(
        platform="slack",
        channel_id=channel,
        guild_id=team,
        created_by="U0ADA",
        symbols="SPCX",
        at="21:25",  # five minutes before the pinned now: due at the next tick
        days="daily",
        tz="UTC",
        calendar=None,
        holidays=True,
        paused=False,
        next_due=PINNED_NOW - timedelta(minutes=5),
        created_at=PINNED_NOW,
    )
    return row.id


async def add_slack_alert(app: App, team: str, channel: str) -> int:
    row = await app.store.add_alert(
        platform="slack",
        channel_id=channel,
        guild_id=team,
        created_by="U0ADA",
        symbol="SPCX",
        kind="above",
        threshold=999.0,
        armed=True,
        fire_count=0,
        created_at=PINNED_NOW,
    )
    return row.id


async def test_install_then_each_workspace_is_answered_and_posted_to_with_its_own_token(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack, database_url: str | None
) -> None:
    app = oauth_app(tmp_path, fake_yahoo, slack, database_url=database_url)
    async with running(app) as adapter:
        port = port_of(adapter)
        async with (
            aiohttp.ClientSession() as browser,
            browser.get(f"http://127.0.0.1:{port}/slack/install", allow_redirects=False) as start,
        ):
            assert start.status == 302
            location = urlsplit(start.headers["Location"])
            assert "slack-app-oauth-state" in start.cookies
        assert (location.scheme, location.netloc, location.path) == (
            "https",
            "slack.com",
            "/oauth/v2/authorize",
        )
        query = parse_qs(location.query)
        assert query["client_id"] == [slack.client_id]
        assert {"commands", "chat:write", "files:write"} <= set(query["scope"][0].split(","))
        assert query["state"][0].count(".") == 1  # signed with ORBITDESK_SLACK_STATE_SECRET

        assert await install(port, slack, "code-new", TEAM, TEAM_TOKEN) == 200
        assert await install(port, slack, "code-other", OTHER, OTHER_TOKEN) == 200
        [exchange, _] = slack.calls_to("oauth.v2.access")
        assert exchange.params["code"] == "code-new"
        assert await bots(app.database) == [(TEAM, TEAM_TOKEN), (OTHER, OTHER_TOKEN)]

        # A command from the new workspace: users.info (is this user an admin?) is asked
        # with that workspace's token, and the answer comes back.
        slack.users["U0ADA"] = FakeUser("U0ADA", "ada", is_admin=True)
        for team in (TEAM, OTHER):
            payload = slash_payload(slack, "/probe", "guard") | {"team_id": team}
            answer = await answer_of(slack, port, payload)
            assert "allowed" in answer["text"].lower() or answer.get("response_type")
        assert [c.token for c in slack.calls_to("users.info")] == [TEAM_TOKEN, OTHER_TOKEN]

        # Scheduled posts go out with the token of the schedule's workspace.
        app.services.adapters = {"slack": adapter}
        await add_slack_schedule(app, TEAM, "C0NEW")
        await add_slack_schedule(app, OTHER, "C0OTHER")
        report = await app.scheduler.tick(PINNED_NOW)
        assert report.posted == 2, report
        posts = {c.params["channel"]: c.token for c in slack.calls_to("chat.postMessage")}
        assert posts == {"C0NEW": TEAM_TOKEN, "C0OTHER": OTHER_TOKEN}


async def test_uninstall_deletes_the_workspace_installation_schedules_and_alerts(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack, database_url: str | None
) -> None:
    app = oauth_app(tmp_path, fake_yahoo, slack, database_url=database_url)
    async with running(app) as adapter:
        port = port_of(adapter)
        assert await install(port, slack, "c1", TEAM, TEAM_TOKEN) == 200
        assert await install(port, slack, "c2", OTHER, OTHER_TOKEN) == 200
        gone = await add_slack_schedule(app, TEAM, "C0NEW")
        gone_alert = await add_slack_alert(app, TEAM, "C0NEW")
        kept = await add_slack_schedule(app, OTHER, "C0OTHER")
        kept_alert = await add_slack_alert(app, OTHER, "C0OTHER")
        # Its watchlists and deal-watch subscriptions go with it.
        lists = app.store.watchlists
        mine, theirs = (
            ListKey.of_user("slack", TEAM, "U0ADA"),
            ListKey.of_user("slack", OTHER, "U0B"),
        )
        for key in (mine, theirs):
            await lists.add(key, ["SPCX"], by="U0ADA", now=PINNED_NOW, limit=50)
        watch = app.services.dealwatch.store
        await watch.subscribe("slack", "C0NEW", TEAM, "U0ADA", PINNED_NOW)
        await watch.subscribe("slack", "C0OTHER", OTHER, "U0B", PINNED_NOW)

        assert await post_event(port, TEAM, {"type": "app_uninstalled"}) == 200
        await _until(lambda: _gone(app, gone))
        assert await bots(app.database) == [(OTHER, OTHER_TOKEN)]
        assert await app.store.get_alert(gone_alert) is None
        assert await app.store.get_schedule(kept) is not None
        assert await app.store.get_alert(kept_alert) is not None
        assert (await lists.symbols(mine), await lists.symbols(theirs)) == ([], ["SPCX"])
        assert await watch.subscription("slack", "C0NEW") is None
        assert await watch.subscription("slack", "C0OTHER") is not None

        # A post for the workspace that left fails for good (the schedule would be disabled).
        with pytest.raises(Exception, match="not installed") as failed:
            await adapter.post("C0NEW", Response(text="x"), guild_id=TEAM)
        assert getattr(failed.value, "permanent", False) is True

        # tokens_revoked for the bot token does the same for the other workspace.
        event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}}
        assert await post_event(port, OTHER, event) == 200
        await _until(lambda: _gone(app, kept))
        assert await bots(app.database) == []
        assert await app.store.get_alert(kept_alert) is None


async def _gone(app: App, schedule_id: int) -> bool:
    return await app.store.get_schedule(schedule_id) is None


async def _until(check: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


@pytest.mark.parametrize(
    "state", ["made-up", "00000000-0000-0000-0000-000000000000.forged-signature"]
)
async def test_a_state_the_bot_did_not_sign_never_reaches_oauth_access(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack, state: str
) -> None:
    app = oauth_app(tmp_path, fake_yahoo, slack)
    async with running(app) as adapter:
        slack.grant("code", TEAM, TEAM_TOKEN)
        cookie = {"Cookie": f"slack-app-oauth-state={state}"}  # even with a matching cookie
        async with (
            aiohttp.ClientSession() as browser,
            browser.get(
                f"http://127.0.0.1:{port_of(adapter)}/slack/oauth_redirect",
                params={"code": "code", "state": state},
                headers=cookie,
            ) as back,
        ):
            assert back.status in (400, 401)
    assert slack.calls_to("oauth.v2.access") == []


async def test_a_command_from_a_workspace_without_an_installation_is_not_run(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack
) -> None:
    app = oauth_app(tmp_path, fake_yahoo, slack)
    ran = record_dispatches(app.core)
    async with running(app) as adapter:
        payload = slash_payload(slack, "/probe", "echo hello") | {"team_id": "T0NOBODY"}
        await post_form(port_of(adapter), payload)
        answer = await slack.wait_for_answer(payload["response_url"].rsplit("/", 1)[1])
    assert ran == []
    assert "installation" in answer["text"]  # Bolt's own words: reinstall the app


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"slack_mode": "socket"}, "ORBITDESK_SLACK_MODE=http"),
        ({"slack_state_secret": None}, "ORBITDESK_SLACK_STATE_SECRET"),
        ({"slack_bot_token": "xoxb-1"}, "not both"),
        ({"slack_signing_secret": None}, "ORBITDESK_SLACK_SIGNING_SECRET"),
    ],
)
def test_oauth_configuration_errors_say_what_to_set(
    tmp_path: Path, overrides: dict[str, Any], problem: str
) -> None:
    values: dict[str, Any] = {
        "slack_mode": "http",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_client_id": "1.2",
        "slack_client_secret": "s",
        "slack_state_secret": STATE_SECRET,
    } | overrides
    settings = make_settings(tmp_path, None, **values)
    found = settings_problem(settings)
    assert found is not None and problem in found
    with pytest.raises(ValueError, match="Slack is not configured"):
        SlackAdapter(App.build(settings, clock=pinned_clock()))


def test_single_workspace_settings_are_not_oauth(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None, slack_bot_token="xoxb-1", slack_app_token="xapp-1")
    assert not settings.slack_oauth and settings_problem(settings) is None
    blank = make_settings(tmp_path, None, slack_bot_token="xoxb-1", slack_client_id="")
    assert not blank.slack_oauth  # `ORBITDESK_SLACK_CLIENT_ID=` in a .env means unset


async def test_the_migrations_make_the_tables_slack_sdk_stores_use(
    databases: DatabaseFactory,
) -> None:
    database = databases.open()
    await database.upgrade()
    expected = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(expected, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(expected, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(expected, "slack_oauth_states")
    async with database.engine.connect() as conn:
        actual = await conn.run_sync(
            lambda sync: {
                name: [c["name"] for c in inspect(sync).get_columns(name)]
                for name in expected.tables
            }
        )
    for name, table in expected.tables.items():
        assert actual[name] == [c.name for c in table.columns], name


async def test_orbitdesk_run_slack_installs_a_workspace_and_answers_with_its_token(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack
) -> None:
    """The real process: install through its listener, then a command from that workspace."""
    env = base_env(
        tmp_path,
        fake_yahoo.base_url,
        slack_mode="http",
        slack_signing_secret=SIGNING_SECRET,
        slack_client_id=slack.client_id,
        slack_client_secret=slack.client_secret,
        slack_state_secret=STATE_SECRET,
        slack_api_base=slack.api_base,
        slack_admins="U0ADA",
    )
    async with bots_running(tmp_path) as bots:
        bot = await bots.start("slack", env, name="slack", ready_timeout=20)
        port = bot.port
        assert await install(port, slack, "code-new", TEAM, TEAM_TOKEN) == 200
        for _ in range(2):
            payload = slash_payload(slack, "/quote", "SPCX") | {"team_id": TEAM}
            answer = await answer_of(slack, port, payload, timeout=10)
        code = await bot.stop(timeout=15)
    output = bot.log()
    assert bot.health == {"status": "ok", "checks": {"slack": True, "database": True}}
    assert [c.params["code"] for c in slack.calls_to("oauth.v2.access")] == ["code-new"]
    # auth.test with that workspace's token: once by the install, once for the first command
    # (then cached: not one Slack call per command).
    assert [c.token for c in slack.calls_to("auth.test")] == [TEAM_TOKEN, TEAM_TOKEN]
    assert answer["text"].startswith("SPCX  153.20 USD")
    assert code == 0, output
    assert TEAM_TOKEN not in output and slack.client_secret not in output

    # Socket Mode with the OAuth settings is refused with one clear line.
    code, _, err = await run_until_exit(
        ["run", "slack"], env | {"ORBITDESK_SLACK_MODE": "socket"}, tmp_path
    )
    assert code == 2 and "ORBITDESK_SLACK_MODE=http" in err and "Traceback" not in err
