"""/profile: one quoteSummary request answers the whole card; odd symbols get short answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.breadth_support import Pinned, fields, pinned_app


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Pinned]:
    async with pinned_app(tmp_path) as pinned:
        yield pinned


async def test_company_card_with_statistics_analysts_and_earnings(chat: Pinned) -> None:
    answer = await chat("profile apple")
    assert answer.kind == "ok"
    [card] = answer.cards
    assert card.title == "AAPL · Apple Inc."
    assert card.description.startswith("Apple Inc. designs, manufactures, and markets")
    f = fields(card)
    assert f["Sector"] == "Technology"
    assert f["Industry"] == "Consumer Electronics"
    assert f["Employees"] == "150,000"
    assert f["Headquarters"] == "Cupertino, CA, United States"
    assert f["Website"] == "https://www.apple.com"
    assert f["Market cap"] == "$4.03T"
    assert f["P/E (trailing)"] == "38.90"
    assert f["Dividend"] == "1.04 USD (0.38%)"
    assert f["Beta"] == "1.20"
    assert f["Price target"] == "298.64 USD (low 217.19, high 352.94) · 40 analysts"
    assert f["Analysts this month"] == "7 strong buy · 21 buy · 14 hold · 2 sell · 2 strong sell"
    assert f["Next earnings"] == "Dec 14, 2026 – Dec 19, 2026 (estimated)"
    assert card.footer == "Yahoo Finance · profile fetched Nov 24 11:00 EST · refreshed daily"
    data = answer.data["profile"]
    assert data["symbol"] == "AAPL"
    assert data["dividend_yield"] == 0.0038
    assert data["recommendations"] == {
        "strong_buy": 7,
        "buy": 21,
        "hold": 14,
        "sell": 2,
        "strong_sell": 2,
    }
    assert data["earnings"] == ["2026-12-14T21:00:00+00:00", "2026-12-19T21:00:00+00:00"]
    assert answer.data["resolved"] == {"apple": "AAPL"}


async def test_no_dividend_and_a_confirmed_earnings_date(chat: Pinned) -> None:
    answer = await chat("profile SPCX")
    f = fields(answer.cards[0])
    assert f["Dividend"] == "none"
    assert f["Next earnings"] == "Dec 14, 2026 (confirmed)"
    assert f["Headquarters"] == "Starbase, TX, United States"
    assert answer.data["profile"]["dividend_rate"] is None


async def test_one_request_cold_none_warm_and_a_day_of_cache(chat: Pinned) -> None:
    await chat("quote NVDA")
    chat.fake.reset_counts()
    await chat("profile NVDA")
    assert chat.fake.counts() == {"quoteSummary": 1}
    [(_, path)] = chat.fake.requests
    assert path.startswith("query2.finance.yahoo.com/v10/finance/quoteSummary/NVDA")
    await chat("profile NVDA")
    chat.clock.advance(86399)
    await chat("profile NVDA")
    assert chat.fake.count() == 1
    chat.clock.advance(2)
    await chat("profile NVDA")
    assert chat.fake.count("quoteSummary") == 2


async def test_crypto_and_currencies_have_no_company_profile(chat: Pinned) -> None:
    answer = await chat("profile BTC-USD")
    assert answer.kind == "not_found"
    assert answer.text == (
        "BTC-USD is a cryptocurrency: Yahoo Finance has no company profile for it. "
        "Try `quote BTC-USD`."
    )
    fx = await chat("profile EURUSD=X")
    assert fx.text.startswith("EURUSD=X is a currency pair:")


async def test_unknown_symbol_gets_suggestions(chat: Pinned) -> None:
    answer = await chat("profile ZZZZQ")
    assert answer.kind == "not_found"
    assert answer.text == "No such symbol: ZZZZQ."
    named = await chat('profile "rocket lab"')
    assert named.kind == "ok"  # Yahoo search resolves the name
    assert named.data["profile"]["symbol"] == "RKLB"
    assert named.data["resolved"] == {"rocket lab": "RKLB"}


async def test_bad_input_is_refused_before_yahoo(chat: Pinned) -> None:
    chat.fake.reset_counts()
    answer = await chat("profile")
    assert answer.kind == "usage"
    assert answer.text == "Missing <symbol>.\nUsage: profile <symbol>"
    answer = await chat("profile <!channel>")
    assert answer.kind == "usage"
    assert chat.fake.count() == 0


@pytest.mark.parametrize(
    ("mode", "reason", "text"),
    [
        ("429", "rate_limited", "Yahoo Finance is rate-limiting requests; try again in a minute."),
        (
            "500",
            "server_error",
            "Yahoo Finance is having trouble (server error); try again in a minute.",
        ),
        ("hang", "timeout", "Yahoo Finance did not answer in time; try again in a moment."),
    ],
)
async def test_failures_have_clear_answers(chat: Pinned, mode: str, reason: str, text: str) -> None:
    await chat("quote SPCX")
    chat.fake.fail("quoteSummary", mode)
    answer = await chat("profile SPCX")
    assert answer.kind == "upstream"
    assert answer.data["reason"] == reason
    assert answer.text == text


async def test_stale_profile_is_served_and_labelled(chat: Pinned) -> None:
    await chat("profile SPCX")
    chat.clock.advance(2 * 86400)
    chat.fake.fail("quoteSummary", "429")
    answer = await chat("profile SPCX")
    assert answer.kind == "ok"
    assert answer.data["profile"]["stale"] is True
    assert answer.cards[0].description.startswith(
        "⚠ Cached profile: Yahoo is rate-limiting us. Last fetched Nov 24 11:00 EST."
    )
