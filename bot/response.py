"""The neutral answer every command returns; adapters map it onto their platform."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.actions import ActionIdError, encode, menu_id


class Tone(StrEnum):
    """What a card's colour means; each adapter picks its own palette."""

    UP = "up"
    DOWN = "down"
    NEUTRAL = "neutral"
    WARNING = "warning"

    @classmethod
    def of_change(cls, change: float | None) -> Tone:
        if change is None or change == 0:
            return cls.NEUTRAL
        return cls.UP if change > 0 else cls.DOWN


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with the answer (PNG charts). `path` is set once the console saved it."""

    filename: str
    content: bytes
    content_type: str = "image/png"
    description: str = ""
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.content),
            "description": self.description,
        }
        if self.path is not None:
            out["path"] = self.path
        else:
            out["base64"] = base64.b64encode(self.content).decode("ascii")
        return out


@dataclass(frozen=True, slots=True)
class Card:
    """A titled block of fields: a Discord embed, a Slack section, a framed block in a terminal."""

    title: str
    description: str = ""
    fields: Sequence[Field] = ()
    tone: Tone = Tone.NEUTRAL
    footer: str = ""
    url: str | None = None
    image: str | None = None  # filename of an Attachment shown inside the card

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "fields": [{"name": f.name, "value": f.value, "inline": f.inline} for f in self.fields],
            "tone": self.tone.value,
            "footer": self.footer,
            "url": self.url,
            "image": self.image,
        }


class ButtonStyle(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Button:
    """Runs `command` (a command line, as typed) when pressed; its answer replaces the message.

    `current` marks the state the answer already shows (the chart's range): drawn pressed or
    disabled where the platform can.
    """

    label: str
    command: str
    style: ButtonStyle = ButtonStyle.SECONDARY
    current: bool = False

    @property
    def id(self) -> str:
        return encode(self.command)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "button",
            "label": self.label,
            "style": self.style.value,
            "command": self.command,
            "id": self.id,
            "current": self.current,
        }


@dataclass(frozen=True, slots=True)
class MenuOption:
    label: str
    command: str
    current: bool = False

    @property
    def id(self) -> str:
        return encode(self.command)


@dataclass(frozen=True, slots=True)
class Menu:
    """A select menu: picking an option runs its command, like pressing a button."""

    placeholder: str
    options: Sequence[MenuOption]

    @property
    def id(self) -> str:
        return menu_id(o.command for o in self.options)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "menu",
            "placeholder": self.placeholder,
            "id": self.id,
            "options": [
                {"label": o.label, "command": o.command, "id": o.id, "current": o.current}
                for o in self.options
            ],
        }


@dataclass(frozen=True, slots=True)
class Lookup:
    """A typeahead: picking a suggestion runs `path` with `param` set to the picked value.

    The suggestions come from the parameter's own completion (`Core.complete`, the same that
    feeds Discord autocomplete). Where a platform has no typeahead in a message (Discord),
    it is left out; the console lists the command to type.
    """

    placeholder: str
    path: tuple[str, ...]
    param: str

    @property
    def command(self) -> str:
        """What to type instead: "quote <symbols>"."""
        return f"{' '.join(self.path)} <{self.param}>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "lookup",
            "placeholder": self.placeholder,
            "path": list(self.path),
            "param": self.param,
            "command": self.command,
        }


Action = Button | Menu | Lookup


@dataclass(frozen=True, slots=True)
class ActionRow:
    """Actions shown side by side under an answer; `note` says what they act on ("#3")."""

    items: Sequence[Action]
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"note": self.note, "items": [i.to_dict() for i in self.items]}


def fits(action: Action) -> bool:
    """True when every id the action carries is within the platforms' limits."""
    try:
        if isinstance(action, Button):
            action.id  # noqa: B018  (encoding is the check)
        elif isinstance(action, Menu):
            for option in action.options:
                option.id  # noqa: B018
    except ActionIdError:
        return False
    return True


def action_rows(*rows: ActionRow) -> tuple[ActionRow, ...]:
    """Rows with every action that does not fit left out, and empty rows dropped."""
    kept = []
    for row in rows:
        items = tuple(i for i in row.items if fits(i))
        if items:
            kept.append(ActionRow(items, row.note))
    return tuple(kept)


@dataclass(frozen=True, slots=True)
class Response:
    """What a command answers.

    `text` is always a complete answer on its own (the fallback for platforms or clients that
    show no cards); `cards` are the rich form; `data` holds the machine-readable values behind
    the answer; `kind` says whether it is an answer or which kind of error.
    """

    text: str
    cards: Sequence[Card] = ()
    attachments: Sequence[Attachment] = ()
    ephemeral: bool = False
    data: Mapping[str, Any] = field(default_factory=dict)
    kind: str = "ok"  # ok | usage | not_found | upstream | forbidden | error
    # False: links stay plain links, never previews. Slack answers never unfurl anyway
    # (unfurl_links/unfurl_media false on every message); Discord wraps them in <...>.
    unfurl: bool = True
    # Buttons and menus under the answer (see bot.actions); each platform draws its own.
    actions: Sequence[ActionRow] = ()

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    def as_text(self) -> str:
        """The complete plain-text answer (what a client without cards shows)."""
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "cards": [c.to_dict() for c in self.cards],
            "attachments": [a.to_dict() for a in self.attachments],
            "ephemeral": self.ephemeral,
            "data": dict(self.data),
            "actions": [r.to_dict() for r in self.actions],
        }
