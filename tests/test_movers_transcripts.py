"""/movers: Yahoo's day-mover screeners, one request per list, cached a minute while open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.breadth_support import Pinned, fields, pinned_app


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Pinned]:
    async with pinned_app(tmp_path) as pinned:
        yield pinned


async def test_gainers_with_price_change_volume_and_cap(chat: Pinned) -> None:
    answer = await chat("movers")
    assert answer.kind == "ok"
    [card] = answer.cards
    assert card.title == "Day gainers · US"
    assert card.tone == "up"
    assert [m["symbol"] for m in answer.data["movers"]] == ["AVGO", "RKLB", "PL", "AMD", "ASTS"]
    f = fields(card)
    assert f["AVGO · Broadcom Inc."] == "377.96 USD +37.76 (+11.10%) · vol 12.35M · cap $1.78T"
    assert card.footer == (
        "Yahoo Finance screener day_gainers · 5 of 5 matching · as of Nov 24 11:00 EST"
    )
    avgo = answer.data["movers"][0]
    assert avgo["change_pct"] == pytest.approx(11.0994, abs=1e-3)
    assert avgo["market_cap"] == 1_780_000_000_000
    assert answer.data["source"] == "Yahoo Finance screener"


async def test_losers_and_count(chat: Pinned) -> None:
    fake = chat.fake
    fake.symbols["TSLA"] = replace(fake.symbols["TSLA"], price=370.0)  # -6.4 %
    fake.symbols["INTC"] = replace(fake.symbols["INTC"], price=34.0)  # -5.8 %
    answer = await chat("movers losers count=1")
    assert answer.cards[0].title == "Day losers · US"
    assert answer.cards[0].tone == "down"
    assert [m["symbol"] for m in answer.data["movers"]] == ["TSLA"]
    assert answer.data["total"] == 2


async def test_no_losers_is_a_plain_answer(chat: Pinned) -> None:
    answer = await chat("movers losers")
    assert answer.kind == "ok"
    assert answer.text == "Day losers (US): none match Yahoo's criteria right now."
    assert answer.data["movers"] == []


async def test_other_regions_post_the_criteria_with_their_region(chat: Pinned) -> None:
    answer = await chat("movers active region=jp")
    assert [m["symbol"] for m in answer.data["movers"]] == ["7203.T"]
    assert answer.cards[0].footer.endswith("as of Nov 24 15:30 JST")
    [(_, path)] = [r for r in chat.fake.requests if r[0] == "screener"]
    assert path == "query1.finance.yahoo.com/v1/finance/screener"


async def test_one_request_serves_every_count_and_expires_in_a_minute(chat: Pinned) -> None:
    await chat("movers active count=3")
    await chat("movers active count=20")
    await chat("movers active")
    assert chat.fake.count("screener") == 1
    assert chat.app.market.stats.requests["screener"] == 1
    chat.clock.advance(61)
    await chat("movers active")
    assert chat.fake.count("screener") == 2


async def test_bad_input_gets_usage(chat: Pinned) -> None:
    chat.fake.reset_counts()
    for text, start in {
        "movers sideways": "kind: ",
        "movers count=0": "count: must be at least 1.",
        "movers region=XX": "region: Yahoo has no screener region XX",
        "movers region=@everyone": "region: ",
    }.items():
        answer = await chat(text)
        assert answer.kind == "usage", text
        assert answer.text.startswith(start), answer.text
    assert chat.fake.count() == 0


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("429", "rate_limited"), ("502", "server_error"), ("garbage", "bad_answer")],
)
async def test_failures_have_clear_answers(chat: Pinned, mode: str, reason: str) -> None:
    chat.fake.fail("screener", mode)
    answer = await chat("movers")
    assert answer.kind == "upstream"
    assert answer.data["reason"] == reason


async def test_stale_list_when_yahoo_fails(chat: Pinned) -> None:
    await chat("movers")
    chat.clock.advance(3600)
    chat.fake.fail("screener", "500")
    answer = await chat("movers")
    assert answer.data["stale"] is True
    assert answer.cards[0].tone == "warning"
    assert answer.cards[0].description.startswith("⚠ Cached list: Yahoo Finance is having trouble.")
