"""Slack in Socket Mode: the real slack-bolt handler dials a fake websocket on 127.0.0.1
(`apps.connections.open` hands out a ws:// loopback URL), takes a slash command envelope,
acks it and answers at the response_url; `orbitdesk run slack` stops cleanly on SIGTERM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.clock import ManualClock
from tests.fakes.slack_server import FakeSlack
from tests.fakes.yahoo_server import FakeYahoo
from tests.run_support import base_env, bots_running
from tests.slack_support import (
    APP_TOKEN,
    BOT_TOKEN,
    action_payload,
    record_dispatches,
    response_token,
    running,
    slack_app,
    slash_payload,
    socket_answer,
)

REPO = Path(__file__).resolve().parents[1]


def envelope(envelope_id: str, payload: dict[str, Any], kind: str = "slash_commands") -> dict:
    return {
        "envelope_id": envelope_id,
        "type": kind,
        "payload": payload,
        "accepts_response_payload": True,
    }


async def test_slash_command_over_the_socket_is_acked_and_answered(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    async with FakeSlack() as slack:
        async with running(slack_app(tmp_path, fake_yahoo, slack)) as adapter:
            assert adapter.is_ready()
            assert len(slack.calls_to("apps.connections.open")) == 1
            payload = slash_payload(slack, "/quote", "SPCX AMZN")
            slack.deliver(envelope("env-1", payload))
            answer = await socket_answer(slack, "env-1", payload)
            umbrella = slash_payload(slack, "/orbitdesk", "quote <!channel>")
            slack.deliver(envelope("env-2", umbrella))
            refused = await socket_answer(slack, "env-2", umbrella)
        assert not adapter.is_ready()
        await slack.wait_for("ws", 2)  # connected, then closed by stop()
    # Each answer once: in its ack when ready within the grace, else at response_url.
    acks = {a["envelope_id"]: a for a in slack.acks}
    assert sorted(acks) == ["env-1", "env-2"]
    for env, sent in (("env-1", payload), ("env-2", umbrella)):
        followed = slack.answers(response_token(sent))
        assert len(followed) == (0 if "payload" in acks[env] else 1)
    assert answer["response_type"] == "in_channel"
    headers = [b["text"]["text"] for b in answer["blocks"] if b["type"] == "header"]
    assert headers == [
        "▲ SPCX · Space Exploration Technologies Corp.",
        "▲ AMZN · Amazon.com, Inc.",
    ]
    assert refused["response_type"] == "ephemeral"
    assert "<!channel>" not in str(refused)
    assert [c.params["event"] for c in slack.calls_to("ws")] == ["connected", "closed"]


async def test_a_button_press_over_the_socket_is_acked_and_replaces_the_original(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    async with FakeSlack() as slack:
        app = slack_app(tmp_path, fake_yahoo, slack)
        dispatched = record_dispatches(app.core)
        async with running(app) as adapter:
            payload = slash_payload(slack, "/quote", "SPCX")
            slack.deliver(envelope("env-1", payload))
            answer = await socket_answer(slack, "env-1", payload)  # in the ack when ready
            [refresh] = [
                e
                for b in answer["blocks"]
                if b["type"] == "actions"
                for e in b["elements"]
                if e["type"] == "button"
            ]
            fake_yahoo.symbols["SPCX"].price = 161.05
            clock = adapter.app.services.clock
            assert isinstance(clock, ManualClock)
            clock.advance(3600)  # past the quote cache's lifetime
            # Socket Mode delivers a press as an "interactive" envelope holding block_actions.
            pressed = action_payload(slack, refresh["action_id"])
            slack.deliver(envelope("env-2", pressed, "interactive"))
            acks = await slack.wait_for_acks(2)
            replaced = await slack.wait_for_answer(pressed["response_url"].rsplit("/", 1)[1])
    assert acks[1] == {"envelope_id": "env-2"}  # acked on the socket, the answer comes after
    assert refresh["text"]["text"] == "Refresh" and refresh["action_id"] == "od1|quote SPCX"
    assert replaced["replace_original"] is True
    assert replaced["response_type"] == "in_channel"
    assert "161.05" in str(replaced["blocks"]) and "153.20" not in str(replaced["blocks"])
    assert dispatched == ["quote SPCX", "quote SPCX"]


async def test_orbitdesk_run_slack_answers_and_exits_cleanly_on_sigterm(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    async with FakeSlack() as slack:
        env = base_env(
            tmp_path,
            fake_yahoo.base_url,
            slack_bot_token=BOT_TOKEN,
            slack_app_token=APP_TOKEN,
            slack_api_base=slack.api_base,
        )
        async with bots_running(tmp_path) as bots:
            bot = await bots.launch("slack", env, name="slack")
            await slack.wait_for("ws", 1, timeout=20)
            payload = slash_payload(slack, "/quote", "SPCX")
            slack.deliver(envelope("env-run", payload))
            answer = await socket_answer(slack, "env-run", payload, timeout=10)
            code = await bot.stop(timeout=15)
        await slack.wait_for("ws", 2)
    output = bot.log()
    assert answer["text"].startswith("SPCX  153.20 USD")
    assert code == 0, output
    assert "Traceback" not in output
    assert BOT_TOKEN not in output
    assert [c.params["event"] for c in slack.calls_to("ws")] == ["connected", "closed"]
