"""How a slash command is acknowledged (HTTP mode, real slack-bolt, signed requests on
127.0.0.1): an answer ready within ORBITDESK_SLACK_ACK_GRACE is the HTTP response itself and
nothing is posted to response_url; a slower one is acked empty within the grace and then posted
to response_url once; errors are ephemeral; a delivery that comes again runs once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.adapters.slack_adapter import SlackAdapter
from tests.fakes.slack_server import FakeSlack
from tests.fakes.yahoo_server import FakeYahoo
from tests.slack_support import (
    port_of,
    post_signed,
    record_dispatches,
    response_token,
    running,
    sign,
    slack_app,
    slash_payload,
)
from tests.slack_support import slack as slack  # a fixture, shared

GRACE = 0.1  # the default ORBITDESK_SLACK_ACK_GRACE
MARGIN = 0.9  # what a busy test machine may add; Slack's own limit is 3 s


@pytest.fixture
async def adapter(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack
) -> AsyncIterator[SlackAdapter]:
    app = slack_app(tmp_path, fake_yahoo, slack, slack_mode="http")
    assert app.settings.slack_ack_grace == GRACE
    async with running(app) as started:
        yield started


async def send(
    adapter: SlackAdapter, payload: dict[str, str], **headers: str
) -> tuple[int, dict[str, Any] | str, float]:
    """POST a signed slash command: (status, the ack's body, seconds until it came back)."""
    body = urlencode(payload).encode()
    started = time.perf_counter()
    status, answer = await post_signed(port_of(adapter), body, sign(body) | headers)
    return status, answer, time.perf_counter() - started


async def answers_to(
    adapter: SlackAdapter, slack: FakeSlack, payload: dict[str, str]
) -> list[dict[str, Any]]:
    """Every answer one command got: in its ack, and at its response_url (waited for when the
    ack was empty, then a moment more for a stray second one)."""
    status, answer, _ = await send(adapter, payload)
    assert status == 200
    if answer == "":
        await slack.wait_for_answer(response_token(payload), timeout=10)
    await asyncio.sleep(0.2)
    inline = [answer] if isinstance(answer, dict) else []
    return inline + slack.answers(response_token(payload))


def headers_of(answer: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in answer["blocks"] if b["type"] == "header"]


async def test_a_cached_quote_is_the_ack_itself_and_nothing_follows(
    adapter: SlackAdapter, slack: FakeSlack, fake_yahoo: FakeYahoo
) -> None:
    warming = slash_payload(slack, "/quote", "SPCX")  # a first quote fills the cache
    if (await send(adapter, warming))[1] == "":  # (Yahoo's cookie and crumb took a while)
        await slack.wait_for_answer(response_token(warming))
    asked = fake_yahoo.count()
    payload = slash_payload(slack, "/quote", "SPCX")
    status, answer, took = await send(adapter, payload)
    await asyncio.sleep(0.3)  # anything posted after the ack would have arrived by now
    assert status == 200
    assert isinstance(answer, dict), answer
    assert answer["response_type"] == "in_channel"
    assert answer["text"].startswith("SPCX  153.20 USD")
    assert headers_of(answer) == ["▲ SPCX · Space Exploration Technologies Corp."]
    assert answer["unfurl_links"] is False and answer["unfurl_media"] is False
    assert fake_yahoo.count() == asked  # from the cache
    assert slack.answers(response_token(payload)) == []
    assert took < GRACE + MARGIN


async def test_a_slow_answer_is_acked_empty_in_time_then_follows_once(
    adapter: SlackAdapter, slack: FakeSlack, fake_yahoo: FakeYahoo
) -> None:
    fake_yahoo.fail("all", "hang")  # Yahoo stops answering until healed
    payload = slash_payload(slack, "/quote", "AMZN")
    try:
        status, answer, took = await send(adapter, payload)
        assert (status, answer) == (200, "")
        assert GRACE * 0.9 <= took < GRACE + MARGIN  # waited for the grace, not for Yahoo
        await asyncio.sleep(0.2)
        assert slack.answers(response_token(payload)) == []  # still being worked on
    finally:
        fake_yahoo.fail("all", None)  # Yahoo answers: the quote follows at response_url
    followed = await slack.wait_for_answer(response_token(payload), timeout=10)
    await asyncio.sleep(0.2)
    assert slack.answers(response_token(payload)) == [followed]
    assert followed["response_type"] == "in_channel"
    assert headers_of(followed) == ["▲ AMZN · Amazon.com, Inc."]


async def test_a_zero_grace_always_acks_empty_and_follows_up(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack
) -> None:
    app = slack_app(tmp_path, fake_yahoo, slack, slack_mode="http", slack_ack_grace=0)
    async with running(app) as adapter:
        payload = slash_payload(slack, "/probe", "echo hi")
        status, answer, _ = await send(adapter, payload)
        followed = await slack.wait_for_answer(response_token(payload))
    assert (status, answer) == (200, "")
    assert followed["text"] == "hi"


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("/quote", "", "Usage: quote"),  # nothing to quote
        ("/orbitdesk", "frobnicate SPCX", "frobnicate"),  # no such command
        ("/probe", "guard", "workspace admin"),  # not allowed here
    ],
)
async def test_errors_are_ephemeral_without_a_traceback(
    adapter: SlackAdapter, slack: FakeSlack, command: str, text: str, expected: str
) -> None:
    payload = slash_payload(slack, command, text)
    answers = await answers_to(adapter, slack, payload)
    assert len(answers) == 1
    assert answers[0]["response_type"] == "ephemeral"
    assert expected in answers[0]["text"]
    assert "Traceback" not in str(answers[0])


async def test_a_failing_data_source_answers_privately(
    adapter: SlackAdapter, slack: FakeSlack, fake_yahoo: FakeYahoo
) -> None:
    fake_yahoo.fail("all", "500")
    answers = await answers_to(adapter, slack, slash_payload(slack, "/quote", "MSFT"))
    assert len(answers) == 1
    assert answers[0]["response_type"] == "ephemeral"
    assert "Traceback" not in str(answers[0])


async def test_a_retried_delivery_runs_once(adapter: SlackAdapter, slack: FakeSlack) -> None:
    ran = record_dispatches(adapter.app.core)
    payload = slash_payload(slack, "/probe", "echo once")
    answers = await answers_to(adapter, slack, payload)
    status, again, _ = await send(adapter, payload, **{"X-Slack-Retry-Num": "1"})
    await asyncio.sleep(0.3)  # a second run would have answered by now
    assert (status, again) == (200, "")  # acknowledged, not run
    assert ran == ["probe echo once"]
    assert [a["text"] for a in answers] == ["once"]
    assert len(slack.answers(response_token(payload))) <= 1  # the first's, if it followed


async def test_a_retry_while_the_first_is_still_running_runs_once(
    adapter: SlackAdapter, slack: FakeSlack, fake_yahoo: FakeYahoo
) -> None:
    ran = record_dispatches(adapter.app.core)
    fake_yahoo.fail("all", "hang")
    payload = slash_payload(slack, "/quote", "NVDA")
    try:
        first = await send(adapter, payload)
        again = await send(adapter, payload, **{"X-Slack-Retry-Num": "1"})
    finally:
        fake_yahoo.fail("all", None)
    followed = await slack.wait_for_answer(response_token(payload), timeout=10)
    await asyncio.sleep(0.3)
    assert first[:2] == again[:2] == (200, "")
    assert ran == ["quote NVDA"]
    assert slack.answers(response_token(payload)) == [followed]


async def test_an_answer_the_ack_cannot_carry_follows_at_response_url(
    adapter: SlackAdapter, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(response: object) -> None:
        raise ValueError("cannot shape this answer for the ack")

    monkeypatch.setattr(adapter, "_slash_message", broken)
    payload = slash_payload(slack, "/probe", "echo still answered")
    status, answer, _ = await send(adapter, payload)
    followed = await slack.wait_for_answer(response_token(payload))
    assert (status, answer) == (200, "")
    assert followed["text"] == "still answered"
