"""Core.dispatch turns every outcome into a Response: answers, usage, refusals, bugs."""

from __future__ import annotations

import asyncio
import functools
import logging
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Channel, Invocation, Services, User
from bot.core import Core
from bot.errors import UpstreamError, UsageError
from bot.params import bind_text
from bot.permissions import Authorize
from bot.registry import CommandSpec, Param, Registry, build_spec, group
from bot.response import Response
from commands import build_registry
from tests.conftest import Chat


async def echo(ctx: object, words: Annotated[list[str], Param("words")]) -> Response:
    """Say the words back."""
    return Response(text=" ".join(words))


async def boom(ctx: object) -> Response:
    """Fail like a bug."""
    raise RuntimeError("secret internal detail")


async def slow(ctx: object) -> Response:
    """Take too long."""
    await asyncio.sleep(10)
    return Response(text="late")


async def flaky(ctx: object) -> Response:
    """Fail like Yahoo."""
    raise UpstreamError("rate_limited", "Yahoo is rate-limiting us.")


async def wipe(ctx: object) -> Response:
    """Change the channel."""
    return Response(text="wiped")


def make_core() -> Core:
    registry = Registry()
    registry.add_group(group("tools", "Small tools"))
    registry.add(build_spec(echo, ("echo",)))
    registry.add(build_spec(boom, ("boom",)))
    registry.add(build_spec(slow, ("slow",), deadline=0.05))
    registry.add(build_spec(flaky, ("tools", "flaky")))
    registry.add(build_spec(wipe, ("wipe",), manage_channel=True))
    return Core(services=replace(_unstarted_services(), registry=registry))


@functools.cache
def _unstarted_services() -> Services:
    """An app's real services, never started: the commands here use none of them."""
    from datetime import UTC, datetime

    settings = Settings(_env_file=None, data_dir=Path(tempfile.mkdtemp()))  # type: ignore[call-arg]
    return App.build(settings, clock=ManualClock(datetime(2026, 11, 24, tzinfo=UTC))).services


async def ask(core: Core, text: str, *, manager: bool = True) -> Response:
    user = User(id="u1", name="ada", can_manage_channel=manager)
    return await core.dispatch(Invocation(text=text, user=user, channel=Channel()))


async def test_answer() -> None:
    answer = await ask(make_core(), "echo hello world")
    assert (answer.kind, answer.text) == ("ok", "hello world")


async def test_unknown_command_suggests_the_closest() -> None:
    answer = await ask(make_core(), "ech hi")
    assert answer.kind == "usage" and answer.ephemeral
    assert answer.text.startswith("Unknown command 'ech'; did you mean `echo`?")


async def test_common_words_for_a_subcommand_point_to_it(chat: Chat) -> None:
    answer = await chat("schedule delete 1")
    assert answer.text.startswith("`schedule` has no subcommand 'delete'; did you mean `remove`?")
    assert "did you mean `remove`?" in (await chat("alert rm 1")).text
    assert "did you mean `quote`?" in (await chat("price SPCX")).text


async def test_an_unknown_option_name_is_named_with_the_closest(chat: Chat) -> None:
    # This used to answer "Unexpected 'temperature=20C'."
    answer = await chat("orbital radiator temperature=20C")
    assert answer.kind == "usage"
    assert answer.text.startswith("Unknown option 'temperature'; did you mean temp=?")
    other = await chat("orbital orbit height=550km")
    assert other.text.startswith("Unknown option 'height'; options: altitude, elevation.")
    assert (await chat("quote EURUSD=X")).kind == "ok"  # a symbol with '=' is still a symbol


async def test_group_without_subcommand_lists_them() -> None:
    answer = await ask(make_core(), "tools")
    assert answer.text == "`tools` needs a subcommand: flaky.\nUsage: tools <flaky> ..."


async def test_bug_becomes_a_short_message_and_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        answer = await ask(make_core(), "boom")
    assert answer.kind == "error"
    assert answer.text == "Something went wrong on our side; it has been logged."
    assert "secret internal detail" not in answer.text
    assert "secret internal detail" in caplog.text  # the traceback is in the log


async def test_deadline_answers_instead_of_hanging() -> None:
    answer = await ask(make_core(), "slow")
    assert answer.kind == "upstream"
    assert answer.text.startswith("That took longer than 0.05 s")


async def test_upstream_error_is_classified() -> None:
    answer = await ask(make_core(), "tools flaky")
    assert answer.data == {
        "error": "upstream",
        "message": "Yahoo is rate-limiting us.",
        "reason": "rate_limited",
    }


async def test_channel_changes_need_permission() -> None:
    refused = await ask(make_core(), "wipe", manager=False)
    assert refused.kind == "forbidden"
    assert "Manage Channels" in refused.text
    assert (await ask(make_core(), "wipe", manager=True)).text == "wiped"


async def test_the_platform_answers_whether_a_user_may_change_the_channel() -> None:
    core = make_core()
    asked: list[tuple[str, str]] = []

    def platform(allow: bool) -> Authorize:
        async def authorize(invocation: Invocation, spec: CommandSpec) -> bool:
            asked.append((invocation.user.id, spec.name))
            return allow

        return authorize

    member = Invocation(text="wipe", user=User(id="u2", can_manage_channel=True))
    refused = await core.dispatch(member, authorize=platform(False))
    assert refused.kind == "forbidden"  # the callback decides, not the flag
    assert (await core.dispatch(member, authorize=platform(True))).text == "wiped"
    # Commands that change nothing never ask (no permission look-ups for a quote).
    assert (await core.dispatch(Invocation(text="echo hi"), authorize=platform(False))).text == "hi"
    assert asked == [("u2", "wipe"), ("u2", "wipe")]


async def test_mentions_in_echoed_errors_cannot_ping() -> None:
    answer = await ask(make_core(), "@everyone")
    assert "@everyone" not in answer.text
    assert "@\u200beveryone" in answer.text


async def test_listeners_see_every_dispatch() -> None:
    core = make_core()
    seen: list[tuple[str, str]] = []
    core.listeners.append(lambda inv, spec, resp, secs: seen.append((inv.text, resp.kind)))
    await ask(core, "echo a")
    await ask(core, "nope")
    assert seen == [("echo a", "ok"), ("nope", "usage")]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=600))
async def test_arbitrary_text_never_raises_out_of_dispatch(text: str) -> None:
    core = make_core()
    for candidate in (text, f"echo {text}", f"help {text}"):
        answer = await ask(core, candidate)
        assert isinstance(answer, Response)
        assert answer.kind in ("ok", "usage", "not_found")
        assert answer.kind != "error", answer.text


_REAL_REGISTRY = build_registry()


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.text(max_size=50), max_size=12))
def test_arbitrary_words_bind_or_give_usage_for_every_real_command(words: list[str]) -> None:
    """Every real command's parameters take any words without raising anything but UsageError."""
    for spec in _REAL_REGISTRY.commands.values():
        try:
            bind_text(spec, words)
        except UsageError as exc:
            assert exc.message  # a message for the user, never empty


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(sorted(" ".join(p) for p in _REAL_REGISTRY.commands)),
    words=st.lists(st.text(max_size=30), max_size=6),
)
async def test_arbitrary_text_through_the_real_app_never_breaks(
    chat: Chat, name: str, words: list[str]
) -> None:
    answer = await chat(" ".join([name, *words]))
    assert answer.kind != "error", answer.text


async def test_drain_waits_for_commands_under_way_then_refuses_new_ones() -> None:
    core = make_core()
    core.services.registry.add(build_spec(_pause, ("pause",)))
    running = asyncio.ensure_future(ask(core, "pause"))
    await asyncio.sleep(0)
    assert await core.drain(timeout=1.0) is True
    assert running.done() and running.result().text == "done"
    refused = await ask(core, "echo hi")
    assert refused.data["reason"] == "shutting_down"


async def _pause(ctx: object) -> Response:
    """Take a moment."""
    await asyncio.sleep(0.05)
    return Response(text="done")
