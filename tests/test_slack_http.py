"""Slack in HTTP mode: signed slash commands to the real slack-bolt app, answers at a fake
response_url, posts and uploads through a fake Web API; all on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.adapters.base import PostError, PostKey
from bot.adapters.console import invocation as console_invocation
from bot.adapters.slack_adapter import SlackAdapter
from bot.response import Card, Field, Response
from tests.fakes.slack_server import FakeSlack, FakeUser
from tests.fakes.yahoo_server import FakeYahoo
from tests.probe_commands import PNG
from tests.slack_support import adapter as adapter  # a fixture, shared
from tests.slack_support import (
    answer_of,
    ask,
    port_of,
    post_form,
    post_signed,
    record_dispatches,
    response_token,
    running,
    sign,
    slack_app,
    slash_payload,
)
from tests.slack_support import slack as slack  # a fixture, shared


def headers_of(answer: dict) -> list[str]:
    return [b["text"]["text"] for b in answer["blocks"] if b["type"] == "header"]


def fields_of(answer: dict, index: int = 0) -> dict[str, str]:
    sections = [b for b in answer["blocks"] if b["type"] == "section" and "fields" in b]
    out = {}
    for field in sections[index]["fields"]:
        name, _, value = field["text"].partition("\n")
        out[name.strip("*")] = value
    return out


async def test_quote_two_symbols_answers_in_channel_with_cards(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    answer = await ask(adapter, slack, "/quote", "SPCX AMZN")
    assert answer["response_type"] == "in_channel"
    assert headers_of(answer) == [
        "▲ SPCX · Space Exploration Technologies Corp.",
        "▲ AMZN · Amazon.com, Inc.",
    ]
    spcx = fields_of(answer, 0)
    assert spcx["Price"] == "153.20 USD"
    assert spcx["Change"] == "+0.20 (+0.13%)"
    footer = next(b for b in answer["blocks"] if b["type"] == "context")
    assert footer["elements"][0]["text"].startswith("Yahoo Finance · NasdaqGS · USD · as of ")
    assert "<https://finance.yahoo.com/quote/SPCX|details>" in footer["elements"][1]["text"]
    assert answer["text"].startswith("SPCX  153.20 USD")
    assert answer["unfurl_links"] is False


async def test_umbrella_command_runs_any_command_and_alone_gives_help(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    answer = await ask(adapter, slack, "/orbitdesk", "quote SPCX")
    assert headers_of(answer) == ["▲ SPCX · Space Exploration Technologies Corp."]
    answer = await ask(adapter, slack, "/orbitdesk")
    assert headers_of(answer) == ["OrbitDesk commands"]
    sections = sum(1 for b in answer["blocks"] if b["type"] == "section" and "fields" in b)
    listed = {name for i in range(sections) for name in fields_of(answer, i)}  # 10 a section
    assert {"/quote", "/news", "/options"} <= listed


async def test_group_command_takes_its_subcommand_from_the_text(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    dispatched = record_dispatches(adapter.app.core)
    answer = await ask(adapter, slack, "/probe", "echo liftoff at 40MW")
    assert dispatched == ["probe echo liftoff at 40MW"]
    assert answer["text"] == "liftoff at 40MW"


async def test_errors_are_ephemeral_and_name_the_usage(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    answer = await ask(adapter, slack, "/quote", "ZZZZQ")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("No such symbol: ZZZZQ.")
    answer = await ask(adapter, slack, "/quote")
    assert answer["response_type"] == "ephemeral"
    assert "Usage: quote &lt;symbol...&gt;" in answer["text"]


async def test_answers_can_be_configured_private(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack
) -> None:
    app = slack_app(
        tmp_path, fake_yahoo, slack, slack_mode="http", slack_answer_visibility="ephemeral"
    )
    async with running(app) as adapter:
        answer = await ask(adapter, slack, "/quote", "SPCX")
    assert answer["response_type"] == "ephemeral"
    assert headers_of(answer) == ["▲ SPCX · Space Exploration Technologies Corp."]


@pytest.mark.parametrize("text", ["<!channel>", "@here", "<@U0ADA> SPCX", "<!everyone>"])
async def test_user_text_never_becomes_a_mention(
    adapter: SlackAdapter, slack: FakeSlack, text: str
) -> None:
    answer = await ask(adapter, slack, "/quote", text)
    raw = json.dumps(answer)
    for mention in ("<!channel>", "<!here>", "<!everyone>", "<@", "@here", "@channel"):
        assert mention not in raw
    assert answer["response_type"] == "ephemeral"


async def test_probe_echo_escapes_markup_from_users(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    answer = await ask(adapter, slack, "/probe", "echo a&b <!here> @channel")
    section = next(b for b in answer["blocks"] if b["type"] == "section")
    assert section["text"]["text"] == "a&amp;b &lt;!here&gt; @\u200bchannel"
    assert answer["text"] == "a&amp;b &lt;!here&gt; @\u200bchannel"


# --- Signatures: nothing unsigned runs ------------------------------------------------------


def _forged(body: bytes) -> dict[str, str]:
    return sign(body, secret="not-the-signing-secret")


def _old(body: bytes) -> dict[str, str]:
    return sign(body, timestamp=int(time.time()) - 301)


def _missing(body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def _no_timestamp(body: bytes) -> dict[str, str]:
    headers = sign(body)
    del headers["X-Slack-Request-Timestamp"]
    return headers


def _timestamp(value: str):
    def headers(body: bytes) -> dict[str, str]:
        return {**sign(body), "X-Slack-Request-Timestamp": value}

    return headers


def _signature(value: str):
    def headers(body: bytes) -> dict[str, str]:
        return {**sign(body), "X-Slack-Signature": value}

    return headers


@pytest.mark.parametrize(
    "headers",
    [
        _forged,
        _old,
        _missing,
        _no_timestamp,
        _timestamp("abc"),  # answered 500 before: Bolt did int() on it
        _timestamp(""),
        _timestamp("1e9"),
        _timestamp("١٧٠٠٠٠٠٠٠٠"),  # digits, but not ASCII ones
        _timestamp("99999999999999999999"),
        _signature("v1=abc"),
        _signature("v0=" + "g" * 64),
        _signature(""),
    ],
)
async def test_bad_signatures_get_401_and_nothing_runs(
    adapter: SlackAdapter, slack: FakeSlack, headers
) -> None:
    dispatched = record_dispatches(adapter.app.core)
    payload = slash_payload(slack, "/quote", "SPCX")
    assert await post_form(port_of(adapter), payload, headers=headers) == 401
    await asyncio.sleep(0.1)  # a command that had started would have answered by now
    assert dispatched == []
    assert slack.answers() == []


async def test_body_changed_after_signing_gets_401(adapter: SlackAdapter, slack: FakeSlack) -> None:
    dispatched = record_dispatches(adapter.app.core)
    payload = slash_payload(slack, "/quote", "SPCX")
    tampered = dict(payload, text="SPCX AMZN GOOG")
    status = await post_form(
        port_of(adapter), payload, body_after_signing=urlencode(tampered).encode()
    )
    assert status == 401
    await asyncio.sleep(0.1)
    assert dispatched == [] and slack.answers() == []


async def test_a_replayed_signed_request_runs_once(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack
) -> None:
    app = slack_app(tmp_path, fake_yahoo, slack, slack_mode="http", slack_admins="U0ADA")
    async with running(app) as adapter:
        payload = slash_payload(slack, "/schedule", "add SPCX at:close")
        body = urlencode(payload).encode()
        signed = sign(body)  # captured once, sent three times within the 5-minute window
        replies = [await post_signed(port_of(adapter), body, signed) for _ in range(3)]
        assert [status for status, _ in replies] == [200, 200, 200]
        if not replies[0][1]:  # not ready within the ack grace: it follows at response_url
            await slack.wait_for_answer(response_token(payload))
        await asyncio.sleep(0.3)  # a second run would have answered by now
        answers = [answer for _, answer in replies if answer]
        assert len(answers + slack.answers(response_token(payload))) == 1
        assert [
            s.id for s in await adapter.app.store.list_schedules("slack", "C0MARKETS", "T0TEST")
        ] == [1]


# --- Permission: commands that change a channel ---------------------------------------------


async def test_ordinary_commands_never_ask_who_the_user_is(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    await ask(adapter, slack, "/quote", "SPCX")
    await ask(adapter, slack, "/probe", "echo hi")
    assert slack.calls_to("users.info") == []


async def test_member_is_refused_admin_is_allowed_and_the_answer_is_cached(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    slack.users["U0BOB"] = FakeUser("U0BOB", "bob")
    slack.users["U0ADA"] = FakeUser("U0ADA", "ada", is_admin=True)
    refused = await ask(adapter, slack, "/probe", "guard", user_id="U0BOB", user_name="bob")
    assert refused["response_type"] == "ephemeral"
    assert "workspace admin" in refused["text"]
    allowed = await ask(adapter, slack, "/probe", "guard", user_id="U0ADA", user_name="ada")
    assert allowed["text"] == "Guarding #markets for ada."
    await ask(adapter, slack, "/orbitdesk", "probe guard", user_id="U0ADA", user_name="ada")
    assert [c.params["user"] for c in slack.calls_to("users.info")] == ["U0BOB", "U0ADA"]


async def test_users_listed_in_settings_may_manage_without_asking_slack(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack
) -> None:
    app = slack_app(tmp_path, fake_yahoo, slack, slack_mode="http", slack_admins="U0X, U0CAROL")
    async with running(app) as adapter:
        answer = await ask(adapter, slack, "/probe", "guard", user_id="U0CAROL", user_name="carol")
    assert answer["text"] == "Guarding #markets for carol."
    assert slack.calls_to("users.info") == []


# --- Attachments and scheduled posts --------------------------------------------------------


async def test_chart_goes_up_with_files_upload_v2_into_the_channel(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    answer = await ask(adapter, slack, "/probe", "chart")
    await slack.wait_for("files.completeUploadExternal")
    steps = [
        c.method
        for c in slack.calls
        if c.method in ("files.getUploadURLExternal", "upload", "files.completeUploadExternal")
    ]
    assert steps == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    step1 = slack.calls_to("files.getUploadURLExternal")[0].params
    assert step1["filename"] == "spcx-5d.png" and int(step1["length"]) == len(PNG)
    assert slack.calls_to("upload")[0].body == PNG
    complete = slack.calls_to("files.completeUploadExternal")[0].params
    assert complete["channel_id"] == "C0MARKETS"
    assert "spcx-5d.png (attached below)" in json.dumps(answer["blocks"])


async def test_post_sends_blocks_with_chat_post_message(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    card = Card(title="Morning prices", fields=(Field("SPCX", "153.20 USD +0.13%"),))
    await adapter.post("C0MARKETS", Response(text="SPCX 153.20 USD", cards=(card,)))
    [call] = slack.calls_to("chat.postMessage")
    assert call.params["channel"] == "C0MARKETS"
    assert call.params["text"] == "SPCX 153.20 USD"
    blocks = call.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert blocks[0]["text"]["text"] == "Morning prices"


async def test_a_keyed_post_taken_over_after_a_crash_is_not_posted_twice(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    key = PostKey("7-1795554300")
    await adapter.post("C0MARKETS", Response(text="SPCX 153.20 USD"), key)
    [first] = slack.calls_to("chat.postMessage")
    metadata = first.params["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata == {"event_type": "orbitdesk_scheduled_post", "event_payload": {"slot": key.id}}
    # Another process takes the claim over: it looks in the history, finds it, posts nothing.
    await adapter.post("C0MARKETS", Response(text="SPCX 153.20 USD"), replace(key, maybe_sent=True))
    assert len(slack.calls_to("chat.postMessage")) == 1
    [lookup] = slack.calls_to("conversations.history")
    assert lookup.params["channel"] == "C0MARKETS"
    # A slot that never went out is posted by the taker-over.
    other = PostKey("7-1795640700", maybe_sent=True)
    await adapter.post("C0MARKETS", Response(text="SPCX 153.40 USD"), other)
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_without_history_scopes_a_taken_over_post_still_goes_out(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    slack.history_error = "missing_scope"
    await adapter.post("C0MARKETS", Response(text="hi"), PostKey("7-1", maybe_sent=True))
    assert len(slack.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
async def test_post_reports_channel_problems_as_permanent(
    adapter: SlackAdapter, slack: FakeSlack, error: str
) -> None:
    slack.channel_errors["C0GONE"] = error
    with pytest.raises(PostError) as caught:
        await adapter.post("C0GONE", Response(text="hello"))
    assert caught.value.reason == error
    assert caught.value.permanent


async def test_post_waits_out_a_429_and_then_succeeds(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    slack.rate_limit("chat.postMessage", times=1)
    await adapter.post("C0MARKETS", Response(text="hello"))
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_post_uploads_attachments_after_the_message(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    answer = await adapter.app.core.dispatch(console_invocation("probe chart"))
    await adapter.post("C0MARKETS", answer)
    order = [c.method for c in slack.calls if c.method != "auth.test"]
    assert order[0] == "chat.postMessage"
    assert order[1:] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert slack.uploads == {"F000001": PNG}


async def test_a_stopped_adapter_takes_no_more_commands(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack
) -> None:
    """Between the adapter stopping and the shared listener closing, commands get a 503."""
    from bot.http_server import HttpServer

    app = slack_app(tmp_path, fake_yahoo, slack, slack_mode="http")
    await app.start()
    adapter = SlackAdapter(app)
    http = HttpServer("127.0.0.1", 0, app.metrics)
    http.app.add_routes(adapter.routes())
    await http.start()
    try:
        assert http.bound_port is not None
        early = await post_form(http.bound_port, slash_payload(slack, "/quote", "SPCX"))
        await adapter.start()
        assert adapter.is_ready()
        await adapter.stop()
        assert not adapter.is_ready()
        dispatched = record_dispatches(app.core)
        late = await post_form(http.bound_port, slash_payload(slack, "/quote", "SPCX"))
    finally:
        await http.stop()
        await app.close()
    assert (early, late) == (503, 503)
    assert dispatched == [] and slack.answers() == []


async def test_chart_in_a_channel_without_the_bot_tells_the_asker(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    slack.channel_errors["C0PRIVATE"] = "not_in_channel"
    payload = slash_payload(slack, "/probe", "chart", channel_id="C0PRIVATE")
    first = await answer_of(slack, port_of(adapter), payload)  # in the ack itself
    assert first["response_type"] == "in_channel"
    second = await slack.wait_for_answer(response_token(payload))
    assert slack.answers(response_token(payload)) == [second]
    assert second == {
        "text": "The chart could not be attached: the bot is not in this channel; "
        "invite it with /invite @OrbitDesk.",
        "response_type": "ephemeral",
    }


async def test_what_the_asker_sees_for_mention_attempts(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    channel = await ask(adapter, slack, "/quote", "<!channel>")
    here = await ask(adapter, slack, "/quote", "@here")
    # The core defuses the echo itself (safe_echo); the renderer's escaping is the second lock.
    assert channel["text"] == (
        "symbols: '‹!channel›' is not a ticker or company name\nUsage: quote &lt;symbol...&gt;"
    )
    assert here["text"].startswith("symbols: '@\u200bhere' is not a ticker")


async def test_http_mode_shares_the_listener_with_health_and_metrics(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack
) -> None:
    """As `orbitdesk run slack` wires it: /slack/events, /healthz and /metrics on one port."""
    import aiohttp

    from bot.http_server import HttpServer

    app = slack_app(tmp_path, fake_yahoo, slack, slack_mode="http")
    await app.start()
    adapter = SlackAdapter(app)
    http = HttpServer("127.0.0.1", 0, app.metrics)

    async def ready() -> tuple[str, bool]:
        return "slack", adapter.is_ready()

    http.checks.append(ready)
    http.app.add_routes(adapter.routes())
    await http.start()
    try:
        await adapter.start()
        assert http.bound_port is not None
        payload = slash_payload(slack, "/quote", "SPCX")
        answer = await answer_of(slack, http.bound_port, payload)
        assert headers_of(answer)[0].endswith("SPCX · Space Exploration Technologies Corp.")
        async with aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{http.bound_port}"
            async with session.get(f"{base}/healthz") as resp:
                assert resp.status == 200
                assert await resp.json() == {"status": "ok", "checks": {"slack": True}}
            async with session.get(f"{base}/metrics") as resp:
                text = await resp.text()
        assert (
            'orbitdesk_commands_total{command="quote",outcome="ok",platform="slack",source="typed"} 1.0'
            in text
        )
    finally:
        await adapter.stop()
        await http.stop()
        await app.close()
