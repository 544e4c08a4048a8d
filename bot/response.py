"""The neutral answer every command returns; adapters map it onto their platform."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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
        }
