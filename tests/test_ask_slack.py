"""Questions on Slack: a signed app_mention answered in its thread, and a DM (message.im)
answered in the DM, both starting "Read as", against the fake Slack Web API."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.adapters.slack_adapter import SlackAdapter
from bot.adapters.slack_manifest import build_manifest
from commands import build_registry
from tests.fakes.slack_server import FakeSlack
from tests.slack_support import adapter as adapter  # a fixture, shared
from tests.slack_support import port_of, sign
from tests.slack_support import slack as slack  # a fixture, shared


async def post_event(port: int, event: dict[str, Any], event_id: str) -> int:
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": "T0TEST",
            "api_app_id": "A0ORBIT",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1700000000,
            "event": event,
        }
    ).encode()
    headers = sign(body) | {"Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as r,
    ):
        await r.read()
        return r.status


async def test_a_mention_is_answered_in_its_thread(adapter: SlackAdapter, slack: FakeSlack) -> None:
    event = {
        "type": "app_mention",
        "user": "U0ADA",
        "text": "<@U0BOT> did the cursor deal close? @everyone",
        "ts": "1700000100.000200",
        "channel": "C0MARKETS",
    }
    assert await post_event(port_of(adapter), event, "Ev001") == 200
    [call] = await slack.wait_for("chat.postMessage")
    assert call.params["channel"] == "C0MARKETS"
    assert call.params["thread_ts"] == "1700000100.000200"
    assert call.params["text"].startswith("Read as: `acquisition cursor`")
    assert "@everyone" not in json.dumps(call.params)
    # The same event delivered again (a Slack retry) is not answered twice.
    assert await post_event(port_of(adapter), event, "Ev001") == 200
    await post_event(port_of(adapter), {**event, "ts": "1700000101.0"}, "Ev002")
    calls = await slack.wait_for("chat.postMessage", 2)
    assert len(calls) == 2


async def test_a_direct_message_is_answered_in_the_dm(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "U0ADA",
        "text": "what's SpaceX trading at?",
        "ts": "1700000200.000100",
        "channel": "D0ADA",
    }
    assert await post_event(port_of(adapter), event, "Ev010") == 200
    [call] = await slack.wait_for("chat.postMessage")
    assert call.params["channel"] == "D0ADA"
    assert not call.params.get("thread_ts")
    assert call.params["text"].startswith("Read as: `quote SPCX`")
    # Our own messages in the DM come back as events too: never answered.
    await post_event(port_of(adapter), {**event, "bot_id": "B0BOT", "ts": "1.2"}, "Ev011")
    await post_event(port_of(adapter), {**event, "text": "quote AMZN", "ts": "1.3"}, "Ev012")
    calls = await slack.wait_for("chat.postMessage", 2)
    assert calls[1].params["text"].startswith("AMZN")  # a command typed in a DM just runs
    assert len(calls) == 2


def test_manifest_subscribes_to_mentions_and_dms() -> None:
    manifest = build_manifest(build_registry(), mode="http", url="https://b.example")
    assert {"app_mentions:read", "im:history"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    events = manifest["settings"]["event_subscriptions"]
    assert {"app_mention", "message.im"} <= set(events["bot_events"])
    assert events["request_url"] == "https://b.example/slack/events"
