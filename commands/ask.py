"""/ask: a question in plain words, read as one of the bot's commands (bot/router)."""

from __future__ import annotations

from typing import Annotated

from bot.context import Context
from bot.registry import Param, command
from bot.response import Response
from bot.text import MAX_INPUT_CHARS

Question = Annotated[
    str,
    Param(
        "a question, e.g. did the cursor deal close?",
        max_length=MAX_INPUT_CHARS,
        metavar="question",
        line=True,  # apostrophes and quotes are part of a question, not shell quoting
    ),
]


@command(
    "ask",
    examples=(
        "ask what's SpaceX trading at?",
        "ask did the cursor deal close?",
        "ask radiator area for 40 MW at 60C",
    ),
    deadline=10.0,
)
async def ask(ctx: Context, question: Question) -> Response:
    """Ask in plain words; the answer starts with the command it was read as.

    Questions about prices, charts, news, profiles, movers, options, acquisitions, orbital
    claims and the orbital calculators. When two readings are close it lists the candidates
    instead of guessing.
    """
    return await ctx.services.asker.answer(ctx.invocation, question)
