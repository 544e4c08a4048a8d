"""Every way Yahoo fails gets a clear answer within 3 s, from cache when there is one."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.console import invocation
from bot.app import App
from bot.clock import ManualClock
from bot.response import Response
from tests.conftest import make_settings, pinned_clock
from tests.fakes.yahoo_server import FakeYahoo, unused_port


class Timed:
    """An app whose answers are timed: `await timed("quote SPCX")` -> (response, seconds)."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, text: str) -> tuple[Response, float]:
        started = time.perf_counter()
        response = await self.app.core.dispatch(invocation(text))
        return response, time.perf_counter() - started


@pytest.fixture
async def clock() -> ManualClock:
    return pinned_clock()


@pytest.fixture
async def timed(tmp_path: Path, fake_yahoo: FakeYahoo, clock: ManualClock) -> AsyncIterator[Timed]:
    fake_yahoo.now = clock.now  # the fake's market moves with the app's clock
    app = App.build(make_settings(tmp_path, fake_yahoo.base_url), clock=clock)
    await app.start()
    yield Timed(app)
    await app.close()


async def test_rate_limit_says_so_and_leaves_yahoo_alone(
    timed: Timed, fake_yahoo: FakeYahoo
) -> None:
    await timed("quote SPCX")  # cookie and crumb first
    fake_yahoo.fail("quote", "429")
    answer, took = await timed("quote AMZN")
    assert answer.kind == "upstream"
    assert answer.data["reason"] == "rate_limited"
    assert "rate-limiting" in answer.text
    assert took < 3
    before = fake_yahoo.count()
    answer, _ = await timed("quote GOOG")
    assert answer.data["reason"] == "rate_limited"
    assert fake_yahoo.count() == before  # cooling down: Yahoo was not asked


@pytest.mark.parametrize("mode", ["500", "502", "garbage", "404"])
async def test_broken_batch_route_falls_back_to_charts(
    timed: Timed, fake_yahoo: FakeYahoo, mode: str
) -> None:
    fake_yahoo.fail("quote", mode)
    answer, took = await timed("quote SPCX AMZN")
    assert answer.kind == "ok", answer.text
    assert [(q["symbol"], q["route"]) for q in answer.data["quotes"]] == [
        ("SPCX", "chart"),
        ("AMZN", "chart"),
    ]
    fields = {f.name: f.value for f in answer.cards[0].fields}
    assert fields["Price"] == "153.20 USD"
    assert fields["Prev close"] == "153.00"
    assert took < 3


async def test_hanging_yahoo_answers_within_three_seconds(
    timed: Timed, fake_yahoo: FakeYahoo
) -> None:
    fake_yahoo.fail("all", "hang")
    answer, took = await timed("quote SPCX")
    assert answer.kind == "upstream"
    assert answer.data["reason"] == "timeout"
    assert "did not answer in time" in answer.text
    assert took < 3


async def test_unreachable_yahoo_says_so_quickly(tmp_path: Path) -> None:
    app = App.build(
        make_settings(tmp_path, f"http://127.0.0.1:{unused_port()}"), clock=pinned_clock()
    )
    await app.start()
    try:
        started = time.perf_counter()
        answer = await app.core.dispatch(invocation("quote SPCX"))
        took = time.perf_counter() - started
    finally:
        await app.close()
    assert answer.kind == "upstream"
    assert answer.data["reason"] == "unreachable"
    assert answer.text == "Yahoo Finance cannot be reached right now; try again later."
    assert took < 3


async def test_stale_price_is_served_and_labelled_when_yahoo_fails(
    timed: Timed, fake_yahoo: FakeYahoo, clock: ManualClock
) -> None:
    first, _ = await timed("quote SPCX AMZN")
    assert first.kind == "ok"
    clock.advance(3600)  # every TTL has run out
    fake_yahoo.fail("all", "500")
    answer, took = await timed("quote SPCX AMZN")
    assert answer.kind == "ok"
    assert [q["stale"] for q in answer.data["quotes"]] == [True, True]
    assert answer.data["failed"] == {"SPCX": "server_error", "AMZN": "server_error"}
    card = answer.cards[0]
    assert card.tone == "warning"
    assert card.description.startswith("⚠ Cached price: Yahoo Finance is having trouble.")
    assert "cached" in answer.text
    assert took < 3


async def test_stale_price_when_yahoo_hangs(
    timed: Timed, fake_yahoo: FakeYahoo, clock: ManualClock
) -> None:
    await timed("quote SPCX")
    clock.advance(3600)
    fake_yahoo.fail("all", "hang")
    answer, took = await timed("quote SPCX")
    assert answer.kind == "ok"
    assert answer.data["quotes"][0]["stale"] is True
    assert "did not answer in time" in answer.cards[0].description
    assert took < 3


async def test_a_failed_symbol_recovers_once_yahoo_does(
    timed: Timed, fake_yahoo: FakeYahoo
) -> None:
    """yfinance memoises responses, error pages too; after a hiccup the symbol must work again."""
    fake_yahoo.fail("quote", "500")
    fake_yahoo.fail("chart", "500")
    answer, _ = await timed("quote NVDA")
    assert answer.kind == "upstream"
    fake_yahoo.fail("chart", None)
    answer, _ = await timed("quote NVDA")
    assert answer.kind == "ok", answer.text
    assert answer.data["quotes"][0]["route"] == "chart"


async def test_concurrent_identical_requests_share_one_upstream_call(
    timed: Timed, fake_yahoo: FakeYahoo
) -> None:
    import asyncio

    await timed("quote SPCX")
    fake_yahoo.reset_counts()
    answers = await asyncio.gather(*(timed("quote AMZN GOOG") for _ in range(20)))
    assert all(a.kind == "ok" for a, _ in answers)
    assert fake_yahoo.counts() == {"quote": 1}


async def test_cache_lifetime_follows_the_market_session(tmp_path: Path) -> None:
    from bot.market.calendar import CLOSED_TTL_MAX, EXTENDED_TTL, OPEN_TTL, MarketCalendar

    cal = MarketCalendar(today=datetime(2026, 11, 24).date())
    ny = timedelta(hours=5)  # EST
    tuesday_noon = datetime(2026, 11, 24, 12, tzinfo=UTC) + ny
    assert cal.ttl("AMZN", "America/New_York", "EQUITY", tuesday_noon) == OPEN_TTL
    after_hours = datetime(2026, 11, 24, 17, tzinfo=UTC) + ny
    assert cal.ttl("AMZN", "America/New_York", "EQUITY", after_hours) == EXTENDED_TTL
    thanksgiving = datetime(2026, 11, 26, 12, tzinfo=UTC) + ny
    assert cal.ttl("AMZN", "America/New_York", "EQUITY", thanksgiving) == CLOSED_TTL_MAX
    early_close_afternoon = datetime(2026, 11, 27, 14, tzinfo=UTC) + ny  # closed at 13:00
    assert cal.ttl("AMZN", "America/New_York", "EQUITY", early_close_afternoon) == EXTENDED_TTL
    assert cal.ttl("BTC-USD", "UTC", "CRYPTOCURRENCY", thanksgiving) == 30.0
    tokyo_morning = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 10:00 JST, trading
    assert cal.ttl("7203.T", "Asia/Tokyo", "EQUITY", tokyo_morning) == OPEN_TTL


async def test_chart_fallback_reports_the_market_state(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    """The fallback reads the chart's current trading periods: open at 11:00 on a session."""
    tuesday_11am = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 11:00 New York
    fake_yahoo.now = tuesday_11am
    app = App.build(make_settings(tmp_path, fake_yahoo.base_url), clock=ManualClock(tuesday_11am))
    await app.start()
    try:
        fake_yahoo.fail("quote", "500")
        answer = await app.core.dispatch(invocation("quote MSFT"))
    finally:
        await app.close()
    assert answer.data["quotes"][0]["route"] == "chart"
    assert answer.data["quotes"][0]["market_state"] == "open"


@pytest.mark.parametrize("mode", ["500", "502"])
async def test_yahoo_server_errors_say_yahoo_is_failing(
    timed: Timed, fake_yahoo: FakeYahoo, mode: str
) -> None:
    """Yahoo's 5xx is Yahoo failing, not "an answer we could not read" (yfinance reads the
    HTML error page as JSON and raises a decode error)."""
    fake_yahoo.fail("all", mode)
    answer, took = await timed("quote SPCX")
    assert answer.kind == "upstream"
    assert answer.data["reason"] == "server_error"
    assert answer.text == "Yahoo Finance is having trouble (server error); try again in a minute."
    assert took < 3
    chart, _ = await timed("chart AMZN 1mo")
    assert chart.kind == "upstream"
    assert chart.data["reason"] == "server_error"
    assert chart.text == f"Yahoo Finance is having trouble (HTTP {mode}); try again in a minute."


async def test_garbage_from_yahoo_is_still_an_answer_we_could_not_read(
    timed: Timed, fake_yahoo: FakeYahoo
) -> None:
    fake_yahoo.fail("all", "garbage")
    answer, _ = await timed("quote SPCX")
    assert answer.data["reason"] == "bad_answer"
    assert answer.text == "Yahoo Finance sent an answer we could not read; try again later."
    chart, _ = await timed("chart AMZN 1mo")
    assert chart.data["reason"] == "bad_answer"
    assert "could not read" in chart.text
