"""/news as a person would use it, through the console adapter, the real yfinance session
and the fake Yahoo's ncp news stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.discord_render import render as discord_render
from tests.breadth_support import Pinned, pinned_app


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Pinned]:
    async with pinned_app(tmp_path) as pinned:
        yield pinned


async def test_headlines_for_two_symbols_newest_first_each_story_once(chat: Pinned) -> None:
    answer = await chat("news SPCX amazon")
    assert answer.kind == "ok"
    titles = [h["title"] for h in answer.data["headlines"]]
    assert titles == [
        "SpaceX shares edge up as Starship flight window opens",
        "Amazon and SpaceX trade barbs over satellite spectrum",
        "Amazon's Kuiper adds launches for next year",
        "SpaceX's Cursor deal: what $60 billion buys",
        "AWS chief says AI demand still outruns supply",
        "Orbital data centers: the physics behind the pitch",
    ]
    shared = answer.data["headlines"][1]
    assert shared["symbols"] == ["SPCX", "AMZN"]  # in both streams, shown once
    assert shared["publisher"] == "Reuters"
    # Off-site story: clickThroughUrl is null, the canonical URL is the publisher's.
    assert shared["url"].startswith("https://www.reuters.com/")
    assert answer.data["resolved"] == {"amazon": "AMZN"}
    [card] = answer.cards
    assert card.title == "News · SPCX, AMZN"
    first = card.fields[0]
    assert first.name == "SpaceX shares edge up as Starship flight window opens"
    assert first.value.startswith("Yahoo Finance · 35 min ago · SPCX\nhttps://finance.yahoo.com/")
    assert card.footer == "Yahoo Finance news · newest first · fetched Nov 24 11:00 EST"
    assert answer.unfurl is False


async def test_ads_in_the_stream_are_dropped(chat: Pinned) -> None:
    answer = await chat("news AMZN")
    assert len(answer.data["headlines"]) == 3
    assert all(h["title"] for h in answer.data["headlines"])


async def test_no_symbol_gives_market_news(chat: Pinned) -> None:
    answer = await chat("news")
    assert answer.cards[0].title == "Market news"
    assert answer.data["market"] is True
    assert answer.data["symbols"] == ["^GSPC"]
    assert (
        answer.data["headlines"][0]["title"] == "Stocks drift as traders wait for the jobs report"
    )


async def test_requests_cold_then_warm(chat: Pinned) -> None:
    await chat("quote NVDA")  # cookie and crumb once per process
    chat.fake.reset_counts()
    await chat("news SPCX AMZN")
    assert chat.fake.counts() == {"quote": 1, "news": 2}  # names checked in one batch
    chat.fake.reset_counts()
    await chat("news AMZN SPCX")
    assert chat.fake.count() == 0
    stats = chat.app.market.stats.requests
    assert stats["news"] == 2


async def test_cache_expires_after_minutes(chat: Pinned) -> None:
    await chat("news SPCX")
    chat.fake.reset_counts()
    chat.clock.advance(299)
    await chat("news SPCX")
    assert chat.fake.count("news") == 0
    chat.clock.advance(2)
    await chat("news SPCX")
    assert chat.fake.count("news") == 1


async def test_unknown_symbol_is_named_and_known_ones_still_answer(chat: Pinned) -> None:
    answer = await chat("news SPCX ZZZZQ")
    assert answer.kind == "ok"
    assert answer.data["missing"] == ["ZZZZQ"]
    assert answer.cards[-1].description == "No such symbol: ZZZZQ."
    alone = await chat("news ZZZZQ")
    assert alone.kind == "not_found"
    assert alone.text.startswith("No such symbol: ZZZZQ.")


async def test_bad_input_gets_a_usage_line(chat: Pinned) -> None:
    answer = await chat("news A B C D")
    assert answer.kind == "usage"
    assert answer.text.startswith("symbols: at most 3 at a time (you gave 4).")
    answer = await chat("news @everyone")
    assert answer.kind == "usage"
    assert "@everyone" not in answer.text.replace("'@everyone'", "")


async def test_empty_stream_says_so(chat: Pinned) -> None:
    answer = await chat("news RKLB")  # the fake has generic headlines for it
    assert answer.data["headlines"]
    chat.fake.symbols["ZZZ"] = chat.fake.symbols["RKLB"].__class__(
        "ZZZ", "Quiet Corp.", 10.0, 10.0, market_cap=3_000_000_000
    )
    from tests.fakes import yahoo_breadth

    yahoo_breadth.NEWS["ZZZ"] = []
    try:
        quiet = await chat("news ZZZ")
    finally:
        del yahoo_breadth.NEWS["ZZZ"]
    assert quiet.kind == "ok"
    assert quiet.text.startswith("No headlines from Yahoo Finance for ZZZ right now.")
    assert quiet.data["headlines"] == []


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("429", "rate_limited"), ("500", "server_error"), ("garbage", "bad_answer")],
)
async def test_failures_have_clear_answers(chat: Pinned, mode: str, reason: str) -> None:
    chat.fake.fail("news", mode)
    answer = await chat("news SPCX")
    assert answer.kind == "upstream"
    assert answer.data["reason"] == reason
    assert "Yahoo Finance" in answer.text


async def test_hanging_yahoo_answers_in_time(chat: Pinned) -> None:
    import time

    await chat("quote SPCX")
    chat.fake.fail("news", "hang")
    started = time.perf_counter()
    answer = await chat("news SPCX")
    assert time.perf_counter() - started < 3.5
    assert answer.data["reason"] == "timeout"


async def test_stale_headlines_are_served_and_labelled(chat: Pinned) -> None:
    await chat("news SPCX")
    chat.clock.advance(3600)
    chat.fake.fail("news", "500")
    answer = await chat("news SPCX")
    assert answer.kind == "ok"
    assert answer.data["stale"] is True
    card = answer.cards[0]
    assert card.tone == "warning"
    assert card.description == (
        "⚠ Cached headlines: Yahoo Finance is having trouble. Last fetched Nov 24 11:00 EST."
    )


async def test_discord_text_never_previews_links(chat: Pinned) -> None:
    from dataclasses import replace

    answer = await chat("news SPCX")
    [message] = discord_render(replace(answer, cards=()))
    assert "<https://finance.yahoo.com/news/" in message.content
    assert " https://" not in message.content
