"""Response -> a Slack message ({"text", "blocks"}): Block Kit cards with a plain fallback.

Pure: no I/O, no slack_sdk. Everything that reaches Slack passes through `escape()`, which
turns `&`, `<` and `>` into entities (Slack forms every mention and link with `<...>`, so
`<!channel>` or `<@U123>` cannot be produced) and breaks bare `@here`/`@channel`/`@everyone`
with a zero-width space, in case a client ever parses them as words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.actions import unique
from bot.response import (
    ActionRow,
    Button,
    ButtonStyle,
    Card,
    Field,
    Lookup,
    Menu,
    Response,
    Tone,
)

MAX_TEXT = 3000  # section text, and the fallback `text` we send
MAX_FIELD = 2000  # one section field
MAX_FIELDS = 10  # fields per section
MAX_HEADER = 150  # header block, plain_text
MAX_CONTEXT = 2000  # one context element
MAX_BLOCKS = 50  # per message

_BARE_MENTION = re.compile(r"@(here|channel|everyone)", re.IGNORECASE)
_SAFE_URL = re.compile(r"^https?://[^\s<>|&\"']{1,1000}$")
_TONE_MARK = {Tone.UP: "▲ ", Tone.DOWN: "▼ ", Tone.WARNING: "⚠ ", Tone.NEUTRAL: ""}

Message = dict[str, Any]
Block = dict[str, Any]


def escape(text: str) -> str:
    """Text made inert for Slack: entities for &, <, > and broken bare mentions."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BARE_MENTION.sub(lambda m: "@\u200b" + m.group(1), text)


def _safe_clip(text: str, limit: int) -> str:
    """Escape, then clip without cutting an entity such as `&amp;` in half."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def _bold_name(field: Field) -> Block:
    """`*name*\\nvalue`, both escaped and clipped together to the field limit."""
    name = _safe_clip(field.name, 200)
    value = _safe_clip(field.value, MAX_FIELD - len(name) - 3)
    return _mrkdwn(f"*{name}*\n{value}")


def _text_sections(text: str) -> list[Block]:
    """A long text as sections of at most MAX_TEXT escaped characters, split at line ends."""
    sections: list[Block] = []
    chunk = ""
    for line in escape(text).splitlines() or [""]:
        while len(line) > MAX_TEXT:
            if chunk:
                sections.append({"type": "section", "text": _mrkdwn(chunk)})
                chunk = ""
            piece = line[:MAX_TEXT]
            amp = piece.rfind("&")
            if amp > 0 and ";" not in piece[amp:]:
                piece = piece[:amp]
            sections.append({"type": "section", "text": _mrkdwn(piece)})
            line = line[len(piece) :]
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(candidate) > MAX_TEXT:
            sections.append({"type": "section", "text": _mrkdwn(chunk)})
            chunk = line
        else:
            chunk = candidate
    if chunk.strip():
        sections.append({"type": "section", "text": _mrkdwn(chunk)})
    return sections


def card_blocks(card: Card, uploaded: Sequence[str] = ()) -> list[Block]:
    """One card: header, description, fields in sections of ten, image note, context footer."""
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _TONE_MARK[card.tone] + (_safe_clip(card.title, MAX_HEADER - 2) or "-"),
                "emoji": True,
            },
        }
    ]
    if card.description:
        blocks.extend(_text_sections(card.description))
    fields = list(card.fields)
    for start in range(0, len(fields), MAX_FIELDS):
        group = fields[start : start + MAX_FIELDS]
        blocks.append({"type": "section", "fields": [_bold_name(f) for f in group]})
    context: list[Block] = []
    if card.footer:
        context.append(_mrkdwn(_safe_clip(card.footer, MAX_CONTEXT)))
    if card.url and _SAFE_URL.match(card.url):
        context.append(_mrkdwn(f"<{card.url}|details>"))
    if card.image:
        where = "attached below" if card.image in uploaded else "not attached"
        context.append(_mrkdwn(_safe_clip(f"Chart: {card.image} ({where})", MAX_CONTEXT)))
    if context:
        blocks.append({"type": "context", "elements": context})
    return blocks


def render(response: Response, *, uploaded: Sequence[str] = ()) -> Message:
    """The Slack message for a Response: `text` always, `blocks` within Slack's limits.

    `uploaded` names the attachments that go up as files beside the message (Slack shows
    private uploads in image blocks to nobody but the uploader, so charts are shared files).
    """
    actions = action_blocks(response.actions)
    limit = MAX_BLOCKS - len(actions)  # the buttons always fit; content gives way
    blocks: list[Block] = []
    if response.cards:
        for index, card in enumerate(response.cards):
            if index:
                blocks.append({"type": "divider"})
            blocks.extend(card_blocks(card, uploaded))
    else:
        blocks.extend(_text_sections(response.text))
    if len(blocks) > limit:
        shown = blocks[: limit - 1]
        if shown[-1]["type"] == "divider":
            shown.pop()
        left = len(response.cards) - sum(1 for b in shown if b["type"] == "header")
        note = "More than fits in one Slack message"
        note += f": {left} more card(s) not shown." if left > 0 else "; the rest is cut."
        shown.append({"type": "context", "elements": [_mrkdwn(note)]})
        blocks = shown
    return {"text": _safe_clip(response.text, MAX_TEXT) or " ", "blocks": [*blocks, *actions]}


# Actions -> Block Kit ------------------------------------------------------------------------
# Kept apart from the card layout above: buttons and static selects carrying bot.actions ids.

MAX_ACTION_BLOCKS = 5  # a message of buttons is not a menu system
MAX_ELEMENTS = 25  # per actions block
MAX_BUTTON_TEXT = 75
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_PLACEHOLDER = 150
_STYLES = {ButtonStyle.PRIMARY: "primary", ButtonStyle.DANGER: "danger"}  # secondary: none
# A typeahead (external_select) names the command and parameter it runs in its action_id; its
# suggestions come from a block_suggestion request the adapter answers (slack_home).
PICK_PREFIX = "pick:"
MAX_ACTION_ID = 255
MIN_QUERY_LENGTH = 1  # Slack asks after this many typed characters


def pick_action_id(path: Sequence[str], param: str) -> str:
    """`("watchlist", "add")`, `"symbols"` -> `pick:watchlist.add:symbols`."""
    action_id = f"{PICK_PREFIX}{'.'.join(path)}:{param}"
    if len(action_id) > MAX_ACTION_ID or any(":" in p or "." in p for p in path):
        raise ValueError(f"cannot name {path!r}/{param!r} in a Slack action_id")
    return action_id


def _plain(text: str, limit: int) -> Block:
    clipped = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": clipped or "-", "emoji": True}


def action_blocks(rows: Sequence[ActionRow]) -> list[Block]:
    """Each row as an `actions` block of buttons and static selects (ids unique per message).

    Slack has no disabled button: the one showing the current state is drawn primary, and
    pressing it runs the same answer again (a refresh).
    """
    blocks: list[Block] = []
    for row in rows[:MAX_ACTION_BLOCKS]:
        elements = [e for e in (_element(i) for i in row.items[:MAX_ELEMENTS]) if e is not None]
        if elements:
            blocks.append({"type": "actions", "elements": elements})
    ids = unique(e["action_id"] for b in blocks for e in b["elements"])
    position = 0
    for block in blocks:
        for element in block["elements"]:
            element["action_id"] = ids[position]
            position += 1
    return blocks


def _element(item: Button | Menu | Lookup) -> Block | None:
    if isinstance(item, Lookup):
        try:
            action_id = pick_action_id(item.path, item.param)
        except ValueError:
            return None
        return {
            "type": "external_select",
            "action_id": action_id,
            "placeholder": _plain(item.placeholder, MAX_PLACEHOLDER),
            "min_query_length": MIN_QUERY_LENGTH,
        }
    if isinstance(item, Button):
        element: Block = {
            "type": "button",
            "text": _plain(item.label, MAX_BUTTON_TEXT),
            "action_id": item.id,
            "value": item.id,
        }
        style = ButtonStyle.PRIMARY if item.current else item.style
        if style in _STYLES:
            element["style"] = _STYLES[style]
        return element
    options = [
        {"text": _plain(o.label, MAX_OPTION_TEXT), "value": o.id}
        for o in item.options[:MAX_OPTIONS]
    ]
    element = {
        "type": "static_select",
        "action_id": item.id,
        "placeholder": _plain(item.placeholder, MAX_PLACEHOLDER),
        "options": options,
    }
    current = [o for o, src in zip(options, item.options, strict=False) if src.current]
    if current:
        element["initial_option"] = current[0]
    return element
