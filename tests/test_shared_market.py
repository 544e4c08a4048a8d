"""Market data shared through Redis: three apps (replicas) on one Redis, one fake Yahoo.

Needs a real Redis (ORBITDESK_TEST_REDIS_URL, default redis://127.0.0.1:6379/0); skips with the
reason when there is none. Each test has its own key prefix. The apps share one pinned clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.console import invocation
from bot.app import App
from bot.clock import ManualClock
from bot.market.codec import HISTORY, NEWS, PROFILE, QUOTE_ENTRY, SCREEN, SEARCH
from bot.market.screeners import Screen
from bot.market.shared import NoSharing, RedisSharedCache
from bot.response import Response
from tests.conftest import make_settings, pinned_clock
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.yahoo_server import FakeYahoo, unused_port
from tests.redis_fixtures import redis_url

# What Yahoo is asked for data (the cookie and crumb handshake is each process's own).
DATA = ("quote", "chart", "news", "screener", "quoteSummary", "search")

Ask = Callable[[App, str], Awaitable[Response]]


async def ask(app: App, text: str) -> Response:
    return await app.core.dispatch(invocation(text))


def data_requests(fake: FakeYahoo) -> dict[str, int]:
    counts = fake.counts()
    return {e: counts[e] for e in DATA if counts[e]}


class Replicas:
    """Apps built like `orbitdesk run` builds them, sharing a clock and (maybe) Redis."""

    def __init__(self, tmp_path: Path, fake: FakeYahoo, clock: ManualClock) -> None:
        self.tmp_path = tmp_path
        self.fake = fake
        self.clock = clock
        self.apps: list[App] = []

    async def start(self, count: int, **settings: str) -> list[App]:
        started = []
        for _ in range(count):
            n = len(self.apps)
            app = App.build(
                make_settings(self.tmp_path / f"r{n}", self.fake.base_url, **settings),
                clock=self.clock,
            )
            await app.start()
            self.apps.append(app)
            started.append(app)
        return started

    async def close(self) -> None:
        for app in self.apps:
            await app.close()


@pytest.fixture
async def replicas(
    tmp_path: Path, fake_yahoo: FakeYahoo, pinned_now: datetime
) -> AsyncIterator[Replicas]:
    group = Replicas(tmp_path, fake_yahoo, pinned_clock(pinned_now))
    yield group
    await group.close()


async def warm(apps: list[App]) -> None:
    """Each process's own cookie and crumb, so counts below are data requests only."""
    for app in apps:
        assert (await ask(app, "quote IBM")).kind == "ok"


async def test_without_redis_nothing_is_shared(replicas: Replicas) -> None:
    (app,) = await replicas.start(1)
    assert isinstance(app.market.shared, NoSharing)
    assert app.redis is None
    assert "orbitdesk_redis" not in app.metrics.render().decode()


async def test_three_replicas_asked_the_same_symbols_at_once_ask_yahoo_once(
    replicas: Replicas, fake_yahoo: FakeYahoo, redis_prefix: str
) -> None:
    apps = await replicas.start(3, redis_url=redis_url(), redis_key_prefix=redis_prefix)
    assert all(isinstance(a.market.shared, RedisSharedCache) for a in apps)
    await warm(apps)
    fake_yahoo.reset_counts()
    answers = await asyncio.gather(*(ask(a, "quote SPCX AMZN GOOG") for a in apps))
    assert [a.kind for a in answers] == ["ok"] * 3
    assert len({a.text for a in answers}) == 1  # the same quotes everywhere
    assert data_requests(fake_yahoo) == {"quote": 1}
    # Asked again a moment later on any replica: every one of them has it (theirs or Redis's)
    answers = await asyncio.gather(*(ask(a, "quote GOOG SPCX") for a in apps))
    assert data_requests(fake_yahoo) == {"quote": 1}
    waits = sum(a.market.shared.stats.waits for a in apps)
    hits = sum(a.market.shared.stats.hits for a in apps)
    assert waits >= 1 and hits >= 6, (waits, hits)
    assert "orbitdesk_redis_up 1.0" in apps[0].metrics.render().decode()


async def burst_requests(fake: FakeYahoo, apps: list[App], commands: list[str]) -> dict[str, int]:
    """The commands in turn over the apps, a few milliseconds apart, all of them answered."""
    fake.reset_counts()
    tasks = []
    for i, text in enumerate(commands):
        tasks.append(asyncio.ensure_future(ask(apps[i % len(apps)], text)))
        await asyncio.sleep(0.005)
    answers = await asyncio.gather(*tasks)
    assert [a.kind for a in answers] == ["ok"] * len(commands), [a.text for a in answers]
    return data_requests(fake)


BURST = [
    "quote SPCX AMZN",
    "quote AMZN GOOG",
    "quote SPCX",
    "chart AAPL 5d",
    "quote NVDA MSFT",
    "quote MSFT",
    "news AAPL",
    "chart AAPL 5d",
    "profile NVDA",
    "news AAPL",
    "quote META",
    "profile NVDA",
    "movers gainers",
    "quote META NVDA",
    "movers gainers",
    "chart MSFT 1y",
    "chart MSFT 1y",
    "quote TSLA SPCX",
]


async def test_a_burst_over_three_replicas_asks_yahoo_no_more_than_one_process(
    tmp_path: Path, pinned_now: datetime, redis_prefix: str
) -> None:
    with FakeYahoo(now=pinned_now) as one_fake, FakeYahoo(now=pinned_now) as three_fake:
        single = Replicas(tmp_path / "one", one_fake, pinned_clock(pinned_now))
        three = Replicas(tmp_path / "three", three_fake, pinned_clock(pinned_now))
        try:
            (alone,) = await single.start(1)
            apps = await three.start(3, redis_url=redis_url(), redis_key_prefix=redis_prefix)
            await warm([alone])
            await warm(apps)
            one = await burst_requests(one_fake, [alone], BURST)
            shared = await burst_requests(three_fake, apps, BURST)
        finally:
            await single.close()
            await three.close()
    assert sum(shared.values()) <= sum(one.values()), (one, shared)
    for endpoint, count in shared.items():
        assert count <= one[endpoint], (one, shared)


async def test_a_value_published_just_before_the_lock_is_taken_is_not_fetched_again(
    replicas: Replicas, fake_yahoo: FakeYahoo, redis_prefix: str
) -> None:
    """The race between looking and locking: B misses SPCX, A publishes SPCX and lets go of
    its lock, B takes the lock. B must look again before asking Yahoo."""
    first, second = await replicas.start(2, redis_url=redis_url(), redis_key_prefix=redis_prefix)
    await warm([first, second])
    assert (await ask(first, "quote SPCX")).kind == "ok"  # A's answer, published in Redis
    shared = second.market.shared
    assert isinstance(shared, RedisSharedCache)
    kept = await shared.get_many(["quote:SPCX"])
    await shared.engine.client.delete(shared._key("quote:SPCX"))  # B's first look misses
    claim = shared.claim

    async def claim_after_a_published(keys: Any, seconds: float = 10.0) -> Any:
        await shared.put_many({k: (kept[k], 60.0) for k in keys if k in kept})
        return await claim(keys, seconds)

    shared.claim = claim_after_a_published  # type: ignore[method-assign]
    fake_yahoo.reset_counts()
    answer = await ask(second, "quote SPCX")
    assert answer.kind == "ok" and answer.text.startswith("SPCX")
    assert data_requests(fake_yahoo) == {}  # adopted A's answer on the second look


async def test_a_429_seen_by_one_replica_stops_the_others_asking(
    replicas: Replicas, fake_yahoo: FakeYahoo, redis_prefix: str
) -> None:
    first, second, third = await replicas.start(
        3, redis_url=redis_url(), redis_key_prefix=redis_prefix
    )
    await warm([first, second, third])
    fake_yahoo.fail("quote", "429")
    answer = await ask(first, "quote AMZN")
    assert answer.data["reason"] == "rate_limited"
    await asyncio.sleep(0.05)  # the cool-down reaches Redis
    fake_yahoo.fail("quote", None)
    before = fake_yahoo.count()
    for app, text in ((second, "quote GOOG"), (third, "chart MSFT 1y"), (third, "news TSLA")):
        answer = await ask(app, text)
        assert answer.data["reason"] == "rate_limited", (text, answer.text)
    assert fake_yahoo.count() == before  # nobody asked Yahoo during the cool-down


async def test_redis_out_of_reach_mid_run_answers_in_process_and_recovers(
    replicas: Replicas,
    fake_yahoo: FakeYahoo,
    redis_prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    host, _, port = redis_url().removeprefix("redis://").partition("/")[0].partition(":")
    proxy = await TcpProxy(host or "127.0.0.1", int(port or 6379)).start()
    url = f"redis://127.0.0.1:{proxy.port}/{redis_url().rsplit('/', 1)[-1]}"
    try:
        first, second = await replicas.start(2, redis_url=url, redis_key_prefix=redis_prefix)
        await warm([first, second])
        assert (await ask(first, "quote SPCX")).kind == "ok"
        await proxy.cut()
        caplog.set_level(logging.INFO, logger="bot.redis_engine")
        texts = ["quote AMZN", "quote GOOG SPCX", "chart AAPL 5d", "news NVDA", "quote MSFT"]
        for text in texts:
            for app in (first, second):
                answer = await ask(app, text)
                assert answer.kind == "ok", (text, answer.text)
        outage = [r for r in caplog.records if "out of reach" in r.getMessage()]
        assert len(outage) == 2  # once per process per outage, not per call
        metrics = first.metrics.render().decode()
        assert "orbitdesk_redis_up 0.0" in metrics
        assert first.redis is not None and first.redis.fallbacks > 0
        await proxy.restore()
        await asyncio.sleep(2.1)  # RETRY_AFTER: the next call tries Redis again
        fake_yahoo.reset_counts()
        replicas.clock.advance(3600)  # everything cached is out of date now
        assert (await ask(first, "quote NFLX")).kind == "ok"
        assert (await ask(second, "quote NFLX")).kind == "ok"
        assert data_requests(fake_yahoo) == {"quote": 1}  # shared again
        assert any("reachable again" in r.getMessage() for r in caplog.records)
    finally:
        await proxy.close()


async def test_redis_absent_at_start_never_fails_a_command(replicas: Replicas) -> None:
    (app,) = await replicas.start(1, redis_url=f"redis://127.0.0.1:{unused_port()}/0")
    for text in ("quote SPCX", "chart AAPL 5d", "news", "profile NVDA", "movers gainers"):
        assert (await ask(app, text)).kind == "ok", text
    assert app.redis is not None and app.redis.outages == 1


async def test_values_survive_the_shared_format(replicas: Replicas) -> None:
    """What Redis holds decodes to the very values the fake Yahoo's answers became."""
    (app,) = await replicas.start(1)
    market = app.market
    quotes = await market.quotes(["SPCX", "AAPL"])
    for quote in quotes.quotes.values():
        assert QUOTE_ENTRY.loads(QUOTE_ENTRY.dumps((quote, 12.5))) == (quote, 12.5)
    assert QUOTE_ENTRY.loads(QUOTE_ENTRY.dumps((None, 1.0))) == (None, 1.0)
    for period, interval in (("5d", "5m"), ("1y", "1d")):
        history = await market.history("AAPL", period, interval)
        assert HISTORY.loads(HISTORY.dumps(history)) == history
    news = (await market.news(["AAPL"])).feeds["AAPL"]
    assert NEWS.loads(NEWS.dumps(news)) == news
    profile = await market.profile("NVDA")
    assert PROFILE.loads(PROFILE.dumps(profile)) == profile
    screen = await market.movers(Screen.GAINERS)
    assert SCREEN.loads(SCREEN.dumps(screen)) == screen
    hits = await market.search("apple")
    assert SEARCH.loads(SEARCH.dumps(hits)) == hits
