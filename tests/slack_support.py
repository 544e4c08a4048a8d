"""Helpers for the Slack tests: apps wired to the fakes, signed requests, slash payloads.

Also the fixtures several Slack test modules share, `slack` (a fake Slack) and `adapter` (the
app in HTTP mode, running on it); a module takes them with
`from tests.slack_support import adapter as adapter, slack as slack`."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.adapters.slack_adapter import SlackAdapter
from bot.app import App
from bot.context import Invocation
from bot.core import Core
from bot.http_server import HttpServer
from bot.registry import CommandSpec
from bot.response import Response
from tests import probe_commands
from tests.conftest import make_settings, pinned_clock
from tests.fakes.slack_server import FakeSlack
from tests.fakes.yahoo_server import FakeYahoo

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1111-2222-fake"
APP_TOKEN = "xapp-1-A111-2222-fake"
_tokens = itertools.count(1)


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's request headers: v0 HMAC-SHA256 over `v0:{ts}:{body}`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slash_payload(
    slack: FakeSlack,
    command: str,
    text: str,
    *,
    user_id: str = "U0ADA",
    user_name: str = "ada",
    channel_id: str = "C0MARKETS",
) -> dict[str, str]:
    """What Slack sends for `/command text`, with a response_url on the fake."""
    token = f"r{next(_tokens)}"
    return {
        "token": "legacy-verification-token",
        "team_id": "T0TEST",
        "team_domain": "orbit-test",
        "channel_id": channel_id,
        "channel_name": "markets",
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": "A0ORBIT",
        "is_enterprise_install": "false",
        "response_url": slack.response_url(token),
        "trigger_id": f"1337.42.{token}",
    }


def response_token(payload: dict[str, str]) -> str:
    return payload["response_url"].rsplit("/", 1)[1]


def slack_app(tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack, **overrides: Any) -> App:
    settings = make_settings(
        tmp_path,
        fake_yahoo.base_url,
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_base=slack.api_base,
        http_host="127.0.0.1",
        http_port=0,
        **overrides,
    )
    app = App.build(settings, clock=pinned_clock())
    app.services.registry.add_module(probe_commands)
    return app


_listeners: dict[int, HttpServer] = {}


@asynccontextmanager
async def running(app: App) -> AsyncIterator[SlackAdapter]:
    """The app's services and a started SlackAdapter whose routes are served, as the runner
    does, by the bot's HTTP listener on a free loopback port (`port_of`); all closed after."""
    await app.start()
    adapter = SlackAdapter(app)
    http = HttpServer("127.0.0.1", 0, app.metrics)
    http.app.add_routes(adapter.routes())
    await http.start()
    _listeners[id(adapter)] = http
    try:
        await adapter.start()
        yield adapter
    finally:
        await adapter.stop()
        await http.stop()
        del _listeners[id(adapter)]
        await app.close()


def port_of(adapter: SlackAdapter) -> int:
    """The loopback port serving a running adapter's /slack/events."""
    port = _listeners[id(adapter)].bound_port
    assert port is not None
    return port


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """A fake Slack (Web API, response_url and Socket Mode) on loopback."""
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def adapter(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack
) -> AsyncIterator[SlackAdapter]:
    """The app in HTTP mode on the fakes, its adapter started and served (`port_of`)."""
    async with running(slack_app(tmp_path, fake_yahoo, slack, slack_mode="http")) as started:
        yield started


async def ask(
    adapter: SlackAdapter, slack: FakeSlack, command: str, text: str = "", **who: str
) -> dict[str, Any]:
    """Send `/command text` signed, expect 200, and return the answer (in the ack, or at
    response_url); `who` overrides the sender (user_id, user_name, channel_id)."""
    payload = slash_payload(slack, command, text, **who)
    return await answer_of(slack, port_of(adapter), payload)


def record_dispatches(core: Core) -> list[str]:
    """Every command text the core runs, in order (to prove a command did or did not run)."""
    seen: list[str] = []

    def listener(inv: Invocation, spec: CommandSpec | None, resp: Response, took: float) -> None:
        seen.append(inv.text)

    core.listeners.append(listener)
    return seen


async def post_form(
    port: int,
    form: dict[str, str],
    *,
    headers: Callable[[bytes], dict[str, str]] = sign,
    body_after_signing: bytes | None = None,
) -> int:
    """POST a slash command to the adapter's /slack/events; returns the HTTP status."""
    body = urlencode(form).encode()
    sent = body_after_signing if body_after_signing is not None else body
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{port}/slack/events", data=sent, headers=headers(body)
        ) as resp,
    ):
        await resp.read()
        return resp.status


def sign_json(body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers of a signed Events API request (a JSON body)."""
    return {**sign(body, timestamp), "Content-Type": "application/json"}


async def post_signed(
    port: int, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, Any] | str]:
    """POST a signed body to /slack/events; returns the status and the (JSON or text) answer."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as resp,
    ):
        text = await resp.text()
        try:
            return resp.status, json.loads(text)
        except ValueError:
            return resp.status, text


async def answer_of(
    slack: FakeSlack, port: int, payload: dict[str, str], *, timeout: float = 5.0
) -> dict[str, Any]:
    """Send a signed slash command (expecting 200) and return its answer: the ack's own body
    when the answer was ready within the ack grace, else what was posted to its response_url."""
    body = urlencode(payload).encode()
    status, answer = await post_signed(port, body, sign(body))
    assert status == 200, answer
    if isinstance(answer, dict):
        return answer
    assert answer == "", answer  # an empty ack: the answer follows at response_url
    return await slack.wait_for_answer(response_token(payload), timeout)


async def socket_answer(
    slack: FakeSlack, envelope_id: str, payload: dict[str, str], *, timeout: float = 5.0
) -> dict[str, Any]:
    """The answer to a slash command delivered over Socket Mode: the ack's payload when the
    answer was ready within the ack grace, else what was posted to its response_url."""

    async def acked() -> dict[str, Any]:
        seen = 0
        while True:
            acks = await slack.wait_for_acks(seen + 1, timeout)
            for ack in acks[seen:]:
                if ack.get("envelope_id") == envelope_id:
                    return ack
            seen = len(acks)

    ack = await asyncio.wait_for(acked(), timeout)
    if "payload" in ack:
        answer: dict[str, Any] = ack["payload"]
        return answer
    return await slack.wait_for_answer(response_token(payload), timeout)


async def post_interactive(port: int, payload: dict[str, Any]) -> tuple[int, Any]:
    """An interactive request (block_suggestion, block_actions): a signed `payload=` form."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return await post_signed(port, body, sign(body))


async def post_event(port: int, event: dict[str, Any], *, event_id: str = "Ev0001") -> int:
    """An Events API callback carrying `event`, signed; returns the HTTP status."""
    envelope = {
        "token": "legacy-verification-token",
        "team_id": "T0TEST",
        "api_app_id": "A0ORBIT",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1_785_000_000,
        "authorizations": [{"team_id": "T0TEST", "user_id": "U0BOT", "is_bot": True}],
    }
    body = json.dumps(envelope).encode()
    status, _ = await post_signed(port, body, sign_json(body))
    return status


def suggestion_payload(action_id: str, value: str, *, user_id: str = "U0ADA") -> dict[str, Any]:
    """What Slack sends while someone types into an external_select on the App Home."""
    return {
        "type": "block_suggestion",
        "user": {"id": user_id, "username": "ada", "name": "ada", "team_id": "T0TEST"},
        "container": {"type": "view", "view_id": "V0HOME"},
        "api_app_id": "A0ORBIT",
        "token": "legacy-verification-token",
        "action_id": action_id,
        "block_id": "picker",
        "value": value,
        "team": {"id": "T0TEST", "domain": "orbit-test"},
        "is_enterprise_install": False,
        "view": {"id": "V0HOME", "type": "home", "team_id": "T0TEST", "blocks": []},
    }


def action_payload(
    slack: FakeSlack,
    action_id: str,
    *,
    value: str | None = None,
    selected: str | None = None,
    user_id: str = "U0ADA",
    channel_id: str = "C0MARKETS",
) -> dict[str, Any]:
    """What Slack sends (`block_actions`) when a button is pressed or a select option picked."""
    token = f"a{next(_tokens)}"
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b1", "action_ts": "1.2"}
    if selected is not None:
        action |= {"type": "static_select", "selected_option": {"value": selected}}
    else:
        action |= {"type": "button", "value": action_id if value is None else value}
    return {
        "type": "block_actions",
        "team": {"id": "T0TEST", "domain": "orbit-test"},
        "user": {"id": user_id, "username": "ada", "name": "ada", "team_id": "T0TEST"},
        "api_app_id": "A0ORBIT",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": channel_id},
        "trigger_id": f"1337.42.{token}",
        "channel": {"id": channel_id, "name": "markets"},
        "message": {"type": "message", "ts": "1.1", "text": "", "blocks": []},
        "response_url": slack.response_url(token),
        "actions": [action],
    }


async def post_action(port: int, payload: dict[str, Any]) -> int:
    """POST a signed block_actions payload (form field `payload`, JSON) to /slack/events."""
    return await post_form(port, {"payload": json.dumps(payload)})
