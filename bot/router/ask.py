"""Asking in plain words: route the question, run the command through the core, say how it
was read ("Read as: `acquisition cursor`"), or offer candidates when unsure."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.context import Invocation
from bot.registry import Registry
from bot.response import ActionRow, Button, ButtonStyle, Card, Field, Response, fits
from bot.router.router import Router, Routing
from bot.router.vocabulary import VocabularyProvider
from bot.text import MAX_INPUT_CHARS, safe_echo

log = logging.getLogger(__name__)

Dispatch = Callable[[Invocation], Awaitable[Response]]


def read_as_line(command: str) -> str:
    return f"Read as: `{command}`"


@dataclass
class Asker:
    """The router with its vocabulary, compiled on first use, and the core to run answers."""

    provider: VocabularyProvider
    dispatch: Dispatch
    _router: Router | None = field(default=None, init=False, repr=False)

    @property
    def router(self) -> Router:
        if self._router is None:  # after the app loaded its data (knowledge.install)
            self._router = Router(self.provider.vocabulary(), self.provider.intents())
        return self._router

    def route(self, question: str) -> Routing:
        return self.router.route(question[:MAX_INPUT_CHARS])

    async def answer(self, invocation: Invocation, question: str) -> Response:
        """The answer to `question`, starting with how it was read; candidates when unsure."""
        routing = self.route(question)
        if routing.command is None:
            return self._not_sure(routing) if routing.unsure else self._not_understood(routing)
        inner = replace(invocation, text=routing.command, path=(), options={})
        response = await self.dispatch(inner)
        return with_reading(response, routing)

    def _not_sure(self, routing: Routing) -> Response:
        commands = [c.command for c in routing.candidates]
        lines = ["I'm not sure how to read that. Did you mean one of these?"]
        lines += [f"- `{c}`" for c in commands]
        card = Card(
            title="Which did you mean?",
            description="Type one of these, or ask again in other words.",
            fields=tuple(
                Field(f"`{c.command}`", _why(c.why), inline=False) for c in routing.candidates
            ),
        )
        # Each candidate as a button where the platform has them (the console lists them as
        # commands to type): pressing runs it like a typed command.
        buttons = [Button(label=c[:80], command=c, style=ButtonStyle.PRIMARY) for c in commands]
        row = ActionRow(items=tuple(b for b in buttons if fits(b)))
        return Response(
            text="\n".join(lines),
            cards=(card,),
            data={"read_as": None, "candidates": commands, "question": _echo(routing)},
            actions=(row,) if row.items else (),
        )

    def _not_understood(self, routing: Routing) -> Response:
        text = self.provider.help_text()
        return Response(
            text=text,
            cards=(Card(title="I'm not sure what you're asking", description=text),),
            data={"read_as": None, "candidates": [], "question": _echo(routing)},
        )


def with_reading(response: Response, routing: Routing) -> Response:
    """`response` with "Read as: `command`" first in its text and its first card."""
    assert routing.command is not None
    line = read_as_line(routing.command)
    cards = list(response.cards)
    if cards:
        first = cards[0]
        description = f"{line}\n{first.description}" if first.description else line
        cards[0] = replace(first, description=description)
    data: dict[str, Any] = {**response.data, "read_as": routing.command}
    data["question"] = _echo(routing)
    text = f"{line}\n{response.text}" if response.text else line
    return replace(response, text=text, cards=tuple(cards), data=data)


def question_or_command(registry: Registry, text: str) -> str:
    """`text` as typed when its first word is a command, else `ask <text>` for the router."""
    words = text.split(maxsplit=1)
    if not words:
        return text
    first = words[0].lstrip("/").lower()
    if first in registry.groups or registry.get((first,)) is not None:
        return text
    return f"ask {text}"


def _why(why: tuple[str, ...]) -> str:
    return safe_echo(", ".join(why), 200) if why else "a possible reading"


def _echo(routing: Routing) -> str:
    return safe_echo(routing.question, 200)
