"""The EDGAR deal watch end to end against a fake SEC: classify, store, merge, post once."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters import discord_render, slack_render
from bot.app import App
from bot.clock import ManualClock
from bot.context import Channel, Invocation, User
from bot.edgar.classify import classify
from bot.edgar.client import EdgarClient, EdgarError
from bot.edgar.store import WatchStore
from bot.edgar.types import Filing, WatchedDeal, WatchParty
from bot.edgar.watch import DealWatch
from bot.posts import PostRenderers
from bot.response import Response
from commands._shared.yaml_entries import bundled
from commands.acquisitions.deal_book import load_deal_book
from commands.dealwatch import _party
from commands.posts import alert_post, schedule_post, watchlist_post
from tests.conftest import make_settings
from tests.fakes.chat_platform import RecordingPlatform
from tests.fakes.edgar_server import FakeEdgar, FakeFiling
from tests.fakes.yahoo_server import FakeYahoo
from tests.store_fixtures import DatabaseFactory

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday, NYSE open
UA = "OrbitDesk tests ops@example.com"
ACME, WIDGET = 1_000_001, 1_000_002
DEAL_FILE = """\
as_of: 2026-10-01
deals:
  - id: acme-widget
    acquirer: {name: Acme Rockets, ticker: ACMR, aliases: [Acme]}
    target: {name: Widget Orbital, ticker: WDGT, description: "A made-up satellite maker for a test"}
    announced: 2026-08-03
    status: pending
    expected_close: 2026-10-01
    expected_close_precision: quarter
    value: {usd: 2.0e9, kind: cash, text: "$2B all-cash"}
    sources: [https://example.com/acme-widget]
    verification: filed
"""
COMPLETION_8K = (
    "<html><body>Item 2.01 Completion of Acquisition. On November 23, 2026, Acme Rockets, Inc. "
    "completed its acquisition of Widget Orbital, Inc. pursuant to the merger agreement."
    "</body></html>"
)


@pytest.fixture
def edgar() -> Iterator[FakeEdgar]:
    with FakeEdgar() as fake:
        fake.company(ACME, "Acme Rockets Inc", "ACMR").filings.append(
            FakeFiling("0000000001-26-000100", "10-Q", "2026-08-10")
        )
        fake.company(WIDGET, "Widget Orbital Inc", "WDGT").filings.append(
            FakeFiling("0000000002-26-000050", "8-K", "2026-08-03", "1.01,9.01")
        )
        fake.company(1181412, "Space Exploration Technologies Corp", "SPCX")
        fake.company(1652044, "Alphabet Inc.", "GOOGL")
        fake.company(1326801, "Meta Platforms, Inc.", "META")
        yield fake


def close_the_deal(edgar: FakeEdgar) -> None:
    """The target's exchange files Form 25-NSE, then the acquirer's 8-K Item 2.01."""
    edgar.file(WIDGET, FakeFiling("0001354457-26-000777", "25-NSE", "2026-11-23", document="x.xml"))
    edgar.file(
        ACME,
        FakeFiling(
            "0000000001-26-000200", "8-K", "2026-11-23", "2.01,9.01", "d8k.htm", COMPLETION_8K
        ),
    )


def user_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "acquisitions_watch.yaml").write_text(DEAL_FILE, encoding="utf-8")
    return data


@pytest.fixture
async def watched_app(
    tmp_path: Path, fake_yahoo: FakeYahoo, edgar: FakeEdgar
) -> AsyncIterator[App]:
    user_data(tmp_path)
    settings = make_settings(
        tmp_path,
        fake_yahoo.base_url,
        sec_user_agent=UA,
        edgar_base_url=edgar.base_url,
        edgar_rate=8,
    )
    app = App.build(settings, clock=ManualClock(NOW))
    await app.start()
    yield app
    await app.close()


def say(text: str, channel: str = "c1", platform: str = "fake") -> Invocation:
    return Invocation(
        text=text,
        platform=platform,
        user=User(id="u1", name="admin", can_manage_channel=True),
        channel=Channel(id=channel, name=channel, guild_id="g1"),
    )


async def test_a_completion_8k_closes_the_deal_and_posts_once_per_channel(
    watched_app: App, edgar: FakeEdgar
) -> None:
    app = watched_app
    platform = RecordingPlatform()
    app.services.adapters["fake"] = platform
    for channel in ("c1", "c2"):
        answer = await app.core.dispatch(say("dealwatch on", channel))
        assert answer.kind == "ok" and answer.data["new"] is True
    before = await app.core.dispatch(say("acquisition widget"))
    assert before.data["deal"]["watch"]["status"] == "pending"
    assert "expected close (Q4 2026)" not in before.text  # Q4 2026 has not ended

    close_the_deal(edgar)
    watch = app.services.dealwatch
    report = await watch.poll(NOW)
    assert report.polled and report.status_changes == 1, report
    assert (await watch.poll(NOW + timedelta(minutes=5))).polled is False  # same 30-min slot

    await app.scheduler.tick(NOW + timedelta(minutes=1))
    await app.scheduler.tick(NOW + timedelta(minutes=2))
    assert sorted(c for c, _ in platform.posts) == ["c1", "c2"]
    post = platform.posts[0][1]
    assert post.cards[0].title == "Deal status: Acme Rockets → Widget Orbital is now completed"
    filing_url = (
        "https://www.sec.gov/Archives/edgar/data/1000001/000000000126000200/"
        "0000000001-26-000200-index.htm"
    )
    assert filing_url in post.text and "pending as of 2026-10-01" in post.text

    answer = await app.core.dispatch(say("acquisition widget"))
    fields = {f.name: f.value for f in answer.cards[0].fields}
    assert fields["Status"].startswith("completed per an SEC filing of 2026-11-23")
    assert "(the deal book said: pending (as of 2026-10-01))" in fields["Status"]
    assert filing_url in fields["Changed by"] and "8-K filed 2026-11-23" in fields["Changed by"]
    assert "25-NSE" in fields["Signals (not a status change)"]
    watch_data = answer.data["deal"]["watch"]
    assert watch_data["changed_by"]["accession"] == "0000000001-26-000200"
    assert watch_data["curated_status"] == "pending"

    # The same answer on Discord and Slack carries the filing link and the replaced status.
    [message] = discord_render.render(answer)
    embed = json.dumps(message.embeds)
    assert filing_url in embed and "the deal book said" in embed
    slack = json.dumps(slack_render.render(answer))
    assert filing_url in slack and "completed per an SEC filing" in slack
    status = await app.core.dispatch(say("dealwatch status"))
    row = next(d for d in status.data["deals"] if d["id"] == "acme-widget")
    assert row == {"id": "acme-widget", "status": "completed", "events": 2}
    assert status.data["last_check"] == NOW.isoformat()
    # Every SEC request declared the operator; the curated file is untouched.
    assert {r.user_agent for r in edgar.requests} == {UA}
    assert "2.01" not in bundled("acquisitions.yaml").read_text(encoding="utf-8")
    metrics = app.metrics.render().decode()
    assert 'orbitdesk_dealwatch_posts_total{platform="fake",result="sent"} 2.0' in metrics
    assert 'orbitdesk_dealwatch_events_total{kind="completed"} 1.0' in metrics
    assert 'orbitdesk_edgar_requests_total{outcome="ok"}' in metrics


async def test_an_item_1_01_alone_changes_nothing(watched_app: App, edgar: FakeEdgar) -> None:
    app = watched_app
    platform = RecordingPlatform()
    app.services.adapters["fake"] = platform
    await app.core.dispatch(say("dealwatch on"))
    edgar.file(
        ACME,
        FakeFiling(
            "0000000001-26-000300", "8-K", "2026-11-23", "1.01,9.01", "a.htm", "Widget Orbital"
        ),
    )
    watch = app.services.dealwatch
    report = await watch.poll(NOW)
    assert report.events == 1 and report.status_changes == 0
    await app.scheduler.tick(NOW + timedelta(minutes=1))
    assert platform.posts == []
    answer = await app.core.dispatch(say("acquisition widget"))
    assert answer.data["deal"]["watch"]["status"] == "pending"
    assert "8-K Item 1.01" in answer.text
    # A 1.01 needs no document read: only the 8-Ks with 2.01 / 1.02 are fetched.
    assert not edgar.paths("/Archives/")


async def test_without_a_user_agent_the_watch_is_off_and_says_why(
    tmp_path: Path, fake_yahoo: FakeYahoo, edgar: FakeEdgar
) -> None:
    app = App.build(
        make_settings(tmp_path, fake_yahoo.base_url, edgar_base_url=edgar.base_url),
        clock=ManualClock(NOW),
    )
    await app.start()
    try:
        status = await app.core.dispatch(say("dealwatch status"))
        assert status.data["enabled"] is False
        assert "set ORBITDESK_SEC_USER_AGENT" in status.text
        line, ok = await app.dealwatch_check()
        assert ok and line.startswith("deal watch      OFF: the deal watch is off: set")
        assert (await app.services.dealwatch.poll(NOW)).polled is False
        assert edgar.requests == []
    finally:
        await app.close()


def _deals(tmp_path: Path) -> list[WatchedDeal]:
    book = load_deal_book(bundled("acquisitions.yaml"), user_data(tmp_path))
    return [
        WatchedDeal(
            d.id, d.title, _party(d.acquirer), _party(d.target), "pending", d.as_of or d.announced
        )
        for d in book.deals
        if d.status.value == "pending"
    ]


def _render(event: Any) -> Response:
    return Response(text=f"{event.deal_id} {event.new_status}", data={"event": event.id})


RENDERERS = PostRenderers(
    schedule=schedule_post, alert=alert_post, deal_event=_render, watchlist=watchlist_post
)


async def test_two_processes_on_one_database_post_each_change_once_per_channel(
    databases: DatabaseFactory, edgar: FakeEdgar, tmp_path: Path
) -> None:
    deals = _deals(tmp_path)
    dbs = [databases.open(), databases.open()]
    await dbs[0].upgrade()
    clock = ManualClock(NOW)
    watches = [
        DealWatch(
            client=EdgarClient(user_agent=UA, base_url=edgar.base_url, rate=8),
            store=WatchStore(db),
            clock=clock,
            deals=lambda: deals,
            instance=f"replica-{i}",
        )
        for i, db in enumerate(dbs)
    ]
    for channel in ("c1", "c2", "c3"):
        await watches[0].store.subscribe("fake", channel, "g1", "u1", NOW - timedelta(days=1))
    close_the_deal(edgar)
    reports = await asyncio.gather(*(w.poll(NOW) for w in watches))
    assert sorted(r.polled for r in reports) == [False, True]  # one replica per slot
    assert sum(r.status_changes for r in reports) == 1
    platform = RecordingPlatform()
    adapters = {"fake": platform}
    for minute in range(3):
        at = NOW + timedelta(minutes=minute)
        await asyncio.gather(
            *(w.deliver(at, adapters, RENDERERS) for w in watches),
            watches[0].deliver(at, adapters, RENDERERS),
        )
    assert Counter(c for c, _ in platform.posts) == {"c1": 1, "c2": 1, "c3": 1}
    # Each post names its channel's server / workspace, whose token posts it (Slack OAuth).
    assert set(platform.guild_ids) == {"g1"}
    # Each post carries a key naming its (event, channel) row, the same in every process.
    keys = [k for k in platform.keys if k is not None]
    assert len(keys) == 3 and len({k.id for k in keys}) == 3
    assert all(k.id.startswith("deal-") and not k.maybe_sent for k in keys)
    for w in watches:
        await w.close()
    # A restarted process finds nothing left to post, and polling again adds no event.
    restarted = DealWatch(
        client=EdgarClient(user_agent=UA, base_url=edgar.base_url, rate=8),
        store=WatchStore(databases.open()),
        clock=clock,
        deals=lambda: deals,
    )
    assert await restarted.deliver(NOW + timedelta(hours=1), adapters, RENDERERS) == 0
    again = await restarted.poll(NOW + timedelta(hours=1))
    assert again.polled and again.events == 0
    await restarted.close()
    assert len(platform.posts) == 3


SUNDAY = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


async def test_a_started_watch_checks_once_even_on_a_sunday_and_a_restart_waits_its_slot(
    databases: DatabaseFactory, edgar: FakeEdgar, tmp_path: Path
) -> None:
    """Polls are for business days, but a process that starts checks once on any day (a user
    who starts the bot expects it to look); the slot claim still stops a restart re-polling."""
    deals = _deals(tmp_path)
    db = databases.open()
    await db.upgrade()
    clock = ManualClock(SUNDAY)
    woken: list[str] = []

    def watch(instance: str) -> DealWatch:
        return DealWatch(
            client=EdgarClient(user_agent=UA, base_url=edgar.base_url, rate=8),
            store=WatchStore(db),
            clock=clock,
            deals=lambda: deals,
            instance=instance,
            on_status_change=lambda: woken.append(instance),
        )

    first = watch("first")
    assert (await first.poll(SUNDAY)).polled is False  # no Sunday slots
    assert edgar.requests == []
    close_the_deal(edgar)
    stop = asyncio.Event()
    running = asyncio.ensure_future(first.run(stop))
    for _ in range(400):
        if woken:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(running, 10)
    assert woken == ["first"]  # the change found wakes the scheduler to post it
    assert edgar.paths("/data.sec.gov/submissions/CIK0001000001.json")
    assert await first.store.last_poll() == SUNDAY
    sent = len(edgar.requests)
    restarted = watch("restarted")
    assert (await restarted.poll(SUNDAY + timedelta(minutes=5), any_day=True)).polled is False
    assert (await restarted.poll(SUNDAY + timedelta(hours=1))).polled is False
    assert len(edgar.requests) == sent
    for w in (first, restarted):
        await w.close()


async def test_the_poller_never_exceeds_its_rate_limit(edgar: FakeEdgar) -> None:
    client = EdgarClient(user_agent=UA, base_url=edgar.base_url, rate=5)
    ciks = [ACME, WIDGET, 1181412, 1652044, 1326801] * 3
    started = time.monotonic()
    await asyncio.gather(*(client.submissions(c) for c in ciks))
    await client.close()
    times = sorted(r.at for r in edgar.requests)
    assert len(times) == 15
    # Never more than 5 requests in any one-second window (measured at the server).
    for i in range(len(times) - 5):
        assert times[i + 5] - times[i] >= 0.98, (i, times[i + 5] - times[i])
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate <= 5.1
    assert time.monotonic() - started >= 14 / 5 - 0.05


async def test_blocks_pause_every_sec_request_and_hangs_time_out(edgar: FakeEdgar) -> None:
    client = EdgarClient(user_agent=UA, base_url=edgar.base_url, rate=50, timeout=0.5)
    first = await client.tickers()
    assert first["ACMR"] == ACME
    assert await client.tickers() == first  # If-Modified-Since -> 304, cached body
    assert client.stats.requests["not_modified"] == 1
    edgar.fail("429")
    with pytest.raises(EdgarError) as info:
        await client.submissions(ACME)
    assert info.value.outcome == "rate_limited"
    sent = len(edgar.requests)
    edgar.fail(None)
    with pytest.raises(EdgarError) as info:
        await client.submissions(ACME)
    assert info.value.outcome == "skipped_blocked" and len(edgar.requests) == sent
    assert client.block_remaining() > 590
    await client.close()

    hanging = EdgarClient(user_agent=UA, base_url=edgar.base_url, rate=50, timeout=0.5)
    edgar.fail("hang")
    with pytest.raises(EdgarError) as info:
        await hanging.submissions(ACME)
    assert info.value.outcome == "timeout"
    edgar.fail(None)
    await hanging.close()

    undeclared = EdgarClient(user_agent="python-requests/2.32", base_url=edgar.base_url)
    with pytest.raises(EdgarError) as info:
        await undeclared.submissions(ACME)
    assert info.value.outcome == "blocked"  # the 403 "Undeclared Automated Tool" page
    await undeclared.close()
    assert await _refuses_without_agent(edgar)


async def _refuses_without_agent(edgar: FakeEdgar) -> bool:
    client = EdgarClient(user_agent=None, base_url=edgar.base_url)
    sent = len(edgar.requests)
    with pytest.raises(EdgarError):
        await client.tickers()
    return len(edgar.requests) == sent


DEAL = WatchedDeal(
    "a-t",
    "A → T",
    WatchParty("Acme Rockets", "ACMR", aliases=("Acme",)),
    WatchParty("Widget Orbital", "WDGT"),
    "pending",
    date(2026, 10, 1),
)


@pytest.mark.parametrize(
    ("form", "items", "role", "text", "kind", "strong"),
    [
        ("8-K", "2.01,9.01", "acquirer", "acquired Widget Orbital, Inc.", "completed", True),
        ("8-K", "2.01,3.01,5.01", "target", "merger with Acme Rockets", "completed", True),
        ("8-K", "2.01,9.01", "acquirer", "bought a warehouse in Ohio", "signal", False),
        (
            "8-K",
            "1.01,1.02,8.01,9.01",
            "acquirer",
            "terminated the Widget Orbital merger",
            "terminated",
            True,
        ),
        ("8-K", "1.02", "target", "terminated its credit facility", "signal", False),
        ("8-K", "1.01,9.01", "acquirer", "Widget Orbital merger agreement", "announced", False),
        ("8-K", "1.01,2.01,3.02,5.06", "acquirer", "Widget Orbital", None, False),  # de-SPAC
        ("8-K/A", "2.01,9.01", "acquirer", None, "signal", False),
        ("25-NSE", "", "target", None, "signal", False),
        ("25-NSE", "", "acquirer", None, None, False),  # Apple-style debt delisting
        ("15-12B", "", "target", None, "signal", False),
        ("425", "", "acquirer", None, "announced", False),
        ("SC TO-T", "", "acquirer", None, "announced", False),
        ("DEFM14A", "", "target", None, "announced", False),
        ("4", "", "target", None, None, False),
    ],
)
def test_filings_are_classified_only_strong_evidence_changes_a_status(
    form: str, items: str, role: str, text: str | None, kind: str | None, strong: bool
) -> None:
    filing = Filing(
        1,
        "0000000001-26-000001",
        form,
        tuple(i for i in items.split(",") if i),
        date(2026, 11, 2),
        "d.htm",
    )
    found = classify(DEAL, filing, role, text)
    if kind is None:
        assert found is None
        return
    assert found is not None and found.kind == kind and found.strong is strong
    assert (found.new_status is not None) is strong
