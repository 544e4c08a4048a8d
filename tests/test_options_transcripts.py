"""/options: the chain around the money for one expiry, from Yahoo's v7 options endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.adapters.console import render
from bot.errors import NotFound, UsageError
from bot.response import Menu
from commands.options import pick_expiry
from tests.breadth_support import Pinned, fields, pinned_app


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Pinned]:
    async with pinned_app(tmp_path) as pinned:
        yield pinned


async def test_nearest_expiry_calls_and_puts_around_the_money(chat: Pinned) -> None:
    answer = await chat("options SPCX strikes=4")
    assert answer.kind == "ok"
    calls, puts, expiries = answer.cards
    assert calls.title == "SPCX calls · Nov 27"
    assert calls.description == "SPCX 153.20 USD (open) · expires 2026-11-27 (3 days)"
    assert list(fields(calls)) == [
        "145.00 call · ITM",
        "150.00 call · ITM",
        "155.00 call",
        "160.00 call",
    ]
    assert list(fields(puts)) == [
        "145.00 put",
        "150.00 put",
        "155.00 put · ITM",
        "160.00 put · ITM",
    ]
    line = fields(calls)["155.00 call"]
    assert line.startswith("bid 1.10 / ask 1.15 · last 1.13 · vol ")
    assert line.endswith(" · IV 32.7%")
    assert calls.footer == "Yahoo Finance · as of Nov 24 11:00 EST · ITM = in the money"
    assert expiries.description.startswith("Nov 27 ◀, Dec 4, Dec 11, Dec 18, Jan 15 2027")
    data = answer.data
    assert data["expiry"] == "2026-11-27"
    assert data["underlying_price"] == 153.2
    assert [c["strike"] for c in data["calls"]] == [145.0, 150.0, 155.0, 160.0]
    assert data["calls"][0]["in_the_money"] is True
    assert data["calls"][0]["contract"] == "SPCX261127C00145000"
    assert data["expiries"][:4] == ["2026-11-27", "2026-12-04", "2026-12-11", "2026-12-18"]


async def test_a_month_picks_its_standard_expiry_and_costs_one_more_request(
    chat: Pinned,
) -> None:
    await chat("quote SPCX")
    chat.fake.reset_counts()
    answer = await chat("options SPCX dec calls strikes=3")
    assert answer.data["expiry"] == "2026-12-18"
    assert answer.data["side"] == "calls"
    assert [c.title for c in answer.cards] == ["SPCX calls · Dec 18", "SPCX expiries"]
    assert answer.data["puts"] == []
    assert chat.fake.counts() == {"options": 2}  # nearest (with the list), then December
    again = await chat("options SPCX 2026-12-18 puts")
    assert again.data["expiry"] == "2026-12-18"
    assert chat.fake.counts() == {"options": 2}  # both cached


async def test_side_alone_means_the_nearest_expiry(chat: Pinned) -> None:
    answer = await chat("options SPCX puts strikes=2")
    assert answer.data["side"] == "puts"
    assert answer.data["expiry"] == "2026-11-27"
    assert len(answer.data["puts"]) == 2


async def test_chain_stays_fresh_for_seconds_while_the_market_is_open(chat: Pinned) -> None:
    await chat("options SPCX")
    chat.clock.advance(29)
    await chat("options SPCX")
    assert chat.fake.count("options") == 1
    chat.clock.advance(2)
    await chat("options SPCX")
    assert chat.fake.count("options") == 2
    assert chat.app.market.stats.requests["v7/options"] == 2


async def test_expiry_that_does_not_exist(chat: Pinned) -> None:
    answer = await chat("options SPCX 2026-12-19")
    assert answer.kind == "not_found"
    assert answer.text.startswith(
        "No options expire on 2026-12-19. The closest expiry is 2026-12-18; listed: Nov 27,"
    )
    june = await chat("options SPCX jun")
    assert june.text.startswith("No options expire in June 2027.")


async def test_no_options_listed_and_unknown_symbols(chat: Pinned) -> None:
    answer = await chat("options BTC-USD")
    assert answer.kind == "not_found"
    assert answer.text == "BTC-USD has no options listed on Yahoo Finance. Try `quote BTC-USD`."
    unknown = await chat("options ZZZZQ")
    assert unknown.kind == "not_found"
    assert unknown.text == "No such symbol: ZZZZQ."


async def test_bad_input_gets_usage(chat: Pinned) -> None:
    answer = await chat("options SPCX someday")
    assert answer.kind == "usage"
    assert answer.text.startswith(
        "expiry: someday is not a date like 2026-12-18, a month like dec, or 'next month'."
    )
    assert (await chat("options SPCX strikes=100")).kind == "usage"
    assert (await chat("options")).text.startswith("Missing <symbol>.")
    assert (await chat("options SPCX 2026-02-30")).text.startswith(
        "expiry: 2026-02-30 is not a date."
    )


@pytest.mark.parametrize(
    ("mode", "reason"), [("429", "rate_limited"), ("500", "server_error"), ("hang", "timeout")]
)
async def test_failures_have_clear_answers(chat: Pinned, mode: str, reason: str) -> None:
    await chat("quote SPCX")
    chat.fake.fail("options", mode)
    answer = await chat("options SPCX")
    assert answer.kind == "upstream"
    assert answer.data["reason"] == reason


async def test_stale_chain_is_labelled(chat: Pinned) -> None:
    await chat("options SPCX")
    chat.clock.advance(600)
    chat.fake.fail("options", "502")
    answer = await chat("options SPCX")
    assert answer.data["stale"] is True
    assert answer.cards[0].description.startswith(
        "⚠ Cached chain: Yahoo Finance is having trouble. Last fetched Nov 24 11:00 EST."
    )


def test_expiry_words_table() -> None:
    listed = [date(2026, 11, 27), date(2026, 12, 4), date(2026, 12, 18), date(2027, 1, 15)]
    today = date(2026, 11, 24)
    assert pick_expiry("nearest", listed, today) == date(2026, 11, 27)
    assert pick_expiry("dec", listed, today) == date(2026, 12, 18)
    assert pick_expiry("December", listed, today) == date(2026, 12, 18)
    assert pick_expiry("next month", listed, today) == date(2026, 12, 18)
    assert pick_expiry("next-month", listed, today) == date(2026, 12, 18)
    assert pick_expiry("jan", listed, today) == date(2027, 1, 15)
    assert pick_expiry("2026-12-04", listed, today) == date(2026, 12, 4)
    with pytest.raises(NotFound):
        pick_expiry("feb", listed, today)
    with pytest.raises(UsageError):
        pick_expiry("soon", listed, today)


async def test_a_select_of_the_listed_expiries_runs_the_picked_one(chat: Pinned) -> None:
    answer = await chat("options spacex calls strikes=3")
    [row] = answer.actions
    [menu] = row.items
    assert isinstance(menu, Menu)
    assert menu.placeholder == "Another expiry…"
    listed = answer.data["expiries"]
    assert [o.label for o in menu.options][:3] == [
        "Nov 27 (3 days)",
        "Dec 4 (10 days)",
        "Dec 11 (17 days)",
    ]
    assert len(menu.options) == min(len(listed), 25)
    assert [o.current for o in menu.options][:2] == [True, False]
    # The side and the strike count are kept; the symbol is the one resolved.
    assert menu.options[3].command == "options SPCX 2026-12-18 calls strikes=3"
    assert all(o.id == "od1|" + o.command for o in menu.options)
    picked = await chat(menu.options[3].command)
    assert picked.data["expiry"] == "2026-12-18" and picked.data["side"] == "calls"
    [row] = picked.actions
    assert [o.label for o in row.items[0].options if o.current] == ["Dec 18 (24 days)"]
    out = render(answer)
    assert (
        "  [Another expiry…: Nov 27 (3 days)]  options SPCX 2026-11-27 calls strikes=3 (shown)"
        in out
    )
    assert "  [Another expiry…: Dec 4 (10 days)]  options SPCX 2026-12-04 calls strikes=3\n" in out
    both = await chat("options SPCX")
    assert both.actions[0].items[0].options[1].command == "options SPCX 2026-12-04"
