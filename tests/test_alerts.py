"""Price alerts: fire once, re-arm only after the price crosses back (hysteresis)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.alert_rules import alert_state
from bot.app import App
from bot.clock import ManualClock
from bot.context import Channel, Invocation, User
from bot.market.types import Quote
from bot.scheduler import Scheduler
from bot.store.repo import Store
from tests.fakes.chat_platform import RecordingPlatform, missing_permission
from tests.fakes.yahoo_server import FakeYahoo
from tests.scheduling_helpers import clocked_app, make_scheduler

TUESDAY_10AM = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 EST, market open


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(TUESDAY_10AM)


@pytest.fixture
async def app(tmp_path: Path, fake_yahoo: FakeYahoo, clock: ManualClock) -> AsyncIterator[App]:
    built = await clocked_app(tmp_path / "app", fake_yahoo, clock)
    yield built
    await built.close()


async def add_alert(
    store: Store, symbol: str, kind: str, threshold: float, channel: str = "c1"
) -> int:
    row = await store.add_alert(
        platform="fake",
        channel_id=channel,
        guild_id="g1",
        created_by="u1",
        symbol=symbol,
        kind=kind,
        threshold=threshold,
        armed=True,
        fire_count=0,
        created_at=TUESDAY_10AM,
    )
    return row.id


def set_price(fake: FakeYahoo, symbol: str, price: float) -> None:
    fake.symbols[symbol] = replace(fake.symbols[symbol], price=price)


async def poll(
    scheduler: Scheduler, clock: ManualClock, fake: FakeYahoo, symbol: str, price: float
) -> None:
    """Set the price, let a poll interval pass (the quote cache expires), tick."""
    set_price(fake, symbol, price)
    clock.advance(60)
    await scheduler.tick(clock.now())


async def test_above_alert_fires_once_and_re_arms_only_after_crossing_back(
    store: Store, app: App, clock: ManualClock, fake_yahoo: FakeYahoo
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform}, alert_rearm_percent=0.5)
    alert_id = await add_alert(store, "SPCX", "above", 160)
    fired_at = []
    # Re-arm line: 0.5 % under 160 = 159.20.
    for price in [153.2, 160.5, 160.2, 161.0, 159.9, 159.5, 160.3, 159.1, 160.4, 160.6]:
        before = len(platform.posts)
        await poll(scheduler, clock, fake_yahoo, "SPCX", price)
        if len(platform.posts) > before:
            fired_at.append(price)
    assert fired_at == [160.5, 160.4]
    channel, post = platform.posts[0]
    assert channel == "c1"
    assert post.cards[0].title == "🔔 SPCX rose above 160.00"
    assert post.cards[0].fields[0].value.startswith("160.50 USD")
    assert post.data == {
        "alert_id": alert_id,
        "symbol": "SPCX",
        "kind": "above",
        "threshold": 160.0,
        "price": 160.5,
    }
    row = await store.get_alert(alert_id)
    assert row is not None and row.fire_count == 2 and not row.armed


async def test_below_and_move_alerts_have_the_same_hysteresis(
    store: Store, app: App, clock: ManualClock, fake_yahoo: FakeYahoo
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform}, alert_rearm_percent=0.5)
    await add_alert(store, "AMZN", "below", 220)
    await add_alert(store, "TSLA", "move", 5)  # previous close 395.23
    steps = [
        ("AMZN", 219.9),
        ("AMZN", 220.5),
        ("AMZN", 219.0),
        ("AMZN", 221.2),
        ("AMZN", 219.5),
        ("TSLA", 415.0),
        ("TSLA", 413.5),
        ("TSLA", 412.0),
        ("TSLA", 375.0),
    ]
    for symbol, price in steps:
        await poll(scheduler, clock, fake_yahoo, symbol, price)
    titles = [post.cards[0].title for _, post in platform.posts]
    assert titles == [
        "🔔 AMZN fell below 220.00",  # 219.9
        "🔔 AMZN fell below 220.00",  # 219.5, after 221.2 (>= 221.10) re-armed it
        "🔔 TSLA moved +5.00% (alert at 5%)",  # 415.0
        "🔔 TSLA moved -5.12% (alert at 5%)",  # 412.0 (+4.24%) re-armed it, then 375.0
    ]


async def test_alerts_are_polled_on_the_interval_and_only_while_the_market_is_open(
    store: Store, app: App, clock: ManualClock, fake_yahoo: FakeYahoo
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform}, alert_poll=timedelta(seconds=60))
    await add_alert(store, "SPCX", "above", 160)
    set_price(fake_yahoo, "SPCX", 155.0)
    first = await scheduler.tick(clock.now())
    assert first.alerts_checked == 1
    clock.advance(30)
    assert (await scheduler.tick(clock.now())).alerts_checked == 0  # not due yet
    clock.current = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # Saturday
    fake_yahoo.reset_counts()
    saturday = await scheduler.tick(clock.now())
    assert saturday.alerts_checked == 0 and fake_yahoo.count() == 0
    clock.current = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # Thanksgiving
    assert (await scheduler.tick(clock.now())).alerts_checked == 0


async def test_many_alerts_take_one_batched_fetch(
    store: Store, app: App, clock: ManualClock, fake_yahoo: FakeYahoo
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform})
    symbols = ["SPCX", "AMZN", "GOOG", "AAPL", "MSFT", "NVDA", "META", "TSLA", "NFLX", "ORCL"]
    for i in range(30):
        await add_alert(store, symbols[i % 10], "above", 10_000, channel=f"c{i}")
    await scheduler.tick(clock.now())  # cookie and crumb once per process
    fake_yahoo.reset_counts()
    clock.advance(60)
    report = await scheduler.tick(clock.now())
    assert report.alerts_checked == 30 and report.quote_calls == 1
    assert fake_yahoo.counts() == {"quote": 1}


async def test_an_alert_that_cannot_post_is_disabled_with_the_reason(
    store: Store, app: App, clock: ManualClock, fake_yahoo: FakeYahoo
) -> None:
    platform = RecordingPlatform(fail_channels={"c1": missing_permission()})
    scheduler = make_scheduler(store, app, {"fake": platform})
    alert_id = await add_alert(store, "SPCX", "above", 160)
    await poll(scheduler, clock, fake_yahoo, "SPCX", 161.0)
    row = await store.get_alert(alert_id)
    assert row is not None and row.disabled_reason is not None
    assert row.disabled_reason.startswith("missing_permission")
    await poll(scheduler, clock, fake_yahoo, "SPCX", 150.0)
    await poll(scheduler, clock, fake_yahoo, "SPCX", 161.0)
    assert platform.attempts == 1


async def test_a_paused_alert_is_not_polled_and_resuming_re_arms_it(
    app: App, clock: ManualClock, fake_yahoo: FakeYahoo
) -> None:
    # The commands and the scheduler on the app's own store, as `orbitdesk run` has them.
    store = app.services.store
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform})
    alert_id = await add_alert(store, "SPCX", "above", 160)

    async def manager(text: str) -> str:
        answer = await app.core.dispatch(
            Invocation(
                text=text,
                platform="fake",
                user=User(id="u1", name="admin", can_manage_channel=True),
                channel=Channel(id="c1", name="c1", guild_id="g1"),
            )
        )
        assert answer.kind == "ok", answer.text
        return answer.text

    assert (await manager(f"alert pause {alert_id}")).startswith(f"Paused alert #{alert_id}")
    set_price(fake_yahoo, "SPCX", 161.0)
    fake_yahoo.reset_counts()
    clock.advance(60)
    report = await scheduler.tick(clock.now())
    assert report.alerts_checked == 0 and platform.posts == []
    assert fake_yahoo.count() == 0  # nothing else to poll: no market call at all
    # Resumed while past the line: it waits for the price to come back, like a new alert.
    resumed = await manager(f"alert resume {alert_id}")
    assert "already past that line, so it waits: it re-arms at or below 159.20" in resumed
    await poll(scheduler, clock, fake_yahoo, "SPCX", 162.0)
    assert platform.posts == []
    await poll(scheduler, clock, fake_yahoo, "SPCX", 159.0)  # back under: armed
    await poll(scheduler, clock, fake_yahoo, "SPCX", 160.5)
    assert [post.cards[0].title for _, post in platform.posts] == ["🔔 SPCX rose above 160.00"]
    # Paused and resumed below the line: armed at once, the next crossing fires.
    await manager(f"alert pause {alert_id}")
    set_price(fake_yahoo, "SPCX", 150.0)
    clock.advance(60)
    assert (await manager(f"alert resume {alert_id}")).endswith("Checked while its market is open.")
    await poll(scheduler, clock, fake_yahoo, "SPCX", 160.1)
    assert len(platform.posts) == 2


def _quote(price: float, previous: float = 100.0) -> Quote:
    return Quote(
        symbol="X",
        name="X",
        price=price,
        currency="USD",
        exchange="",
        exchange_tz="UTC",
        as_of=TUESDAY_10AM,
        change=price - previous,
        change_pct=(price - previous) / previous * 100,
        previous_close=previous,
    )


@pytest.mark.parametrize(
    ("kind", "threshold", "price", "expected"),
    [
        ("above", 160, 160.0, (True, False)),
        ("above", 160, 159.5, (False, False)),  # inside the band: neither
        ("above", 160, 159.2, (False, True)),
        ("below", 140, 140.0, (True, False)),
        ("below", 140, 140.5, (False, False)),
        ("below", 140, 140.7, (False, True)),
        ("move", 5, 105.0, (True, False)),
        ("move", 5, 95.0, (True, False)),
        ("move", 5, 104.6, (False, False)),
        ("move", 5, 104.5, (False, True)),
    ],
)
def test_alert_lines_and_re_arm_lines(
    kind: str, threshold: float, price: float, expected: tuple[bool, bool]
) -> None:
    assert alert_state(kind, threshold, _quote(price), 0.5) == expected
