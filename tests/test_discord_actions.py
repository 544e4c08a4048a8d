"""Buttons on Discord: the real discord.py client, the fake Discord, a pinned fake Yahoo.

A slash command's answer carries buttons; pressing one (INTERACTION_CREATE of type
MESSAGE_COMPONENT) runs its command line through the core and replaces the message
(UPDATE_MESSAGE, type 7). Ids that are not ours, too long, or for a command the presser may not
run get a short private answer. A bot restarted on the same data dir still answers old buttons.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord_adapter import DiscordAdapter
from bot.app import App
from bot.clock import ManualClock
from bot.context import Invocation
from bot.registry import CommandSpec
from bot.response import Response
from tests.conftest import make_settings
from tests.fakes.discord_server import MANAGE_CHANNELS, MEMBER_PERMISSIONS, FakeDiscord, Sent
from tests.fakes.yahoo_server import FakeYahoo

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # Tuesday 11:00 New York, market open


@dataclass
class Bot:
    fake: FakeDiscord
    yahoo: FakeYahoo
    clock: ManualClock
    adapter: DiscordAdapter
    sources: list[tuple[str, str]]  # (command, source) per dispatch

    async def slash(self, name: str, permissions: int = MEMBER_PERMISSIONS, **options: Any) -> Sent:
        opts = [{"name": k, "type": 3, "value": v} for k, v in options.items()]
        token = await self.fake.interact(self.fake.interaction(name, opts, permissions=permissions))
        await self.fake.replies(token)
        await self.adapter.drain()
        return next(s for s in self.fake.sent if s.token == token and s.final)

    async def press(
        self,
        message: Sent,
        custom_id: str,
        *,
        values: list[str] | None = None,
        component_type: int | None = None,
        permissions: int = MEMBER_PERMISSIONS,
    ) -> list[Sent]:
        payload = self.fake.press(
            message,
            custom_id,
            values=values,
            component_type=component_type,
            permissions=permissions,
        )
        token = await self.fake.interact(payload)
        await self.fake.replies(token)
        await self.adapter.drain()
        return [s for s in self.fake.sent if s.token == token]


async def start(tmp_path: Path, fake: FakeDiscord, yahoo: FakeYahoo, clock: ManualClock) -> Bot:
    app = App.build(
        make_settings(
            tmp_path,
            yahoo.base_url,
            discord_token="fake-token",
            discord_api_base=fake.api_base,
            discord_gateway_url=fake.gateway_url,
        ),
        clock=clock,
    )
    sources: list[tuple[str, str]] = []

    def listen(inv: Invocation, spec: CommandSpec | None, resp: Response, took: float) -> None:
        sources.append((spec.name if spec else "?", inv.source))

    app.core.listeners.append(listen)
    await app.start()
    adapter = DiscordAdapter(app, guild_ready_timeout=0.05)
    await adapter.start()
    return Bot(fake, yahoo, clock, adapter, sources)


async def stop(bot: Bot) -> None:
    await bot.adapter.stop()
    await bot.adapter.app.close()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[FakeDiscord, FakeYahoo, ManualClock]]:
    fake = await FakeDiscord().start()
    with FakeYahoo(now=NOW) as yahoo:
        yield fake, yahoo, ManualClock(NOW)
    await fake.close()


@pytest.fixture
async def bot(
    tmp_path: Path, world: tuple[FakeDiscord, FakeYahoo, ManualClock]
) -> AsyncIterator[Bot]:
    started = await start(tmp_path, *world)
    yield started
    await stop(started)


def replaced(replies: list[Sent]) -> Sent:
    """The answer that replaced the pressed message: UPDATE_MESSAGE (7), or a deferred update
    (6) and an edit of that message when the answer took longer than the ack grace."""
    kinds = [(s.route, s.callback_type) for s in replies]
    assert kinds in ([("callback", 7)], [("callback", 6), ("edit", None)]), kinds
    return replies[-1]


def buttons(sent: Sent) -> dict[str, dict[str, Any]]:
    return {c["label"]: c for row in sent.components for c in row["components"]}


async def test_quote_answer_carries_a_refresh_button(bot: Bot) -> None:
    answer = await bot.slash("quote", symbols="SPCX AMZN")
    [row] = answer.components
    assert row["type"] == 1
    assert row["components"] == [
        {
            "type": 2,
            "style": 1,
            "label": "Refresh",
            "custom_id": "od1|quote SPCX AMZN",
            "disabled": False,
        }
    ]


async def test_refresh_updates_the_same_message_with_fresh_prices(bot: Bot) -> None:
    answer = await bot.slash("quote", symbols="SPCX")
    assert "153.20" in str(answer.embeds)
    bot.yahoo.symbols["SPCX"].price = 161.05
    bot.clock.advance(3600)  # past the quote cache's lifetime
    [update] = await bot.press(answer, "od1|quote SPCX")
    assert update.route == "callback" and update.callback_type == 7  # UPDATE_MESSAGE
    assert "161.05" in str(update.embeds) and "153.20" not in str(update.embeds)
    assert update.custom_ids == ["od1|quote SPCX"]  # the new answer keeps its button
    assert not update.ephemeral
    assert bot.sources == [("quote", "typed"), ("quote", "action")]


async def test_chart_range_button_replaces_chart_and_marks_the_shown_range(bot: Bot) -> None:
    answer = await bot.slash("chart", symbol="SPCX")
    shown = buttons(answer)
    assert list(shown) == ["1d", "5d", "1mo", "1y", "5y", "line", "candle"]
    assert shown["1d"].get("disabled") is True and shown["line"].get("disabled") is True
    assert shown["1y"]["custom_id"] == "od1|chart SPCX 1y"
    update = replaced(await bot.press(answer, shown["1y"]["custom_id"]))
    assert "· 1y ·" in update.embeds[0]["title"]
    assert [name for name, _ in update.files] == ["chart-SPCX-1y.png"]
    now = buttons(update)
    assert now["1y"].get("disabled") is True and now["1d"]["disabled"] is False
    assert now["candle"]["custom_id"] == "od1|chart SPCX 1y candle"


@pytest.mark.parametrize(
    "custom_id",
    [
        "od1|",  # empty
        "od7|quote SPCX",  # a version this bot does not speak
        "odd",  # malformed
        "od1|" + "quote " + "SPCX " * 40,  # over 100 characters
        "not-ours",  # some other component
    ],
)
async def test_forged_or_oversized_ids_get_a_private_answer(bot: Bot, custom_id: str) -> None:
    answer = await bot.slash("quote", symbols="SPCX")
    [reply] = await bot.press(answer, custom_id)
    assert reply.callback_type == 4 and reply.ephemeral
    assert "not one this OrbitDesk can run" in reply.content
    assert bot.sources == [("quote", "typed")]  # nothing ran


async def test_ids_naming_unknown_commands_or_bad_words_answer_privately(bot: Bot) -> None:
    answer = await bot.slash("quote", symbols="SPCX")
    [reply] = await bot.press(answer, "od1|launch the rockets")
    assert reply.ephemeral and "Unknown command" in reply.content
    *_, reply = await bot.press(answer, "od1|quote ZZZZQ")  # may be deferred first (a search)
    assert (
        reply.route in ("callback", "followup")
        and reply.ephemeral
        and "No such symbol" in reply.content
    )


async def test_manage_buttons_need_the_permission_of_whoever_presses(bot: Bot) -> None:
    answer = await bot.slash("quote", symbols="SPCX")
    [reply] = await bot.press(answer, "od1|schedule pause 1")
    assert reply.ephemeral and "Manage Channels" in reply.content
    [reply] = await bot.press(
        answer, "od1|schedule pause 1", permissions=MEMBER_PERMISSIONS | MANAGE_CHANNELS
    )
    assert reply.ephemeral and "No schedule #1" in reply.content  # allowed, but none here


async def test_a_button_still_works_after_the_bot_restarts(
    tmp_path: Path, world: tuple[FakeDiscord, FakeYahoo, ManualClock]
) -> None:
    first = await start(tmp_path, *world)
    answer = await first.slash("chart", symbol="SPCX")
    await stop(first)
    second = await start(tmp_path, *world)  # new app, new client, same data dir
    try:
        update = replaced(await second.press(answer, "od1|chart SPCX 5d"))
        assert "· 5d ·" in update.embeds[0]["title"]
        assert second.sources == [("chart", "action")]
    finally:
        await stop(second)


async def test_slow_answers_defer_the_update_then_edit_the_message(bot: Bot) -> None:
    answer = await bot.slash("quote", symbols="SPCX")
    bot.adapter.ack_grace = 0.0  # acknowledge at once, as when Yahoo is slow
    replies = await bot.press(answer, "od1|quote SPCX")
    assert [(s.route, s.callback_type) for s in replies] == [("callback", 6), ("edit", None)]
    assert replies[1].custom_ids == ["od1|quote SPCX"]


def the_select(sent: Sent) -> dict[str, Any]:
    [select] = [c for row in sent.components for c in row["components"] if c["type"] == 3]
    return select


async def test_options_answer_carries_a_select_of_expiries_that_replaces_the_chain(
    bot: Bot,
) -> None:
    answer = await bot.slash("options", symbol="SPCX", side="calls")
    select = the_select(answer)
    assert select["custom_id"].startswith("od1|?")  # the menu's own id; each value is an action
    assert select["placeholder"] == "Another expiry…"
    assert (select["min_values"], select["max_values"]) == (1, 1)
    options = {o["label"]: o for o in select["options"]}
    assert options["Nov 27 (3 days)"]["default"] is True
    december = options["Dec 18 (24 days)"]
    assert december["value"] == "od1|options SPCX 2026-12-18 calls"
    assert "Nov 27" in answer.embeds[0]["title"]
    # Discord sends a string select's pick as component_type 3 with the chosen values.
    update = replaced(
        await bot.press(answer, select["custom_id"], values=[december["value"]], component_type=3)
    )
    assert update.embeds[0]["title"] == "SPCX calls · Dec 18"
    assert "expires 2026-12-18" in update.embeds[0]["description"]
    picked = [o["label"] for o in the_select(update)["options"] if o.get("default")]
    assert picked == ["Dec 18 (24 days)"]  # the new answer marks the expiry it shows
    assert bot.sources == [("options", "typed"), ("options", "action")]


@pytest.mark.parametrize(
    "value",
    [
        "od1|?0123abcd",  # a menu inside a menu
        "od3|options SPCX 2026-12-18",  # another format version
        "od1|" + "options SPCX " * 10,  # too long
        "2026-12-18",  # not an action at all
    ],
)
async def test_a_forged_select_value_gets_a_private_answer(bot: Bot, value: str) -> None:
    answer = await bot.slash("options", symbol="SPCX")
    select = the_select(answer)
    [reply] = await bot.press(answer, select["custom_id"], values=[value], component_type=3)
    assert reply.callback_type == 4 and reply.ephemeral
    assert "not one this OrbitDesk can run" in reply.content
    assert bot.sources == [("options", "typed")]  # nothing ran


async def test_a_select_still_works_after_the_bot_restarts(
    tmp_path: Path, world: tuple[FakeDiscord, FakeYahoo, ManualClock]
) -> None:
    first = await start(tmp_path, *world)
    answer = await first.slash("options", symbol="SPCX")
    await stop(first)
    second = await start(tmp_path, *world)  # nothing of the first process's menus is kept
    try:
        select = the_select(answer)
        value = next(o["value"] for o in select["options"] if o["label"].startswith("Dec 4"))
        update = replaced(
            await second.press(answer, select["custom_id"], values=[value], component_type=3)
        )
        assert update.embeds[0]["title"] == "SPCX calls · Dec 4"
        assert second.sources == [("options", "action")]
    finally:
        await stop(second)
