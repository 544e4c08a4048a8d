"""Slack-native forms, pure: the App Home view, typeahead menus, link unfurls, thread replies.

- A typeahead is an `external_select` whose action_id names a command and a parameter
  (`pick:watchlist.add:symbols`); Slack asks for suggestions with a `block_suggestion` request
  and the adapter answers from `Core.complete` with `suggestion_options()`. Picking a value runs
  that command with the parameter set to it.
- The home view renders a neutral `bot.glance.Home` (cards, pickers, the last pick's answer).
- An unfurl is a quote Response's cards as blocks, keyed by the URL it is for.
No I/O here, no slack_sdk: everything is a dict Slack accepts, within its limits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.adapters.slack_render import (
    MAX_ACTION_ID,
    MAX_BLOCKS,
    MIN_QUERY_LENGTH,
    PICK_PREFIX,
    card_blocks,
    escape,
    pick_action_id,
    render,
)
from bot.completion import Choice
from bot.glance import Home, Picker
from bot.response import Response

MAX_OPTIONS = 100  # options in one block_suggestion answer
MAX_OPTION_TEXT = 75  # plain_text of an option
MAX_OPTION_VALUE = 150  # value of an option
MAX_PLACEHOLDER = 150
HOME_BLOCKS = 100  # a home view holds at most 100 blocks

Block = dict[str, Any]


def read_pick_action_id(action_id: str) -> tuple[tuple[str, ...], str] | None:
    """The command path and parameter a typeahead names; None when it is not one of ours."""
    if not action_id.startswith(PICK_PREFIX) or len(action_id) > MAX_ACTION_ID:
        return None
    dotted, sep, param = action_id[len(PICK_PREFIX) :].partition(":")
    path = tuple(dotted.split("."))
    if not sep or not param or not all(path):
        return None
    return path, param


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def suggestion_options(choices: Sequence[Choice]) -> list[Block]:
    """The `options` of a block_suggestion answer (plain text: nothing in it can mention)."""
    return [
        {
            "text": {"type": "plain_text", "text": _clip(c.label, MAX_OPTION_TEXT) or c.value},
            "value": c.value,
        }
        for c in choices[:MAX_OPTIONS]
        if 0 < len(c.value) <= MAX_OPTION_VALUE
    ]


def picker_block(picker: Picker) -> Block:
    """An input-less section with an external_select that asks us for suggestions."""
    return {
        "type": "section",
        "block_id": f"picker.{'.'.join(picker.path)}",
        "text": {"type": "mrkdwn", "text": f"*{escape(picker.label)}*"},
        "accessory": {
            "type": "external_select",
            "action_id": pick_action_id(picker.path, picker.param),
            "placeholder": {
                "type": "plain_text",
                "text": _clip(picker.placeholder, MAX_PLACEHOLDER),
            },
            "min_query_length": MIN_QUERY_LENGTH,
        },
    }


def picked_value(action: Mapping[str, Any]) -> str:
    """The value a user picked in an external_select action ("" when none)."""
    selected = action.get("selected_option") or {}
    return str(selected.get("value") or "")


def home_view(home: Home) -> dict[str, Any]:
    """The `view` for views.publish: title, pickers, the last pick's answer, then the cards."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(home.title, 150)}}
    ]
    blocks.extend(picker_block(p) for p in home.pickers)
    if home.notice is not None:
        blocks.append({"type": "divider"})
        blocks.extend(render(home.notice)["blocks"])
    for card in home.cards:
        blocks.append({"type": "divider"})
        blocks.extend(card_blocks(card))
    if len(blocks) > HOME_BLOCKS:
        blocks = blocks[: HOME_BLOCKS - 1]
        note = "More than fits on this page; ask `/orbitdesk` for the rest."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return {"type": "home", "blocks": blocks}


def unfurls(response: Response, symbol_of_url: Mapping[str, str]) -> dict[str, Any]:
    """chat.unfurl's `unfurls`: each link's compact quote card, for links whose symbol has one.

    `response.data["symbols"][i]` names the symbol `response.cards[i]` is for.
    """
    symbols = [str(s) for s in response.data.get("symbols") or []]
    by_symbol = dict(zip(symbols, response.cards, strict=False))
    out: dict[str, Any] = {}
    for url, symbol in symbol_of_url.items():
        card = by_symbol.get(symbol)
        if card is not None:
            out[url] = {"blocks": card_blocks(card)[:MAX_BLOCKS]}
    return out
