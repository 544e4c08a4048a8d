"""Buttons on Slack: signed block_actions to the real slack-bolt app (HTTP mode); answers
replace the message through response_url (replace_original), errors come privately."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.adapters.slack_adapter import SlackAdapter
from tests.fakes.slack_server import FakeSlack, FakeUser
from tests.slack_support import (
    action_payload,
    ask,
    port_of,
    post_action,
    post_interactive,
    record_dispatches,
    suggestion_payload,
)
from tests.slack_support import adapter as adapter  # a fixture, shared
from tests.slack_support import slack as slack  # a fixture, shared


async def press(
    adapter: SlackAdapter, slack: FakeSlack, action_id: str, **kw: Any
) -> dict[str, Any]:
    payload = action_payload(slack, action_id, **kw)
    assert await post_action(port_of(adapter), payload) == 200
    return await slack.wait_for_answer(payload["response_url"].rsplit("/", 1)[1])


def elements(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def test_quote_answer_ends_with_a_refresh_button(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    answer = await ask(adapter, slack, "/quote", "SPCX")
    assert answer["blocks"][-1] == {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Refresh", "emoji": True},
                "action_id": "od1|quote SPCX",
                "value": "od1|quote SPCX",
                "style": "primary",
            },
            {
                "type": "external_select",
                "action_id": "pick:quote:symbols",
                "placeholder": {
                    "type": "plain_text",
                    "text": "Quote another symbol…",
                    "emoji": True,
                },
                "min_query_length": 1,
            },
        ],
    }


async def test_pressing_replaces_the_original_through_response_url(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    dispatched = record_dispatches(adapter.app.core)
    answer = await ask(adapter, slack, "/chart", "SPCX")
    five_days = next(e for e in elements(answer) if e["text"]["text"] == "5d")
    replaced = await press(adapter, slack, five_days["action_id"])
    assert replaced["replace_original"] is True
    assert replaced["response_type"] == "in_channel"
    assert any("· 5d ·" in b["text"]["text"] for b in replaced["blocks"] if b["type"] == "header")
    shown = {e["text"]["text"]: e for e in elements(replaced)}
    assert shown["5d"]["style"] == "primary" and "style" not in shown["1d"]
    assert dispatched == ["chart SPCX", "chart SPCX 5d"]
    uploads = await slack.wait_for("files.completeUploadExternal", 2)  # the new chart image
    assert len(uploads) == 2


async def test_presses_answer_over_one_kept_alive_connection(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    """Bolt's own respond opened a new connection (a TLS handshake, on Slack) per press."""
    await ask(adapter, slack, "/quote", "SPCX")
    for _ in range(3):
        replaced = await press(adapter, slack, "od1|quote SPCX")
        assert replaced["replace_original"] is True
    peers = {c.peer for c in slack.calls if c.method == "response"}
    assert len([c for c in slack.calls if c.method == "response"]) >= 3
    assert len(peers) == 1, peers


@pytest.mark.parametrize("action_id", ["od1|", "od9|quote SPCX", "od1|" + "quote SPCX " * 12])
async def test_forged_or_oversized_ids_get_a_private_answer(
    adapter: SlackAdapter, slack: FakeSlack, action_id: str
) -> None:
    dispatched = record_dispatches(adapter.app.core)
    answer = await press(adapter, slack, action_id)
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "not one this OrbitDesk can run" in answer["text"]
    assert dispatched == []


async def test_errors_from_the_command_are_private_and_leave_the_message(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    answer = await press(adapter, slack, "od1|quote ZZZZQ")
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert answer["text"].startswith("No such symbol: ZZZZQ.")


async def test_manage_actions_ask_slack_who_pressed(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    slack.users["U0BOB"] = FakeUser("U0BOB", "bob")
    answer = await press(adapter, slack, "od1|schedule pause 1", user_id="U0BOB")
    assert answer["response_type"] == "ephemeral" and "workspace admin" in answer["text"]


async def test_a_select_runs_the_picked_option(adapter: SlackAdapter, slack: FakeSlack) -> None:
    dispatched = record_dispatches(adapter.app.core)
    answer = await press(adapter, slack, "od1|?0123abcd", selected="od1|quote AMZN")
    assert answer["replace_original"] is True
    assert dispatched == ["quote AMZN"]
    json.dumps(answer)  # plain JSON all the way


async def test_options_answer_carries_a_static_select_that_picks_an_expiry(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    dispatched = record_dispatches(adapter.app.core)
    answer = await ask(adapter, slack, "/options", "SPCX puts")
    [select] = [e for e in elements(answer) if e["type"] == "static_select"]
    assert select["action_id"].startswith("od1|?")
    assert select["placeholder"]["text"] == "Another expiry…"
    assert select["initial_option"]["text"]["text"] == "Nov 27 (3 days)"
    options = {o["text"]["text"]: o["value"] for o in select["options"]}
    assert options["Dec 18 (24 days)"] == "od1|options SPCX 2026-12-18 puts"
    # block_actions for a static_select carries the picked option; the chain replaces the message.
    replaced = await press(
        adapter, slack, select["action_id"], selected=options["Dec 18 (24 days)"]
    )
    assert replaced["replace_original"] is True and replaced["response_type"] == "in_channel"
    headers = [b["text"]["text"] for b in replaced["blocks"] if b["type"] == "header"]
    assert headers[0] == "SPCX puts · Dec 18"
    [again] = [e for e in elements(replaced) if e["type"] == "static_select"]
    assert again["initial_option"]["text"]["text"] == "Dec 18 (24 days)"
    assert dispatched == ["options SPCX puts", "options SPCX 2026-12-18 puts"]
    forged = await press(adapter, slack, select["action_id"], selected="od1|?feedbeef")
    assert forged["response_type"] == "ephemeral" and forged["replace_original"] is False
    assert "not one this OrbitDesk can run" in forged["text"]
    assert len(dispatched) == 2  # nothing ran


async def test_a_typeahead_under_a_quote_suggests_symbols_and_replaces_the_quote(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    ran: list[tuple[str, str]] = []
    adapter.app.core.listeners.append(
        lambda inv, spec, resp, took: ran.append((spec.name if spec else "?", inv.source))
    )
    answer = await ask(adapter, slack, "/quote", "SPCX")
    [lookup] = [e for e in elements(answer) if e["type"] == "external_select"]
    # Slack asks for suggestions (block_suggestion) from the message, as from the Home tab.
    asking = suggestion_payload(lookup["action_id"], "amaz")
    asking["container"] = {"type": "message", "message_ts": "1.1", "channel_id": "C0MARKETS"}
    asking["channel"] = {"id": "C0MARKETS", "name": "markets"}
    del asking["view"]
    status, body = await post_interactive(port_of(adapter), asking)
    assert status == 200
    assert body["options"][0]["value"] == "AMZN"
    assert body["options"][0]["text"]["text"].startswith("AMZN")
    # Picking one: block_actions with the external_select's selected_option.
    picked = action_payload(slack, lookup["action_id"], selected="AMZN")
    picked["actions"][0]["type"] = "external_select"
    assert await post_action(port_of(adapter), picked) == 200
    replaced = await slack.wait_for_answer(picked["response_url"].rsplit("/", 1)[1])
    assert replaced["replace_original"] is True and replaced["response_type"] == "in_channel"
    headers = [b["text"]["text"] for b in replaced["blocks"] if b["type"] == "header"]
    assert headers == ["▲ AMZN · Amazon.com, Inc."]
    assert [e["action_id"] for e in elements(replaced)] == ["od1|quote AMZN", "pick:quote:symbols"]
    assert ran == [("quote", "typed"), ("quote", "action")]  # counted as an action
    # A symbol nobody lists: a private answer, the quote stays.
    unknown = action_payload(slack, lookup["action_id"], selected="ZZZZQ")
    unknown["actions"][0]["type"] = "external_select"
    assert await post_action(port_of(adapter), unknown) == 200
    refused = await slack.wait_for_answer(unknown["response_url"].rsplit("/", 1)[1])
    assert refused["response_type"] == "ephemeral" and refused["replace_original"] is False
    assert refused["text"].startswith("No such symbol: ZZZZQ.")
