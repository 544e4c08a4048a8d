"""Which answers carry which actions, read as chat transcripts on the console, plus the id
format and command lines the buttons run (pure)."""

from __future__ import annotations

import pytest

from bot.actions import ActionIdError, ParsedId, command_line, decode, encode, unique
from bot.adapters.console import render
from bot.app import App
from bot.response import Button, Response
from tests.conftest import Chat


def commands_of(response: Response) -> list[str]:
    return [i.command for row in response.actions for i in row.items if isinstance(i, Button)]


def labels_of(response: Response) -> list[str]:
    return [i.label for row in response.actions for i in row.items if isinstance(i, Button)]


# ---------------------------------------------------------------------- ids (pure)


@pytest.mark.parametrize(
    ("action_id", "parsed"),
    [
        ("od1|quote SPCX AMZN", ParsedId("quote SPCX AMZN")),
        ("od1.2|chart SPCX 1y", ParsedId("chart SPCX 1y")),  # a tag keeps ids apart
        ("od1|?0123abcd", ParsedId(menu=True)),
    ],
)
def test_ids_decode_to_command_lines(action_id: str, parsed: ParsedId) -> None:
    assert decode(action_id) == parsed


@pytest.mark.parametrize(
    "action_id",
    [
        "",
        "od1|",
        "od1",
        "od2|quote SPCX",
        "od1.x|quote",
        "xx1|quote",
        "od1|a\x00b",
        "od1|" + "q" * 97,
    ],
)
def test_bad_ids_are_refused_with_an_action_id_error(action_id: str) -> None:
    with pytest.raises(ActionIdError):
        decode(action_id)


def test_encoding_refuses_lines_over_the_discord_limit_and_tags_repeats() -> None:
    assert encode("quote  SPCX\tAMZN") == "od1|quote SPCX AMZN"
    with pytest.raises(ActionIdError):
        encode("quote " + "SPCX " * 30)
    assert unique(["od1|a", "od1|b", "od1|a"]) == ["od1|a", "od1|b", "od1.2|a"]


def test_command_lines_read_back_through_the_parser(app: App) -> None:
    chart = app.services.registry.get(("chart",))
    assert chart is not None
    raw = {"symbol": ["rocket lab"], "compare": ["GOOG,MSFT"], "theme": ["light"]}
    line = command_line(chart, raw, {"range": "1y"})
    assert line == "chart 'rocket lab' 1y compare=GOOG,MSFT theme=light"
    assert command_line(chart, {"symbol": ["SPCX"], "range": ["5d"]}, {"range": None}) == (
        "chart SPCX"
    )
    with pytest.raises(ValueError):
        command_line(chart, {"symbol": ["SPCX"]}, {"nope": 1})


# ---------------------------------------------------------------------- transcripts


async def test_quote_and_chart_answers_carry_their_buttons(chat: Chat) -> None:
    quote = await chat("quote spacex AMZN")
    assert commands_of(quote) == ["quote spacex AMZN"]
    # The typeahead (a Slack external_select; Discord has none in messages) as what to type.
    assert "  [Refresh]  quote spacex AMZN\n  [Quote another symbol…]  quote <symbols>" in (
        render(quote)
    )
    assert quote.to_dict()["actions"][0]["items"][1] == {
        "type": "lookup",
        "placeholder": "Quote another symbol…",
        "path": ["quote"],
        "param": "symbols",
        "command": "quote <symbols>",
    }
    chart = await chat("chart SPCX 5d candle")
    assert labels_of(chart) == ["1d", "5d", "1mo", "1y", "5y", "line", "candle"]
    assert commands_of(chart)[3] == "chart SPCX 1y candle"
    current = [i.label for row in chart.actions for i in row.items if i.current]
    assert current == ["5d", "candle"]
    out = render(chart)
    assert "Actions (type the command):\n  [1d]  chart SPCX 1d candle" in out
    assert "[5d]  chart SPCX 5d candle (shown)" in out
    assert chart.to_dict()["actions"][1]["items"][1]["id"] == "od1|chart SPCX 5d candle"


async def test_paged_answers_offer_previous_and_next(chat: Chat) -> None:
    first = await chat("acquisitions")
    assert labels_of(first) == ["Next ▶"] and commands_of(first) == ["acquisitions page=2"]
    second = await chat("acquisitions page=2")
    assert commands_of(second)[0] == "acquisitions"  # back to page 1: the default
    claims = await chat("orbital claims")
    if claims.data["pages"] > 1:
        assert commands_of(claims) == ["orbital claims page=2"]


async def test_schedule_list_offers_pause_and_remove_that_asks_first(chat: Chat) -> None:
    await chat("schedule add SPCX at:close+5m")
    listed = await chat("schedule list")
    assert [(r.note, [i.label for i in r.items]) for r in listed.actions] == [
        ("#1", ["Pause #1", "Remove #1"])
    ]
    assert commands_of(listed) == ["schedule pause 1", "schedule remove 1 confirm=no"]
    paused = await chat("schedule pause 1")
    assert commands_of(paused) == ["schedule list"]
    assert commands_of(await chat("schedule list"))[0] == "schedule resume 1"
    asked = await chat("schedule remove 1 confirm=no")
    assert asked.text.startswith("Remove schedule #1 (SPCX at close+5m)?")
    assert commands_of(asked) == ["schedule remove 1 confirm=yes", "schedule list"]
    assert (await chat("schedule list")).data["schedules"]  # nothing removed yet
    removed = await chat("schedule remove 1 confirm=yes")
    assert removed.data == {"removed": 1}
    assert (await chat("schedule list")).data["schedules"] == []


async def test_alert_list_offers_pause_resume_and_remove_with_a_confirm_step(chat: Chat) -> None:
    await chat("alert add SPCX above 160")
    listed = await chat("alert list")
    assert [(r.note, [i.label for i in r.items]) for r in listed.actions] == [
        ("#1", ["Pause #1", "Remove #1"])
    ]
    assert commands_of(listed) == ["alert pause 1", "alert remove 1 confirm=no"]
    paused = await chat("alert pause 1")
    assert commands_of(paused) == ["alert list"]
    assert commands_of(await chat("alert list"))[0] == "alert resume 1"
    assert commands_of(await chat("alert resume 1")) == ["alert list"]
    assert commands_of(await chat("alert list"))[0] == "alert pause 1"
    asked = await chat("alert remove 1 confirm=no")
    assert commands_of(asked) == ["alert remove 1 confirm=yes", "alert list"]
    assert (await chat("alert remove 1 confirm=yes")).data == {"removed": 1}
