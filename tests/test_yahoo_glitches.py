"""Yahoo answering 200 with nothing in it is a glitch, not proof that a symbol is gone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.console import invocation
from bot.app import App
from bot.clock import ManualClock
from bot.response import Response
from bot.store.repo import Store
from tests.conftest import make_settings
from tests.fakes.chat_platform import RecordingPlatform
from tests.fakes.yahoo_server import FakeYahoo
from tests.scheduling_helpers import add_schedule, make_scheduler

TUESDAY_1030_ET = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # the market is open


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(TUESDAY_1030_ET)


@pytest.fixture
def yahoo() -> Iterator[FakeYahoo]:
    with FakeYahoo(now=TUESDAY_1030_ET) as fake:
        yield fake


@pytest.fixture
async def app(tmp_path: Path, yahoo: FakeYahoo, clock: ManualClock) -> AsyncIterator[App]:
    built = App.build(make_settings(tmp_path, yahoo.base_url), clock=clock)
    await built.start()
    yield built
    await built.close()


async def ask(app: App, text: str) -> Response:
    return await app.core.dispatch(invocation(text))


@pytest.mark.parametrize("mode", ["empty", "null"])
async def test_a_known_symbol_keeps_its_price_through_an_empty_answer(
    app: App, yahoo: FakeYahoo, clock: ManualClock, mode: str
) -> None:
    fresh = await ask(app, "quote AMZN")
    assert fresh.kind == "ok" and fresh.data["quotes"][0]["stale"] is False
    clock.advance(60)  # past the 15 s open-market TTL
    yahoo.fail("quote", mode)
    yahoo.fail("chart", "500")  # the fallback fails too: only the cache can answer

    glitched = await ask(app, "quote AMZN")

    assert glitched.kind == "ok", glitched.text
    assert "No such symbol" not in glitched.text
    assert glitched.data["quotes"][0]["symbol"] == "AMZN"
    assert glitched.data["quotes"][0]["stale"] is True

    yahoo.fail("quote", None)
    yahoo.fail("chart", None)
    before = yahoo.count("quote")
    healed = await ask(app, "quote AMZN")  # a second later: Yahoo is asked again
    assert yahoo.count("quote") == before + 1
    assert healed.data["quotes"][0]["stale"] is False


@pytest.mark.parametrize("mode", ["empty", "null"])
async def test_a_cold_cache_asks_the_chart_when_the_quote_answer_is_empty(
    app: App, yahoo: FakeYahoo, mode: str
) -> None:
    yahoo.fail("quote", mode)
    answer = await ask(app, "quote AMZN GOOG")
    assert answer.kind == "ok", answer.text
    assert [(q["symbol"], q["route"]) for q in answer.data["quotes"]] == [
        ("AMZN", "chart"),
        ("GOOG", "chart"),
    ]


async def test_an_unknown_symbol_is_still_not_found(app: App, yahoo: FakeYahoo) -> None:
    answer = await ask(app, "quote ZZZZQ")
    assert answer.kind == "not_found"
    assert "ZZZZQ" in answer.text
    # Mixed with a real symbol, the partial answer decides without a chart request.
    before = yahoo.count("chart")
    mixed = await ask(app, "quote AMZN ZZZZQ")
    assert [q["symbol"] for q in mixed.data["quotes"]] == ["AMZN"]
    assert "ZZZZQ" in mixed.text
    assert yahoo.count("chart") == before


async def test_a_known_symbol_left_out_of_a_partial_answer_is_served_stale(
    app: App, yahoo: FakeYahoo, clock: ManualClock
) -> None:
    await ask(app, "quote AMZN GOOG")
    clock.advance(60)
    # Yahoo forgets GOOG for one answer: remove it from the fake's universe, then restore it.
    goog = yahoo.symbols.pop("GOOG")
    try:
        answer = await ask(app, "quote AMZN GOOG")
    finally:
        yahoo.symbols["GOOG"] = goog
    by_symbol = {q["symbol"]: q for q in answer.data["quotes"]}
    assert by_symbol["AMZN"]["stale"] is False
    assert by_symbol["GOOG"]["stale"] is True
    assert "No such symbol" not in answer.text


async def test_a_scheduled_post_goes_out_through_an_empty_answer_at_the_due_time(
    store: Store, app: App, yahoo: FakeYahoo, clock: ManualClock
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform})
    await add_schedule(store, scheduler, clock.now(), at="close+5m", symbols=("SPCX", "AMZN"))
    await ask(app, "quote SPCX AMZN")  # earlier in the day someone asked: the cache is warm
    yahoo.fail("quote", "empty")
    yahoo.fail("chart", "500")
    clock.current = datetime(2026, 11, 24, 21, 5, tzinfo=UTC)

    report = await scheduler.tick(clock.current)

    assert report.posted == 1, report
    [(_channel, post)] = platform.posts
    assert [f.name for f in post.cards[0].fields] == ["SPCX", "AMZN"]
    assert post.cards[0].tone.name == "WARNING"  # marked stale, with its "as of" time


async def test_a_cold_process_posts_fresh_prices_through_an_empty_answer(
    store: Store, app: App, yahoo: FakeYahoo, clock: ManualClock
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform})
    await add_schedule(store, scheduler, clock.now(), at="close+5m", symbols=("SPCX", "AMZN"))
    yahoo.fail("quote", "null")
    clock.current = datetime(2026, 11, 24, 21, 5, tzinfo=UTC)

    report = await scheduler.tick(clock.current)

    assert report.posted == 1, report
    [(_channel, post)] = platform.posts
    assert [f.name for f in post.cards[0].fields] == ["SPCX", "AMZN"]
    assert post.cards[0].tone.name != "WARNING"
