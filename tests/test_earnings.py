"""/earnings: dates batched on the v7 quote, details from one quoteSummary per company."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.context import Channel, Invocation, User
from bot.market.earnings import earnings_date_from_v7, time_of_day
from bot.response import Response
from tests.conftest import make_settings
from tests.fakes.yahoo_earnings import FakeEarnings, at_new_york
from tests.fakes.yahoo_server import FakeYahoo

WEDNESDAY_10AM = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 10:00 EST
ADMIN = User(id="U1", name="admin", can_manage_channel=True)
GENERAL = Channel(id="C1", name="general", guild_id="T1")
OTHER_TEAM = Channel(id="C9", name="general", guild_id="T2")

NVDA = FakeEarnings(
    next_report=at_new_york(date(2026, 12, 3), 16, 20),  # Thursday, after close
    eps_avg=1.25,
    eps_low=1.10,
    eps_high=1.40,
    revenue_avg=54.9e9,
    revenue_low=53.0e9,
    revenue_high=57.1e9,
    analysts=41,
    history=[
        (date(2025, 10, 26), 0.81, 0.75),
        (date(2026, 1, 25), 0.89, 0.85),
        (date(2026, 4, 26), 0.96, 0.93),
        (date(2026, 7, 26), 1.05, 1.01),
    ],
)


@pytest.fixture
def fake() -> Iterator[FakeYahoo]:
    with FakeYahoo(now=WEDNESDAY_10AM) as served:
        served.earnings["NVDA"] = NVDA
        served.earnings["AAPL"] = FakeEarnings(  # Monday, before open
            next_report=at_new_york(date(2026, 11, 30), 7, 0), history=[]
        )
        served.earnings["ORCL"] = FakeEarnings(  # next week: not this week's
            next_report=at_new_york(date(2026, 12, 8), 16, 5)
        )
        served.earnings["MSFT"] = FakeEarnings(  # an estimated window starting Friday
            next_report=at_new_york(date(2026, 12, 4), 6, 59),
            estimated=True,
            window_end=at_new_york(date(2026, 12, 9), 8, 0),
        )
        yield served


@pytest.fixture
async def app(tmp_path: Path, fake: FakeYahoo) -> AsyncIterator[App]:
    built = App.build(
        make_settings(tmp_path / "app", fake.base_url), clock=ManualClock(WEDNESDAY_10AM)
    )
    await built.start()
    yield built
    await built.close()


async def chat(app: App, text: str, channel: Channel = GENERAL) -> Response:
    return await app.core.dispatch(
        Invocation(text=text, platform="slack", user=ADMIN, channel=channel)
    )


async def test_one_symbol_has_date_time_estimates_and_four_quarters(
    app: App, fake: FakeYahoo
) -> None:
    fake.reset_counts()
    answer = await chat(app, "earnings nvidia")
    assert answer.kind == "ok"
    [card] = answer.cards
    fields = {f.name: f.value for f in card.fields}
    assert fields["Next report"] == "Thu Dec 3, 2026, after close"
    assert fields["EPS estimate"] == "1.25 (quarter to Oct 26), range 1.10 – 1.40, 41 analysts"
    assert fields["Revenue estimate"] == "$54.90B, range $53.00B – $57.10B"
    assert fields["Last 4 quarters"].splitlines() == [
        "Quarter to Jul 26, 2026: EPS 1.05 vs 1.01 est · surprise +4.0%",
        "Quarter to Apr 26, 2026: EPS 0.96 vs 0.93 est · surprise +3.2%",
        "Quarter to Jan 25, 2026: EPS 0.89 vs 0.85 est · surprise +4.7%",
        "Quarter to Oct 26, 2025: EPS 0.81 vs 0.75 est · surprise +8.0%",
    ]
    assert card.footer.startswith("Yahoo Finance (quoteSummary calendarEvents, earningsTrend")
    assert card.footer.endswith("fetched Dec 2 10:00 EST")
    [row] = answer.data["earnings"]
    assert row["time_of_day"] == "after close"
    assert row["detail"]["history"][-1] == {
        "quarter_end": "2026-07-26",
        "eps_actual": 1.05,
        "eps_estimate": 1.01,
        "surprise_pct": pytest.approx(3.96, abs=0.01),
    }
    assert fake.count("quote") == 1
    assert fake.count("quoteSummary") == 1
    summary = next(p for e, p in fake.requests if e == "quoteSummary")
    assert summary.endswith("/v10/finance/quoteSummary/NVDA")


async def test_three_symbols_get_full_answers_from_one_quote_and_one_summary_each(
    app: App, fake: FakeYahoo
) -> None:
    fake.reset_counts()
    answer = await chat(app, "earnings NVDA AAPL MSFT")
    assert answer.kind == "ok"
    assert [c.title.split(" · ")[0] for c in answer.cards] == ["NVDA", "AAPL", "MSFT"]
    assert fake.count("quote") == 1
    assert fake.count("quoteSummary") == 3
    assert not answer.actions


async def test_ten_symbols_are_one_table_from_one_request_with_a_button_each(
    app: App, fake: FakeYahoo
) -> None:
    symbols = "NVDA AAPL MSFT AMZN GOOG META TSLA ORCL QQQ ZZZZQ"
    fake.reset_counts()
    answer = await chat(app, f"earnings {symbols}")
    assert answer.kind == "ok"
    assert fake.count("quote") == 1  # every date rides on one batched v7 quote
    assert fake.count("quoteSummary") == 0  # estimates and history only per company
    [card] = answer.cards
    assert card.title == "Next earnings · 8 companies"
    assert card.description.splitlines() == [  # soonest first
        "AAPL: Mon Nov 30, 2026, before open · EPS est this year 6.00, forward 6.30",
        "TSLA: Thu Dec 3, 2026, after close · EPS est this year 2.88, forward 3.02",
        "NVDA: Thu Dec 3, 2026, after close · EPS est this year 5.00, forward 5.25",
        "MSFT: between Dec 4 and Dec 9, 2026 (estimated) · EPS est this year 6.00, forward 6.30",
        "META: Fri Dec 4, 2026, after close · EPS est this year 5.76, forward 6.05",
        "GOOG: Mon Dec 7, 2026, before open · EPS est this year 6.24, forward 6.55",
        "ORCL: Tue Dec 8, 2026, after close · EPS est this year 6.00, forward 6.30",
        "AMZN: Mon Dec 21, 2026, before open · EPS est this year 18.32, forward 19.24",
        "QQQ is an ETF: it reports no earnings. No such symbol: ZZZZQ.",
    ]
    assert card.footer.startswith("Yahoo Finance (v7 quote: earnings dates) · fetched ")
    assert answer.data["layout"] == "table"
    assert answer.data["missing"] == ["ZZZZQ"]
    buttons = [b for row in answer.actions for b in row.items]
    assert [getattr(b, "command", None) for b in buttons][:3] == [
        "earnings AAPL",
        "earnings TSLA",
        "earnings NVDA",
    ]
    assert [len(row.items) for row in answer.actions] == [5, 3]
    assert answer.text.endswith(
        "Estimates and the last 4 quarters: `earnings <symbol>`, one company at a time."
    )
    # A button is the typed command: the full answer for one company, one more request.
    fake.reset_counts()
    detail = await chat(app, "earnings NVDA")
    assert detail.cards[0].title == "NVDA · NVIDIA Corporation · earnings"
    assert (fake.count("quote"), fake.count("quoteSummary")) == (0, 1)
    fake.reset_counts()
    again = await chat(app, f"earnings {symbols}")
    assert again.kind == "ok"
    assert fake.count() == 0  # dates are cached for hours


async def test_a_cached_answer_says_so_when_yahoo_fails(app: App, fake: FakeYahoo) -> None:
    assert (await chat(app, "earnings NVDA")).kind == "ok"
    assert (await chat(app, "earnings NVDA AAPL MSFT ORCL")).kind == "ok"
    assert isinstance(app.services.clock, ManualClock)
    app.services.clock.advance(7 * 3600)
    fake.fail("quoteSummary", "500")
    fake.fail("quote", "500")
    stale = await chat(app, "earnings NVDA")
    assert stale.kind == "ok"
    assert stale.cards[0].description.startswith("⚠ Cached: Yahoo failed just now")
    assert stale.data["earnings"][0]["stale"] is True
    table = await chat(app, "earnings NVDA AAPL MSFT ORCL")
    assert table.kind == "ok"
    assert table.cards[0].description.endswith("⚠ Some dates are cached: Yahoo failed just now.")


async def test_funds_crypto_and_unknown_symbols_get_a_short_answer(
    app: App, fake: FakeYahoo
) -> None:
    fake.reset_counts()
    answer = await chat(app, "earnings QQQ BTC-USD")
    assert answer.kind == "ok"
    assert answer.text == (
        "QQQ is an ETF: it reports no earnings.\n"
        "BTC-USD is a cryptocurrency: it reports no earnings."
    )
    assert fake.count("quoteSummary") == 0  # the v7 quote type is enough to know
    unknown = await chat(app, "earnings ZZZZQ")
    assert unknown.kind == "not_found"
    assert unknown.text.startswith("No such symbol: ZZZZQ.")
    mixed = await chat(app, "earnings NVDA ZZZZQ")
    assert mixed.kind == "ok"
    assert mixed.cards[-1].description == "No such symbol: ZZZZQ."
    too_many = await chat(app, "earnings A B C D E F G H I J K")
    assert too_many.kind == "usage"
    assert "at most 10 at a time" in too_many.text


async def test_yahoo_failures_are_named_not_raised(app: App, fake: FakeYahoo) -> None:
    fake.fail("quote", "429")
    limited = await chat(app, "earnings NVDA")
    assert limited.kind == "upstream"
    assert limited.data["reason"] == "rate_limited"
    fake.fail("quote", None)
    app.market._cooldown_until = 0.0  # the 429 cool-down is tested elsewhere
    fake.fail("quoteSummary", "500")
    partial = await chat(app, "earnings AAPL")
    assert partial.kind == "ok"
    assert partial.text == (
        "AAPL: Yahoo Finance is having trouble (server error); try again in a minute."
    )
    fake.fail("quoteSummary", "404")
    missing = await chat(app, "earnings MSFT")
    assert missing.text == "MSFT: Yahoo has no earnings estimates for it."
    fake.fail("quoteSummary", "hang")
    hung = await chat(app, "earnings ORCL")
    assert hung.kind == "ok"
    assert hung.text == "ORCL: Yahoo Finance did not answer in time; try again in a moment."
    fake.fail("quoteSummary", None)


async def test_an_equity_without_an_announced_date(app: App, fake: FakeYahoo) -> None:
    fake.earnings["AMD"] = FakeEarnings(next_report=None, history=[])
    answer = await chat(app, "earnings AMD")
    assert answer.kind == "ok"
    fields = {f.name: f.value for f in answer.cards[0].fields}
    assert fields["Next report"] == "no date announced"
    assert "Last 0 quarters" not in fields


async def test_week_lists_the_servers_watched_symbols_in_date_order(
    app: App, fake: FakeYahoo
) -> None:
    empty = await chat(app, "earnings")
    assert empty.text.startswith("Nothing is watched here yet")
    await chat(app, "watchlist add NVDA ORCL")
    await chat(app, "watchlist add MSFT list:channel")
    await chat(app, "alert add AAPL above 400")
    await chat(app, "schedule add QQQ at:close")
    fake.reset_counts()
    week = await chat(app, "earnings week")
    assert week.kind == "ok"
    assert week.cards[0].title == "Earnings this week (Nov 30 – Dec 6) · 3 of 5 watched"
    assert week.cards[0].description.splitlines() == [
        "Mon Nov 30, 2026, before open · AAPL (Apple Inc.)",
        "Thu Dec 3, 2026, after close · NVDA (NVIDIA Corporation)",
        "between Dec 4 and Dec 9, 2026 (estimated) · MSFT (Microsoft Corporation)",
    ]
    assert sorted(week.data["watched"]) == ["AAPL", "MSFT", "NVDA", "ORCL", "QQQ"]
    assert fake.count("quote") == 1 and fake.count("quoteSummary") == 0
    elsewhere = await chat(app, "earnings", channel=OTHER_TEAM)
    assert elsewhere.text.startswith("Nothing is watched here yet")


def test_time_of_day_follows_new_york_time_across_daylight_saving() -> None:
    assert time_of_day(at_new_york(date(2026, 7, 1), 9, 29), "America/New_York") == "before open"
    assert time_of_day(at_new_york(date(2026, 1, 5), 16, 0), "America/New_York") == "after close"
    assert (
        time_of_day(at_new_york(date(2026, 1, 5), 12, 0), "America/New_York")
        == "during market hours"
    )


def test_v7_fields_from_the_recorded_answers() -> None:
    fetched = datetime(2025, 2, 17, 11, 10, tzinfo=UTC)
    # research/yahoo-formats.md §1.2: AAPL estimated window; BABA confirmed, before open.
    aapl = earnings_date_from_v7(
        {
            "symbol": "AAPL",
            "quoteType": "EQUITY",
            "exchangeTimezoneName": "America/New_York",
            "earningsTimestamp": 1738272600,
            "earningsTimestampStart": 1746010740,
            "earningsTimestampEnd": 1746446400,
            "isEarningsDateEstimate": True,
            "epsForward": 8.31,
        },
        fetched,
    )
    assert aapl is not None and aapl.estimated and aapl.time_of_day is None
    assert aapl.last_report == datetime(2025, 1, 30, 21, 30, tzinfo=UTC)
    baba = earnings_date_from_v7(
        {
            "symbol": "BABA",
            "quoteType": "EQUITY",
            "exchangeTimezoneName": "America/New_York",
            "earningsTimestamp": 1740058200,
            "earningsTimestampStart": 1740058200,
            "earningsTimestampEnd": 1740058200,
            "isEarningsDateEstimate": False,
        },
        fetched,
    )
    assert baba is not None and not baba.estimated
    assert baba.time_of_day == "before open"  # 08:30 EST
    qqq = earnings_date_from_v7({"symbol": "QQQ", "quoteType": "ETF"}, fetched)
    assert qqq is not None and qqq.no_earnings_kind == "an ETF" and qqq.start is None


async def test_an_empty_v7_answer_keeps_known_dates_as_stale(app: App, fake: FakeYahoo) -> None:
    assert (await chat(app, "earnings week")).kind == "ok"
    await chat(app, "watchlist add NVDA")
    assert (await chat(app, "earnings week")).data["reports"][0]["symbol"] == "NVDA"
    assert isinstance(app.services.clock, ManualClock)
    app.services.clock.advance(7 * 3600)
    fake.fail("quote", "empty")  # Yahoo's glitch: 200 with no results
    week = await chat(app, "earnings week")
    assert week.kind == "ok"
    [report] = week.data["reports"]
    assert report["symbol"] == "NVDA" and report["stale"] is True
    assert week.data["failed"] == {"NVDA": "bad_answer"}
    assert "⚠ Some dates are cached" in week.cards[0].description
