"""The scheduler: exactly one post per slot, crashes, downtime, failures (no sleeping)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.base import PostKey
from bot.adapters.console import invocation
from bot.app import App
from bot.clock import ManualClock
from bot.response import Response
from bot.scheduler import Scheduler, TickReport
from bot.store.repo import Outcome, Store
from bot.store.watchlists import ListKey
from tests.fakes.chat_platform import Crash, RecordingPlatform, missing_permission, rate_limited
from tests.fakes.yahoo_server import FakeYahoo
from tests.scheduling_helpers import add_schedule, clocked_app, make_scheduler
from tests.store_fixtures import DatabaseFactory

TUESDAY_MORNING = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 09:00 EST, before the open


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(TUESDAY_MORNING)


@pytest.fixture
async def app(tmp_path: Path, fake_yahoo: FakeYahoo, clock: ManualClock) -> AsyncIterator[App]:
    built = await clocked_app(tmp_path / "app", fake_yahoo, clock)
    yield built
    await built.close()


async def tick(scheduler: Scheduler, clock: ManualClock, when: datetime) -> TickReport:
    """Move the clock (the market cache reads it too) and run one tick."""
    clock.current = when
    return await scheduler.tick(when)


async def test_due_schedules_post_one_card_each_from_one_batched_fetch(
    store: Store, app: App, clock: ManualClock, fake_yahoo: FakeYahoo
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform})
    universe = ["SPCX", "AMZN", "GOOG", "AAPL", "MSFT", "NVDA", "META", "TSLA", "NFLX", "ORCL"]
    for i in range(40):
        picks = tuple(universe[(i + k) % len(universe)] for k in range(3))
        await add_schedule(
            store, scheduler, clock.now(), at="close+5m", symbols=picks, channel=f"c{i}"
        )
    report = await tick(scheduler, clock, utc(2026, 11, 24, 21, 4))
    assert platform.posts == [] and report.claimed == 0
    fake_yahoo.reset_counts()
    report = await tick(scheduler, clock, utc(2026, 11, 24, 21, 5))
    assert report.posted == 40 and report.quote_calls == 1
    assert fake_yahoo.counts()["quote"] == 1 and fake_yahoo.counts()["chart"] == 0
    channel, first = platform.posts[0]
    assert channel == "c0"
    [card] = first.cards
    assert card.title == "Prices · Tue Nov 24 16:05 EST"
    assert [f.name for f in card.fields] == ["SPCX", "AMZN", "GOOG"]
    assert card.fields[0].value.startswith("153.20 USD +0.20 (+0.13%) · ")
    assert first.text.splitlines()[1].startswith("SPCX  153.20 USD")
    report = await tick(scheduler, clock, utc(2026, 11, 24, 21, 6))
    assert report.posted == 0 and len(platform.posts) == 40


async def test_a_watchlist_schedule_posts_the_list_as_it_is_when_due_in_the_one_fetch(
    store: Store, app: App, clock: ManualClock, fake_yahoo: FakeYahoo
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform})
    lists = store.watchlists
    here = ListKey.of_channel("fake", "g1", "c1")
    await lists.add(here, ["NVDA", "SPCX"], by="u1", now=clock.now(), limit=50)
    sid = await add_schedule(
        store, scheduler, clock.now(), at="close+5m", symbols=(), watchlist="channel"
    )
    await add_schedule(store, scheduler, clock.now(), at="close+5m", channel="c2")  # SPCX AMZN
    # Lists that are not c1's: another channel's, and a person's whose id happens to be "c1".
    await lists.add(
        ListKey.of_channel("fake", "g1", "c2"), ["GOOG"], by="u1", now=clock.now(), limit=50
    )
    await lists.add(
        ListKey.of_user("fake", "g1", "c1"), ["MSFT"], by="c1", now=clock.now(), limit=50
    )
    # The list changes after the schedule was made: the post shows it as it is when due.
    await lists.remove(here, ["SPCX"])
    clock.current = utc(2026, 11, 24, 18)
    await lists.add(here, ["TSLA"], by="u1", now=clock.now(), limit=50)
    fake_yahoo.reset_counts()
    report = await tick(scheduler, clock, utc(2026, 11, 24, 21, 5))
    # Both schedules' symbols (NVDA TSLA + SPCX AMZN) came from the one batched fetch.
    assert report.posted == 2 and report.quote_calls == 1 and report.symbols_fetched == 4
    assert fake_yahoo.counts()["quote"] == 1 and fake_yahoo.counts()["chart"] == 0
    posts = dict(platform.posts)
    assert set(posts) == {"c1", "c2"}
    [card] = posts["c1"].cards
    assert card.title == "This channel's watchlist · Tue Nov 24 16:05 EST"
    assert [line.split()[0] for line in card.description.splitlines()] == ["NVDA", "TSLA"]
    assert card.description.startswith("NVDA  182.55 USD")
    assert card.footer.startswith("Yahoo Finance · prices as of ")
    assert card.footer.endswith(f"· schedule #{sid}")
    assert posts["c1"].data["watchlist"] == "channel"
    assert posts["c1"].data["due_at"] == utc(2026, 11, 24, 21, 5).isoformat()
    assert [q["symbol"] for q in posts["c1"].data["quotes"]] == ["NVDA", "TSLA"]
    assert posts["c2"].cards[0].title == "Prices · Tue Nov 24 16:05 EST"  # unchanged
    assert (await tick(scheduler, clock, utc(2026, 11, 24, 21, 6))).posted == 0  # once a slot
    [delivery] = await store.deliveries(sid)
    assert delivery.status == "posted"

    # Emptied before the next slot: a short note, not a failure nor a retry.
    await lists.clear(here)
    report = await tick(scheduler, clock, utc(2026, 11, 25, 21, 5))
    assert report.posted == 2 and report.retry_later == 0 and report.quote_calls == 1
    channel, empty = platform.posts[-2] if platform.posts[-2][0] == "c1" else platform.posts[-1]
    assert channel == "c1" and empty.data["empty"] is True
    assert empty.text.splitlines() == [
        "This channel's watchlist · Wed Nov 25 16:05 EST",
        "This channel's watchlist is empty, so there is nothing to quote. Add symbols with "
        f"`watchlist add <symbol...> list:channel`, or `schedule pause {sid}`.",
        f"schedule #{sid}",
    ]


async def test_two_schedulers_racing_post_each_slot_exactly_once(
    databases: DatabaseFactory, app: App, clock: ManualClock
) -> None:
    first_db, second_db = databases.open(), databases.open()
    await first_db.upgrade()
    platform = RecordingPlatform()
    one = make_scheduler(Store(first_db), app, {"fake": platform})
    two = make_scheduler(Store(second_db), app, {"fake": platform})
    for i in range(60):
        await add_schedule(Store(first_db), one, clock.now(), at="every 30m", channel=f"c{i}")
    slots = [utc(2026, 11, 24, 14, 30), utc(2026, 11, 24, 15, 0), utc(2026, 11, 24, 15, 30)]
    for slot in slots:
        clock.current = slot
        reports = await asyncio.gather(one.tick(slot), two.tick(slot), one.tick(slot))
        assert sum(r.claimed for r in reports) == 60
        assert sum(r.posted for r in reports) == 60
    keys = Counter((channel, post.data["due_at"]) for channel, post in platform.posts)
    assert len(keys) == 60 * len(slots)
    assert set(keys.values()) == {1}


async def test_crash_between_claim_and_post_is_posted_once_after_restart(
    databases: DatabaseFactory, app: App, clock: ManualClock
) -> None:
    before = databases.open()
    await before.upgrade()
    platform = RecordingPlatform(fail_next=[Crash()])
    dying = make_scheduler(Store(before), app, {"fake": platform})
    sid = await add_schedule(Store(before), dying, clock.now(), at="close+5m")
    due = utc(2026, 11, 24, 21, 5)
    with pytest.raises(Crash):
        await tick(dying, clock, due)
    assert platform.posts == []
    await before.dispose()

    restarted = make_scheduler(Store(databases.open()), app, {"fake": platform})
    report = await tick(restarted, clock, due + timedelta(seconds=30))
    assert report.posted == 0  # the claim's lease (45 s) still runs
    report = await tick(restarted, clock, due + timedelta(seconds=46))
    assert report.recovered == 1 and report.posted == 1
    assert platform.posts[0][1].data["due_at"] == due.isoformat()
    # The first attempt may have reached the platform: the retry says so, with the same key.
    first, second = platform.keys
    assert first is not None and second is not None
    assert (first.id, first.maybe_sent) == (f"{sid}-{int(due.timestamp())}", False)
    assert (second.id, second.maybe_sent) == (first.id, True)
    for minutes in (6, 20, 60):
        report = await tick(restarted, clock, due + timedelta(minutes=minutes))
        assert report.posted == 0
    [delivery] = await restarted.store.deliveries(sid)
    assert (delivery.status, delivery.attempts, delivery.recovered) == ("posted", 2, True)


async def test_a_slot_whose_retry_also_crashes_is_abandoned_not_posted_again(
    store: Store, app: App, clock: ManualClock
) -> None:
    platform = RecordingPlatform(fail_next=[Crash(), Crash()])
    scheduler = make_scheduler(store, app, {"fake": platform})
    sid = await add_schedule(store, scheduler, clock.now(), at="close+5m")
    due = utc(2026, 11, 24, 21, 5)
    with pytest.raises(Crash):
        await tick(scheduler, clock, due)
    with pytest.raises(Crash):
        await tick(
            make_scheduler(store, app, {"fake": platform}), clock, due + timedelta(minutes=6)
        )
    report = await tick(
        make_scheduler(store, app, {"fake": platform}), clock, due + timedelta(minutes=12)
    )
    assert report.abandoned == 1 and report.posted == 0
    [delivery] = await store.deliveries(sid)
    assert delivery.status == "abandoned" and platform.posts == []


async def test_missed_slots_within_the_grace_window_collapse_into_one_post(
    store: Store, app: App, clock: ManualClock
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform})
    await add_schedule(store, scheduler, clock.now(), at="every 5m")
    # Down from before the open until 09:42: slots 09:30, 09:35 and 09:40 were missed.
    report = await tick(scheduler, clock, utc(2026, 11, 24, 14, 42))
    assert report.posted == 1 and report.collapsed == 2
    assert platform.posts[0][1].cards[0].title == "Prices · Tue Nov 24 09:40 EST"
    report = await tick(scheduler, clock, utc(2026, 11, 24, 14, 45))
    assert report.posted == 1  # back on the normal rhythm


async def test_slots_older_than_the_grace_window_are_skipped_and_logged(
    store: Store, app: App, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform})
    sid = await add_schedule(store, scheduler, clock.now(), at="16:05")
    caplog.set_level(logging.INFO, logger="bot.scheduler")
    report = await tick(scheduler, clock, utc(2026, 11, 24, 23, 30))  # 2 h 25 min late
    assert report.posted == 0 and report.skipped == 1
    assert f"schedule #{sid}: slots from 2026-11-24T21:05:00+00:00" in caplog.text
    assert "grace window; skipped" in caplog.text
    row = await store.get_schedule(sid)
    assert row is not None and row.next_due == utc(2026, 11, 25, 21, 5)
    await tick(scheduler, clock, utc(2026, 11, 25, 21, 5))
    assert len(platform.posts) == 1


async def test_thanksgiving_is_quiet_and_the_early_close_posts_at_1305(
    store: Store, app: App, clock: ManualClock
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform})
    await add_schedule(store, scheduler, clock.now(), at="close+5m")
    await tick(scheduler, clock, utc(2026, 11, 25, 21, 5))
    for hour in (14, 18, 21, 23):  # Thanksgiving, Nov 26: the exchange is closed all day
        await tick(scheduler, clock, utc(2026, 11, 26, hour, 5))
    await tick(scheduler, clock, utc(2026, 11, 27, 18, 4))
    assert len(platform.posts) == 1
    await tick(scheduler, clock, utc(2026, 11, 27, 18, 5))
    titles = [post.cards[0].title for _, post in platform.posts]
    assert titles == ["Prices · Wed Nov 25 16:05 EST", "Prices · Fri Nov 27 13:05 EST"]


async def test_clock_schedule_keeps_new_york_time_over_the_march_switch(
    store: Store, app: App, clock: ManualClock
) -> None:
    clock.current = utc(2026, 3, 6, 12)
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform})
    sid = await add_schedule(store, scheduler, clock.now(), at="16:05")
    await tick(scheduler, clock, utc(2026, 3, 6, 21, 5))
    row = await store.get_schedule(sid)
    assert row is not None and row.next_due == utc(2026, 3, 9, 20, 5)
    await tick(scheduler, clock, utc(2026, 3, 9, 20, 5))
    titles = [post.cards[0].title for _, post in platform.posts]
    assert titles == ["Prices · Fri Mar 6 16:05 EST", "Prices · Mon Mar 9 16:05 EDT"]


async def test_transient_failures_retry_with_backoff(
    store: Store, app: App, clock: ManualClock
) -> None:
    platform = RecordingPlatform(fail_next=[rate_limited(), rate_limited()])
    scheduler = make_scheduler(store, app, {"fake": platform}, backoff_seconds=30)
    sid = await add_schedule(store, scheduler, clock.now(), at="close+5m")
    due = utc(2026, 11, 24, 21, 5)
    assert (await tick(scheduler, clock, due)).retry_later == 1
    assert (await tick(scheduler, clock, due + timedelta(seconds=29))).retried == 0
    report = await tick(scheduler, clock, due + timedelta(seconds=30))
    assert report.retried == 1 and report.retry_later == 1
    assert (await tick(scheduler, clock, due + timedelta(seconds=89))).retried == 0
    report = await tick(scheduler, clock, due + timedelta(seconds=90))  # 30 s, then 60 s
    assert report.posted == 1
    [delivery] = await store.deliveries(sid)
    assert (delivery.status, delivery.attempts) == ("posted", 3)
    assert len(platform.posts) == 1 and platform.attempts == 3


async def test_transient_failures_give_up_after_the_last_attempt(
    store: Store, app: App, clock: ManualClock
) -> None:
    platform = RecordingPlatform(fail_next=[rate_limited() for _ in range(5)])
    scheduler = make_scheduler(store, app, {"fake": platform}, max_attempts=2, backoff_seconds=30)
    sid = await add_schedule(store, scheduler, clock.now(), at="close+5m")
    due = utc(2026, 11, 24, 21, 5)
    await tick(scheduler, clock, due)
    report = await tick(scheduler, clock, due + timedelta(seconds=30))
    assert report.failed == 1
    [delivery] = await store.deliveries(sid)
    assert delivery.status == "failed" and "gave up after 2 attempts" in (delivery.error or "")
    row = await store.get_schedule(sid)
    assert row is not None and row.disabled_reason is None  # transient: the schedule lives on


async def test_schedules_of_a_platform_not_running_here_are_left_alone(
    store: Store, app: App, clock: ManualClock
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform})
    sid = await add_schedule(store, scheduler, clock.now(), at="close+5m", platform="slack")
    report = await tick(scheduler, clock, utc(2026, 11, 24, 21, 5))
    assert report.claimed == 0 and platform.attempts == 0
    row = await store.get_schedule(sid)
    assert row is not None and row.next_due == utc(2026, 11, 24, 21, 5)  # a Slack process's job


async def test_permission_failure_disables_the_schedule_and_list_says_why(
    app: App, clock: ManualClock
) -> None:
    platform = RecordingPlatform(name="console", fail_channels={"console": missing_permission()})
    app.services.adapters = {"console": platform}
    added = await app.core.dispatch(invocation("schedule add SPCX at:close+5m"))
    assert added.kind == "ok"
    report = await tick(app.scheduler, clock, utc(2026, 11, 24, 21, 5))
    assert report.disabled == 1 and report.posted == 0
    listing = await app.core.dispatch(invocation("schedule list"))
    assert "disabled (missing_permission: the bot may not send messages in this channel)" in (
        listing.text
    )
    assert listing.data["schedules"][0]["next"] == "none"
    await tick(app.scheduler, clock, utc(2026, 11, 25, 21, 5))
    assert platform.attempts == 1  # a disabled schedule is not tried again
    platform.fail_channels.clear()
    resumed = await app.core.dispatch(invocation("schedule resume 1"))
    assert resumed.text == "Resumed schedule #1. Next post: Fri Nov 27 13:05 EST."
    await tick(app.scheduler, clock, utc(2026, 11, 27, 18, 5))
    assert len(platform.posts) == 1
    metrics = app.metrics.render().decode()
    assert 'orbitdesk_scheduled_posts_total{platform="console",result="failed"} 1.0' in metrics
    assert 'orbitdesk_scheduled_posts_total{platform="console",result="sent"} 1.0' in metrics


async def test_finished_deliveries_are_pruned_after_a_week(
    store: Store, app: App, clock: ManualClock
) -> None:
    platform = RecordingPlatform()
    scheduler = make_scheduler(store, app, {"fake": platform}, keep_deliveries=timedelta(days=7))
    sid = await add_schedule(store, scheduler, clock.now(), at="close+5m")
    await tick(scheduler, clock, utc(2026, 11, 24, 21, 5))
    assert len(await store.deliveries(sid)) == 1
    await tick(make_scheduler(store, app, {"fake": platform}), clock, utc(2026, 12, 2, 12))
    assert await store.deliveries(sid) == []  # the Nov 24 row went; the schedule stays
    assert await store.get_schedule(sid) is not None


async def test_the_real_loop_posts_due_work_and_stops_when_asked(
    store: Store, app: App, clock: ManualClock
) -> None:
    stop = asyncio.Event()

    class StopAfterPost(RecordingPlatform):
        async def post(
            self,
            channel_id: str,
            response: Response,
            key: PostKey | None = None,
            *,
            guild_id: str | None = None,
        ) -> None:
            await super().post(channel_id, response, key, guild_id=guild_id)
            stop.set()

    platform = StopAfterPost()
    scheduler = make_scheduler(store, app, {"fake": platform})
    await add_schedule(store, scheduler, clock.now(), at="close+5m")
    clock.current = utc(2026, 11, 24, 21, 5)
    await asyncio.wait_for(scheduler.run(stop), timeout=30)
    assert len(platform.posts) == 1


async def test_a_live_claimer_renews_its_lease_so_nobody_takes_its_slot_over(
    store: Store, app: App, clock: ManualClock
) -> None:
    platform = RecordingPlatform(delay=1.0)  # a slow post: the lease runs out meanwhile
    lease = timedelta(seconds=0.6)  # renewed every 0.2 s of real time
    working = make_scheduler(store, app, {"fake": platform}, lease=lease)
    other = make_scheduler(store, app, {"fake": platform}, lease=lease)
    await add_schedule(store, working, clock.now(), at="close+5m")
    due = utc(2026, 11, 24, 21, 5)
    clock.current = due
    await app.market.quotes(["SPCX", "AMZN"])  # warm: the tick's time goes to the slow post
    first = asyncio.ensure_future(working.tick(due))
    await asyncio.sleep(0.1)  # claimed, fetching and posting
    clock.current = due + timedelta(seconds=5)  # far past the lease on the clock
    await asyncio.sleep(0.5)  # a heartbeat renewed the claim at the new time
    report = await other.tick(clock.current)
    assert report.recovered == 0
    assert (await first).posted == 1
    assert len(platform.posts) == 1


class FlakyStore(Store):
    """A store whose first `failures` records fail, as a database outage would."""

    def __init__(self, store: Store, failures: int) -> None:
        super().__init__(store.db)
        self.failures = failures

    async def record(self, outcomes: Sequence[Outcome], instance: str, now: datetime) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError("connection refused")
        await super().record(outcomes, instance, now)


async def test_recording_an_outcome_is_retried_through_a_short_outage(
    store: Store, app: App, clock: ManualClock
) -> None:
    platform = RecordingPlatform()
    flaky = FlakyStore(store, failures=2)
    scheduler = make_scheduler(flaky, app, {"fake": platform}, record_retries=(0.01, 0.01, 0.01))
    sid = await add_schedule(store, scheduler, clock.now(), at="close+5m")
    report = await tick(scheduler, clock, utc(2026, 11, 24, 21, 5))
    assert report.posted == 1
    [delivery] = await store.deliveries(sid)
    assert delivery.status == "posted"


async def test_a_post_whose_outcome_was_lost_is_taken_over_as_maybe_sent(
    store: Store, app: App, clock: ManualClock
) -> None:
    platform = RecordingPlatform()
    flaky = FlakyStore(store, failures=10)  # the database stays away
    lost = make_scheduler(flaky, app, {"fake": platform}, record_retries=(0.01,))
    sid = await add_schedule(store, lost, clock.now(), at="close+5m")
    due = utc(2026, 11, 24, 21, 5)
    await tick(lost, clock, due)
    [delivery] = await store.deliveries(sid)
    assert delivery.status == "claimed"  # sent, but not recorded

    survivor = make_scheduler(store, app, {"fake": platform})
    report = await tick(survivor, clock, due + timedelta(seconds=46))
    assert report.recovered == 1
    first, second = platform.keys
    assert second is not None and first is not None
    assert second.id == first.id and second.maybe_sent  # the adapter looks before posting


def holding(guilds: set[str], **kwargs: object) -> RecordingPlatform:
    """A platform whose process holds only these guilds (as a Discord process with some
    shards does): the scheduler must leave every other guild's work to other processes."""
    platform = RecordingPlatform(**kwargs)  # type: ignore[arg-type]
    platform.serves = lambda guild_id: guild_id in guilds  # type: ignore[attr-defined]
    return platform


async def test_a_process_claims_retries_and_recovers_only_the_guilds_it_holds(
    store: Store, app: App, clock: ManualClock
) -> None:
    elsewhere = holding({"g2"})
    mine = holding({"g1"}, fail_next=[rate_limited(), Crash()])
    other = make_scheduler(store, app, {"fake": elsewhere}, backoff_seconds=30)
    owner = make_scheduler(store, app, {"fake": mine}, backoff_seconds=30)
    sid = await add_schedule(store, owner, clock.now(), at="close+5m")  # guild g1
    due = utc(2026, 11, 24, 21, 5)

    report = await tick(other, clock, due)
    assert report.claimed == report.lost == 0  # not its guild: not even tried
    assert await store.deliveries(sid) == []
    assert (await tick(owner, clock, due)).retry_later == 1  # the owner's first try fails

    # The retry time comes: only the owner takes the retry over ...
    assert (await tick(other, clock, due + timedelta(seconds=30))).retried == 0
    with pytest.raises(Crash):  # ... and dies holding it
        await tick(owner, clock, due + timedelta(seconds=31))
    # After the lease, the stale claim is again the owner's (restarted) to take over.
    assert (await tick(other, clock, due + timedelta(seconds=90))).recovered == 0
    restarted = make_scheduler(store, app, {"fake": mine})
    report = await tick(restarted, clock, due + timedelta(seconds=91))
    assert report.recovered == 1 and report.posted == 1
    assert elsewhere.posts == [] and len(mine.posts) == 1
    [delivery] = await store.deliveries(sid)
    assert delivery.status == "posted"
