"""`orbitdesk run` as users run it: a subprocess against the loopback fakes.

Slack in HTTP mode answers signed slash commands on ORBITDESK_HTTP_PORT beside /healthz, and
every start-up failure is one line on stderr naming what failed and what to check. "No
network" is a refused loopback port: resolving even a `.invalid` name sends a DNS query off the
machine, so the DNS wording is checked on constructed errors in test_startup.py instead.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.engine import make_url

from tests.fakes.slack_server import FakeSlack
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.yahoo_server import FakeYahoo, unused_port
from tests.run_support import base_env, bots_running, run_until_exit, slack_http_env
from tests.slack_support import (
    BOT_TOKEN,
    SIGNING_SECRET,
    answer_of,
    post_form,
    post_signed,
    response_token,
    sign,
    slash_payload,
)

READY = 20  # seconds for a started `orbitdesk run` to answer /healthz with 200


async def test_orbitdesk_run_slack_in_http_mode_answers_beside_healthz(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    async with FakeSlack() as slack, bots_running(tmp_path) as bots:
        env = slack_http_env(tmp_path, fake_yahoo.base_url, slack)
        bot = await bots.start("slack", env, name="slack", ready_timeout=READY)
        port = bot.port
        payload = slash_payload(slack, "/quote", "SPCX")
        answer = await answer_of(slack, port, payload, timeout=10)
        # From the cache now: the answer is the HTTP response itself, nothing follows.
        cached = slash_payload(slack, "/quote", "SPCX")
        body = urlencode(cached).encode()
        inline = await post_signed(port, body, sign(body))
        forged = slash_payload(slack, "/quote", "AMZN")
        assert (
            await post_form(port, forged, headers=lambda body: {"X-Slack-Signature": "v0=0"}) == 401
        )
        code = await bot.stop(timeout=15)
    output = bot.log()
    assert bot.health == {"status": "ok", "checks": {"slack": True, "database": True}}
    assert answer["text"].startswith("SPCX  153.20 USD")
    status, cached_answer = inline
    assert status == 200 and isinstance(cached_answer, dict), inline
    assert cached_answer["text"].startswith("SPCX  153.20 USD")
    assert slack.answers(response_token(cached)) == []
    assert slack.answers(response_token(forged)) == []
    assert code == 0, output
    assert "Traceback" not in output


def one_clear_line(stderr: str) -> str:
    """The whole of stderr, which must be exactly one line and no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(
    ("target", "settings", "expected"),
    [
        (
            "discord",
            {"discord_token": "fake-token", "discord_api_base": "http://127.0.0.1:{port}"},
            "Discord: could not reach 127.0.0.1:{port} (connection refused): "
            "check the network or ORBITDESK_DISCORD_API_BASE",
        ),
        (
            "slack",
            {
                "slack_bot_token": BOT_TOKEN,
                "slack_app_token": "xapp-1-A111-2222-fake",
                "slack_api_base": "http://127.0.0.1:{port}/api/",
            },
            "Slack: could not reach 127.0.0.1:{port} (connection refused): "
            "check the network or ORBITDESK_SLACK_API_BASE",
        ),
        (
            "slack",
            {
                "slack_mode": "http",
                "slack_bot_token": BOT_TOKEN,
                "slack_signing_secret": SIGNING_SECRET,
                "slack_api_base": "http://127.0.0.1:{port}/api/",
            },
            "Slack: could not reach 127.0.0.1:{port} (connection refused): "
            "check the network or ORBITDESK_SLACK_API_BASE",
        ),
    ],
)
async def test_start_up_without_a_network_is_one_clear_line(
    tmp_path: Path,
    fake_yahoo: FakeYahoo,
    target: str,
    settings: dict[str, str],
    expected: str,
) -> None:
    port = str(unused_port())
    filled = {k: v.replace("{port}", port) for k, v in settings.items()}
    # At WARNING, stderr holds nothing but warnings and errors: it must be the one line.
    env = base_env(
        tmp_path, fake_yahoo.base_url, http_port=str(unused_port()), log_level="WARNING", **filled
    )
    code, out, err = await run_until_exit(["run", target], env, tmp_path)
    assert out == ""
    assert code == 1
    assert one_clear_line(err) == "orbitdesk run: " + expected.replace("{port}", port)
    assert "fake-token" not in err and BOT_TOKEN not in err


async def test_start_up_with_the_http_port_taken_ends_with_one_clear_line(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    """At the default log level the start-up log comes first, then the line, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = base_env(
            tmp_path,
            fake_yahoo.base_url,
            discord_token="fake-token",
            discord_api_base=f"http://127.0.0.1:{unused_port()}",
            http_host="127.0.0.1",
            http_port=str(port),
        )
        code, _, err = await run_until_exit(["run", "discord"], env, tmp_path)
    assert code == 1
    assert "Traceback" not in err
    assert " INFO " in err  # the log is there: the line below is the only other thing
    assert [line for line in err.splitlines() if " INFO " not in line] == [
        f"orbitdesk run: HTTP listener: cannot listen on 127.0.0.1:{port} (address already in "
        "use): stop what uses it or change ORBITDESK_HTTP_PORT"
    ]


async def health(port: int) -> tuple[int, dict]:
    """One /healthz answer: (status, body); (0, {}) while nothing listens."""
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as resp,
        ):
            return resp.status, await resp.json()
    except aiohttp.ClientError:
        return 0, {}


@pytest.mark.postgres
async def test_run_without_its_database_answers_quotes_and_waits_for_it(
    tmp_path: Path, fake_yahoo: FakeYahoo, fresh_postgres_url: str
) -> None:
    target = make_url(fresh_postgres_url)
    proxy = await TcpProxy(target.host or "127.0.0.1", target.port or 5432).start()
    await proxy.cut()  # the database is down when the bot starts
    try:
        async with FakeSlack() as slack, bots_running(tmp_path) as bots:
            env = slack_http_env(
                tmp_path,
                fake_yahoo.base_url,
                slack,
                database_url=target.set(port=proxy.port).render_as_string(hide_password=False),
                log_format="json",
            )
            bot = await bots.launch("slack", env, name="slack")  # it cannot be ready yet
            port = bot.port

            async def ask(text: str) -> str:
                command, _, rest = text.partition(" ")
                payload = slash_payload(slack, f"/{command}", rest)
                return str((await answer_of(slack, port, payload, timeout=15))["text"])

            async with asyncio.timeout(60):
                while (status := await health(port))[0] == 0:
                    assert bot.running, "orbitdesk run died without its database"
                    await asyncio.sleep(0.1)
            assert status == (
                503,
                {"status": "starting", "checks": {"slack": True, "database": False}},
            ) or (status[0] == 503 and status[1]["checks"]["database"] is False)
            assert (await ask("quote SPCX")).startswith("SPCX  153.20 USD")
            assert (await ask("schedule list")).startswith("The database cannot be reached")

            await proxy.restore()  # back: the bot migrates and becomes ready by itself
            async with asyncio.timeout(60):
                while (await health(port))[0] != 200:
                    await asyncio.sleep(0.2)
            assert "No schedules" in await ask("schedule list")
            code = await bot.stop(timeout=15)
    finally:
        await proxy.close()
    assert code == 0
    lines = [line for line in bot.log().splitlines() if line.strip()]
    assert all(line.startswith("{") for line in lines), lines[:3]  # JSON logs, no traceback
    messages = [json.loads(line)["message"] for line in lines]
    assert any("database: cannot bring the schema up to date" in m for m in messages)


async def test_ask_without_its_database_answers_what_needs_none(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    env = base_env(
        tmp_path,
        fake_yahoo.base_url,
        database_url=f"postgresql+asyncpg://orbit:pw@127.0.0.1:{unused_port()}/orbit",
    )
    code, out, err = await run_until_exit(["ask", "--json", "quote SPCX"], env, tmp_path)
    assert code == 0, err
    assert json.loads(out)["data"]["quotes"][0]["price"] == 153.2
    assert "Traceback" not in err
    code, out, err = await run_until_exit(["ask", "--json", "schedule list"], env, tmp_path)
    assert code == 1
    answer = json.loads(out)
    assert answer["kind"] == "unavailable"
    assert answer["text"].startswith("The database cannot be reached right now")
    assert "Traceback" not in err and "pw@" not in err


@pytest.fixture
async def refusing_server() -> AsyncIterator[str]:
    """Discord and Slack APIs on loopback that refuse every token; yields the base URL."""

    async def discord_me(request: web.Request) -> web.Response:
        body = json.dumps({"message": "401: Unauthorized", "code": 0})
        return web.Response(status=401, body=body, headers={"Content-Type": "application/json"})

    async def slack_auth(request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error": "invalid_auth"})

    app = web.Application()
    app.router.add_get("/api/v10/users/@me", discord_me)
    app.router.add_post("/api/auth.test", slack_auth)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("target", "settings", "expected"),
    [
        (
            "discord",
            {"discord_token": "fake-token", "discord_api_base": "{base}"},
            "Discord: refused ORBITDESK_DISCORD_TOKEN (login failed): check the bot token "
            "(Developer Portal > your app > Bot > Reset Token)",
        ),
        (
            "slack",
            {
                "slack_bot_token": BOT_TOKEN,
                "slack_app_token": "xapp-1-A111-2222-fake",
                "slack_api_base": "{base}/api/",
            },
            "Slack: refused ORBITDESK_SLACK_BOT_TOKEN (invalid_auth): check the bot token "
            "(your app > OAuth & Permissions > Bot User OAuth Token)",
        ),
    ],
)
async def test_a_refused_token_is_one_clear_line(
    tmp_path: Path,
    fake_yahoo: FakeYahoo,
    refusing_server: str,
    target: str,
    settings: dict[str, str],
    expected: str,
) -> None:
    filled = {k: v.replace("{base}", refusing_server) for k, v in settings.items()}
    env = base_env(
        tmp_path, fake_yahoo.base_url, http_port=str(unused_port()), log_level="WARNING", **filled
    )
    code, out, err = await run_until_exit(["run", target], env, tmp_path)
    assert (code, out) == (1, "")
    assert one_clear_line(err) == "orbitdesk run: " + expected
    assert "fake-token" not in err and BOT_TOKEN not in err
