"""Core.complete: suggestions for the option being typed, the same for every platform."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Annotated

import pytest

import bot.core
from bot.app import App
from bot.completion import Choice
from bot.context import Channel, Context, Invocation
from bot.core import Core
from bot.registry import Param, Registry, build_spec
from bot.response import Response
from tests.fakes.yahoo_server import FakeYahoo


def values(choices: list[Choice]) -> list[str]:
    return [c.value for c in choices]


async def test_symbols_by_path_as_discord_names_the_command(app: App) -> None:
    choices = await app.core.complete(Invocation(path=("quote",)), "symbols", "spa")
    assert "SPCX" in values(choices)
    assert all(c.label for c in choices)


async def test_symbols_by_text_as_text_platforms_name_the_command(app: App) -> None:
    assert "SPCX" in values(await app.core.complete(Invocation(text="quote"), "symbols", "spa"))
    subcommand = await app.core.complete(Invocation(text="alert add"), "symbol", "SPC")
    assert "SPCX" in values(subcommand)


async def test_a_list_option_completes_its_last_word_and_keeps_the_others(app: App) -> None:
    choices = await app.core.complete(Invocation(path=("quote",)), "symbols", "SPCX amaz")
    assert "SPCX AMZN" in values(choices)
    assert all(c.value.startswith("SPCX ") and c.label.startswith("SPCX ") for c in choices)


async def test_names_the_aliases_do_not_know_come_from_yahoo_search(app: App) -> None:
    assert "RKLB" in values(
        await app.core.complete(Invocation(path=("quote",)), "symbols", "rocket")
    )


async def test_a_hanging_search_leaves_the_local_suggestions(
    app: App, fake_yahoo: FakeYahoo
) -> None:
    fake_yahoo.fail("search", "hang")
    loop = asyncio.get_running_loop()
    started = loop.time()
    choices = await app.core.complete(Invocation(path=("quote",)), "symbols", "amaz")
    assert loop.time() - started < 2.0
    assert values(choices) == ["AMZN"]
    fake_yahoo.fail("search", None)


async def test_choice_options_offer_their_own_values(app: App) -> None:
    choices = await app.core.complete(Invocation(path=("chart",)), "range", "1")
    assert values(choices) == ["1d", "1mo", "1y"]
    assert values(await app.core.complete(Invocation(path=("chart",)), "type", "C")) == ["candle"]


async def test_limit_and_length_bound_the_list(app: App) -> None:
    core = app.core
    assert len(await core.complete(Invocation(path=("quote",)), "symbols", "", limit=2)) == 2
    long_head = "SPCX " * 19  # 95 characters before the word being typed
    choices = await core.complete(
        Invocation(path=("quote",)), "symbols", long_head + "a", max_length=100
    )
    assert choices and all(len(c.value) <= 100 for c in choices)


async def test_unknown_commands_and_options_get_no_suggestions(app: App) -> None:
    core = app.core
    assert await core.complete(Invocation(path=("nope",)), "symbols", "a") == []
    assert await core.complete(Invocation(path=("quote",)), "nope", "a") == []
    assert await core.complete(Invocation(text=""), "symbols", "a") == []
    # A free-text option without a source has nothing to suggest.
    assert await core.complete(Invocation(path=("help",)), "command", "q") == []


# --- sources declared on a parameter ----------------------------------------------------------

seen: list[tuple[str, str, int]] = []


async def channel_names(ctx: Context, prefix: str, limit: int) -> list[Choice]:
    seen.append((ctx.channel.id, prefix, limit))
    return [Choice(f"#{n}", n) for n in ("general", "markets") if n.startswith(prefix)]


async def broken(ctx: Context, prefix: str, limit: int) -> list[Choice]:
    raise RuntimeError("a bug in a source")


async def slow(ctx: Context, prefix: str, limit: int) -> list[Choice]:
    await asyncio.sleep(5)
    return []


async def move(
    ctx: Context,
    to: Annotated[str, Param("channel", complete=channel_names)],
    why: Annotated[str, Param("reason", complete=broken)] = "",
    when: Annotated[str, Param("when", complete=slow)] = "",
) -> Response:
    """Move somewhere."""
    return Response(text=to)


def core_with_move(app: App) -> Core:
    registry = Registry()
    registry.add(build_spec(move, ("move",)))
    return Core(services=replace(app.services, registry=registry))


async def test_a_source_gets_a_context_with_the_invocation(app: App) -> None:
    seen.clear()
    where = Invocation(path=("move",), channel=Channel(id="C7"))
    choices = await core_with_move(app).complete(where, "to", "m", limit=5)
    assert choices == [Choice("#markets", "markets")]
    assert seen == [("C7", "m", 5)]


async def test_a_failing_or_slow_source_gives_no_suggestions_never_an_error(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    core = core_with_move(app)
    assert await core.complete(Invocation(path=("move",)), "why", "x") == []
    monkeypatch.setattr(bot.core, "COMPLETE_DEADLINE", 0.05)
    assert await core.complete(Invocation(path=("move",)), "when", "x") == []
