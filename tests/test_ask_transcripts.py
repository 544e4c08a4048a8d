"""`ask` as people use it: each issue example answered with its reading first, through the
console adapter, the real core and the fake Yahoo at a pinned instant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.console import question_or_command, render
from tests.breadth_support import Pinned, pinned_app
from tests.test_router import ISSUE_EXAMPLES


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Pinned]:
    async with pinned_app(tmp_path) as pinned:
        yield pinned


async def test_every_issue_example_answers_with_its_reading(chat: Pinned) -> None:
    for question, command in ISSUE_EXAMPLES:
        answer = await chat(f"ask {question}")
        line = f"Read as: `{command}`"
        assert answer.text.splitlines()[0] == line, (question, answer.text[:200])
        assert answer.data["read_as"] == command
        assert answer.cards, question
        assert answer.cards[0].description.splitlines()[0] == line
        assert answer.kind == "ok", (question, answer.text[:300])


async def test_the_answer_is_the_command_s_own(chat: Pinned) -> None:
    asked = await chat("ask did the cursor deal close?")
    typed = await chat("acquisition cursor")
    assert asked.text == "Read as: `acquisition cursor`\n" + typed.text
    assert asked.data["deal"] == typed.data["deal"]
    assert asked.data["deal"]["id"] == "spacex-cursor"
    quote = await chat("ask what's SpaceX trading at?")
    assert quote.data["quotes"][0]["symbol"] == "SPCX"
    radiator = await chat("ask radiator area for 40 MW at 60C")
    assert "Area for 40 MW" in render(radiator)


async def test_unsure_questions_get_candidates_not_a_guess(chat: Pinned) -> None:
    answer = await chat("ask 40 MW")
    assert answer.text.startswith("I'm not sure how to read that. Did you mean one of these?")
    assert answer.data["read_as"] is None
    assert 2 <= len(answer.data["candidates"]) <= 3
    assert all(f"- `{c}`" in answer.text for c in answer.data["candidates"])
    assert [f.name for f in answer.cards[0].fields] == [f"`{c}`" for c in answer.data["candidates"]]
    # Where the platform has buttons, each candidate is one: pressing runs that command.
    [row] = answer.actions
    assert [b.command for b in row.items] == answer.data["candidates"]
    pressed = await chat(row.items[0].command)
    assert pressed.kind == "ok"


async def test_unknown_questions_get_the_short_help(chat: Pinned) -> None:
    answer = await chat("ask tell me a joke")
    assert answer.text.startswith("I can answer questions about stock prices")
    assert answer.data == {"read_as": None, "candidates": [], "question": "tell me a joke"}


async def test_console_sends_a_non_command_to_the_router(chat: Pinned) -> None:
    core = chat.app.core
    answer = await core.dispatch(question_or_command(core, "did the cursor deal close?"))
    assert answer.text.startswith("Read as: `acquisition cursor`")
    typo = await core.dispatch(question_or_command(core, "quote SPCX"))
    assert "Read as" not in typo.text


async def test_a_question_never_pings(chat: Pinned) -> None:
    answer = await chat("ask @everyone what's <!channel> SpaceX trading at?")
    assert answer.text.startswith("Read as: `quote SPCX`")
    assert "@everyone" not in answer.text and "<!channel>" not in answer.text
    long = await chat("ask " + "spacex " * 200)
    assert long.kind == "usage"  # length-limited like every command
