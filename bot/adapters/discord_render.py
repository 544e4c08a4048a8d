"""Response -> Discord messages (content, embed JSON, files): pure, and always within limits.

Cards become embeds coloured by tone, with fields (inline when short) and the card's footer
(source and "as of"). Long text is split at line breaks; long embeds continue in further
embeds; more than 10 embeds or 6,000 embed characters continue in further messages. Files
over the upload limit are left out with a note, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.actions import unique
from bot.identity_memo import IdentityMemo
from bot.response import (
    ActionRow,
    Attachment,
    Button,
    ButtonStyle,
    Card,
    Lookup,
    Menu,
    Response,
    Tone,
)

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000  # title + description + field names/values + footer, all embeds
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_FILES = 10
MAX_MESSAGES = 5  # a longer answer is trimmed rather than flooding the channel
DEFAULT_FILE_LIMIT = 10 * 1024 * 1024
SHORT_FIELD = 40  # a field this short (one line) sits inline, three to a row
BLANK = "\u200b"  # Discord refuses empty field names and values

COLOURS = {
    Tone.UP: 0x2ECC71,
    Tone.DOWN: 0xE74C3C,
    Tone.NEUTRAL: 0x5865F2,
    Tone.WARNING: 0xF1C40F,
}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")
_FENCE = "```"
_BARE_URL = re.compile(r"(?<![<(\w])https?://[^\s<>]+")


@dataclass(frozen=True, slots=True)
class DiscordFile:
    filename: str
    content: bytes
    description: str = ""


@dataclass(frozen=True, slots=True)
class DiscordMessage:
    """One message to send: content, embeds as Discord JSON, and files."""

    content: str = ""
    embeds: tuple[dict[str, Any], ...] = ()
    files: tuple[DiscordFile, ...] = field(default=())
    components: tuple[dict[str, Any], ...] = ()  # action rows (buttons, selects) as JSON


def trim(text: str, limit: int) -> str:
    """At most `limit` characters, cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, cut at line breaks, then spaces, then anywhere.

    A ``` code block cut in two is closed at the end of one chunk and reopened in the next.
    """
    chunks: list[str] = []
    rest = text
    reopen = ""
    while rest:
        rest = reopen + rest
        room = limit - len(_FENCE) - 1  # keep space to close an open code block
        if len(rest) <= limit:
            chunks.append(rest)
            break
        cut = rest.rfind("\n", 0, room + 1)
        if cut <= len(reopen):
            cut = rest.rfind(" ", 0, room + 1)
        if cut <= len(reopen):
            cut = room
        chunk, rest = rest[:cut], rest[cut:]
        if rest[:1] in ("\n", " "):
            rest = rest[1:]  # the separator we cut at; indentation after it stays
        if chunk.count(_FENCE) % 2:
            chunk += "\n" + _FENCE
            reopen = _FENCE + "\n"
        else:
            reopen = ""
        chunks.append(chunk)
    return [c for c in chunks if c.strip()] or [BLANK]


def no_previews(text: str) -> str:
    """Bare links wrapped in <...>, which Discord shows as links without an embedded preview."""
    return _BARE_URL.sub(lambda m: f"<{m.group(0)}>", text)


def safe_filename(name: str) -> str:
    """A file name Discord can reference as attachment://NAME."""
    cleaned = _UNSAFE_FILENAME.sub("_", name).strip("._") or "attachment"
    return cleaned[-100:]


def embed_size(embed: dict[str, Any]) -> int:
    """Characters Discord counts against the 6,000 per-message embed total."""
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", ""))
    size += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", ()))
    return size


# Embeds by the card they render (bot.identity_memo): a burst of /quote SPCX and its Refresh
# presses get the same Card object, laid out once. Cards with an image are laid out each time
# (their embed names the attached file, and a chart is drawn anew anyway).
_EMBEDS: IdentityMemo[Card, tuple[dict[str, Any], ...]] = IdentityMemo()


def card_embeds(card: Card, files: Sequence[DiscordFile] = ()) -> tuple[dict[str, Any], ...]:
    """One card as one embed, or several when it holds more than one embed may."""
    if card.image:
        return tuple(_card_embeds(card, files))
    return _EMBEDS.get(card, lambda c: tuple(_card_embeds(c, ())))


def _card_embeds(card: Card, files: Sequence[DiscordFile]) -> list[dict[str, Any]]:
    colour = COLOURS.get(card.tone, COLOURS[Tone.NEUTRAL])
    first: dict[str, Any] = {"type": "rich", "color": colour}
    if card.title:
        first["title"] = trim(card.title, MAX_TITLE)
    if card.url and card.url.startswith(("http://", "https://")):
        first["url"] = card.url
    if card.image:
        name = safe_filename(card.image)
        if any(f.filename == name for f in files):
            first["image"] = {"url": f"attachment://{name}"}
    embeds = [first]
    if card.description:
        parts = split_text(card.description, MAX_DESCRIPTION)
        first["description"] = parts[0]
        embeds.extend({"type": "rich", "color": colour, "description": p} for p in parts[1:])
    footer = trim(card.footer, MAX_FOOTER) if card.footer else ""
    budget = MAX_EMBED_TOTAL - len(footer)
    current = embeds[-1]
    size = embed_size(current)
    for item in card.fields:
        name = trim(item.name.strip(), MAX_FIELD_NAME) or BLANK
        value = trim(item.value.strip(), MAX_FIELD_VALUE) or BLANK
        short = len(value) <= SHORT_FIELD and "\n" not in value
        entry = {"name": name, "value": value, "inline": item.inline and short}
        fields = current.setdefault("fields", [])
        if len(fields) >= MAX_FIELDS or size + len(name) + len(value) > budget:
            current = {"type": "rich", "color": colour, "fields": []}
            embeds.append(current)
            size = 0
        current["fields"].append(entry)
        size += len(name) + len(value)
    for embed in embeds:
        if not embed.get("fields"):
            embed.pop("fields", None)
    if footer:
        embeds[-1]["footer"] = {"text": footer}
    return embeds


def _files(attachments: Sequence[Attachment], limit: int) -> tuple[list[DiscordFile], list[str]]:
    files: list[DiscordFile] = []
    notes: list[str] = []
    for attachment in attachments:
        name = safe_filename(attachment.filename)
        if len(attachment.content) > limit:
            notes.append(
                f"({name} is {len(attachment.content) / 1e6:.1f} MB, over this server's "
                f"{limit / 1e6:.0f} MB upload limit, so it is not attached.)"
            )
        elif len(files) >= MAX_FILES * MAX_MESSAGES:
            notes.append(f"({name} not attached: too many files.)")
        else:
            files.append(DiscordFile(name, attachment.content, trim(attachment.description, 1024)))
    return files, notes


def render(response: Response, *, file_limit: int = DEFAULT_FILE_LIMIT) -> list[DiscordMessage]:
    """Response -> 1 to 5 Discord messages; never raises on length."""
    files, notes = _files(response.attachments, file_limit)
    embeds = [e for card in response.cards for e in card_embeds(card, files)]
    texts: list[str] = []
    if not embeds:
        text = response.text if response.unfurl else no_previews(response.text)
        texts = split_text(text or BLANK, MAX_CONTENT)
    if notes:
        texts = [*texts[:-1], *split_text("\n".join([*texts[-1:], *notes]), MAX_CONTENT)]
    # Pack: contents first (one per message), embeds in batches within count and size limits.
    batches: list[list[dict[str, Any]]] = []
    batch_size = 0
    for embed in embeds:
        size = embed_size(embed) if len(embeds) > 1 else 0  # one embed: a batch of its own
        if not batches or len(batches[-1]) >= MAX_EMBEDS or batch_size + size > MAX_EMBED_TOTAL:
            batches.append([embed])
            batch_size = size
        else:
            batches[-1].append(embed)
            batch_size += size
    count = max(len(texts), len(batches), -(-len(files) // MAX_FILES), 1)
    messages = []
    for index in range(min(count, MAX_MESSAGES)):
        content = texts[index] if index < len(texts) else ""
        if index == MAX_MESSAGES - 1 and count > MAX_MESSAGES:
            note = "\n(answer trimmed: too long for Discord)"
            content = trim(content, MAX_CONTENT - len(note)) + note
        messages.append(
            DiscordMessage(
                content=content,
                embeds=tuple(batches[index]) if index < len(batches) else (),
                files=tuple(files[index * MAX_FILES : (index + 1) * MAX_FILES]),
                # On the first message: the one a pressed button replaces.
                components=_components(response.actions) if index == 0 else (),
            )
        )
    return messages


# ---------------------------------------------------------------------- actions -> components
# Kept apart from the message layout above: buttons and selects (bot.actions ids).

MAX_ROWS = 5  # action rows per message
MAX_BUTTONS = 5  # buttons per row (a select fills a row alone)
MAX_LABEL = 80
MAX_OPTIONS = 25
MAX_OPTION_LABEL = 100
MAX_PLACEHOLDER = 150
BUTTON_STYLES = {ButtonStyle.PRIMARY: 1, ButtonStyle.SECONDARY: 2, ButtonStyle.DANGER: 4}
BUTTON, SELECT, ROW = 2, 3, 1


# Component JSON by the rows it lays out (bot.identity_memo): commands hand out the same rows
# for the same line (a quote's Refresh), so the JSON is written once.
_COMPONENTS: IdentityMemo[Sequence[ActionRow], tuple[dict[str, Any], ...]] = IdentityMemo()


def _components(rows: Sequence[ActionRow]) -> tuple[dict[str, Any], ...]:
    return _COMPONENTS.get(rows, lambda r: tuple(components(r))) if rows else ()


def components(rows: Sequence[ActionRow]) -> list[dict[str, Any]]:
    """Action rows as Discord component JSON: at most 5 rows of 5 buttons, or one select each.

    A neutral row with more buttons wraps onto the next row; rows past the fifth are left out.
    The button showing the current state is disabled. custom_ids are unique in the message.
    """
    laid: list[list[dict[str, Any]]] = []
    for row in rows:
        buttons: list[dict[str, Any]] = []
        for item in row.items:
            if isinstance(item, Lookup):
                continue  # no typeahead in a Discord message (autocomplete is for commands)
            if isinstance(item, Menu):
                if buttons:
                    laid.append(buttons)
                    buttons = []
                laid.append([_select(item)])
            else:
                buttons.append(_button(item))
                if len(buttons) == MAX_BUTTONS:
                    laid.append(buttons)
                    buttons = []
        if buttons:
            laid.append(buttons)
    laid = laid[:MAX_ROWS]
    ids = unique(c["custom_id"] for row in laid for c in row)
    out = []
    position = 0
    for row_items in laid:
        for component in row_items:
            component["custom_id"] = ids[position]
            position += 1
        out.append({"type": ROW, "components": row_items})
    return out


def _button(button: Button) -> dict[str, Any]:
    return {
        "type": BUTTON,
        "style": BUTTON_STYLES[button.style],
        "label": trim(button.label, MAX_LABEL),
        "custom_id": button.id,
        "disabled": button.current,  # the button showing the current state
    }


def _select(menu: Menu) -> dict[str, Any]:
    return {
        "type": SELECT,
        "custom_id": menu.id,
        "placeholder": trim(menu.placeholder, MAX_PLACEHOLDER),
        "options": [
            {
                "label": trim(o.label, MAX_OPTION_LABEL),
                "value": o.id,
                **({"default": True} if o.current else {}),
            }
            for o in menu.options[:MAX_OPTIONS]
        ],
        "min_values": 1,
        "max_values": 1,
    }
