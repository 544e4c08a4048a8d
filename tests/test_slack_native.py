"""Slack-native features through the real slack-bolt app in HTTP mode, against the fake Slack:
symbol typeahead (block_suggestion), the App Home, link unfurls and cashtags."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.slack_adapter import SlackAdapter
from bot.adapters.slack_home import pick_action_id, read_pick_action_id, suggestion_options
from bot.completion import Choice
from tests.fakes.slack_server import FakeSlack
from tests.fakes.yahoo_server import FakeYahoo
from tests.slack_support import (
    port_of,
    post_interactive,
    running,
    slack_app,
    suggestion_payload,
)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def adapter(
    tmp_path: Path, fake_yahoo: FakeYahoo, slack: FakeSlack
) -> AsyncIterator[SlackAdapter]:
    async with running(slack_app(tmp_path, fake_yahoo, slack, slack_mode="http")) as started:
        yield started


# ---------------------------------------------------------------------- typeahead


def test_pick_action_ids_name_a_command_and_parameter() -> None:
    assert pick_action_id(("watchlist", "add"), "symbols") == "pick:watchlist.add:symbols"
    assert read_pick_action_id("pick:watchlist.add:symbols") == (("watchlist", "add"), "symbols")
    for odd in (
        "pick:",
        "pick:quote",
        "pick::symbols",
        "pick:quote.:x",
        "refresh:quote",
        "x" * 300,
    ):
        assert read_pick_action_id(odd) is None
    with pytest.raises(ValueError):
        pick_action_id(("a:b",), "symbols")


def test_suggestion_options_fit_slacks_limits() -> None:
    options = suggestion_options(
        [Choice("SPCX (spacex)", "SPCX"), Choice("L" * 90, "LONG"), Choice("too long", "V" * 151)]
    )
    assert options[0] == {"text": {"type": "plain_text", "text": "SPCX (spacex)"}, "value": "SPCX"}
    assert len(options[1]["text"]["text"]) == 75
    assert len(options) == 2  # a value Slack would refuse is left out


async def test_typeahead_answers_with_the_cores_symbol_suggestions(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    port = port_of(adapter)
    status, body = await post_interactive(
        port, suggestion_payload(pick_action_id(("quote",), "symbols"), "spac")
    )
    assert status == 200
    values = [o["value"] for o in body["options"]]
    assert values[0] == "SPCX"  # the alias, instantly
    assert body["options"][0]["text"]["text"].startswith("SPCX (space")
    # The same suggestions Discord autocomplete gets, from the same core call.
    direct = await adapter.app.core.complete(
        adapter._invocation_of({"user": {"id": "U0ADA"}}, path=("quote",)), "symbols", "spac"
    )
    assert values == [c.value for c in direct]
    # A typeahead we never offered, or a parameter without a source: empty, never an error.
    for action_id in ("pick:nosuch:symbols", "pick:quote:nosuch"):
        status, body = await post_interactive(port, suggestion_payload(action_id, "spa"))
        assert (status, body) == (200, {"options": []})
    assert slack.calls_to("chat.postMessage") == []
