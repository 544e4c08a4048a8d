"""Benchmark: 10,000 schedules over 500 symbols, all due in the same minute.

OrbitDesk: one scheduler tick claims every slot in SQLite, fetches every symbol in one batched
`MarketData.quotes()` call (one Yahoo request per 50 symbols) and posts one card per schedule
through a fake platform. Naive baseline, in the same run: for each schedule, fetch its symbols
from Yahoo (one request, no cache, no sharing) and post. At 50 ms per request the naive loop
would take minutes for 10,000 schedules, so it runs on a sample and is extrapolated linearly;
the output says so.

Run from the repository root:  .venv/bin/python bench/schedule_fanout.py [--schedules N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from report import Target, report
from sqlalchemy import insert

from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.market.types import QuoteBatch
from bot.store.models import Schedule
from commands.posts import schedule_post
from tests.fakes.chat_platform import RecordingPlatform
from tests.fakes.yahoo_server import FakeYahoo, default_universe, synthetic_symbols

SYMBOLS = 500
SYMBOLS_PER_SCHEDULE = 3
YAHOO_DELAY = 0.05  # seconds per upstream request
POST_DELAY = 0.002  # seconds the fake platform takes per post
TARGET_SECONDS = 20.0
NAIVE_SAMPLE = 100
DUE = datetime(2026, 11, 24, 21, 5, tzinfo=UTC)  # Tue 16:05 New York


def pick_symbols(count: int) -> list[tuple[str, ...]]:
    rng = random.Random(7)
    universe = [f"TST{i:04d}" for i in range(1, SYMBOLS + 1)]
    # Every symbol is used at least once; the rest are random.
    return [
        (universe[i % SYMBOLS], *rng.sample(universe, SYMBOLS_PER_SCHEDULE - 1))
        for i in range(count)
    ]


async def seed(app: App, picks: list[tuple[str, ...]]) -> None:
    rows = [
        {
            "platform": "fake",
            "channel_id": f"c{i}",
            "guild_id": "g1",
            "created_by": "bench",
            "symbols": ",".join(symbols),
            "at": "16:05",
            "days": "weekdays",
            "tz": "America/New_York",
            "calendar": "XNYS",
            "holidays": False,
            "paused": False,
            "next_due": DUE,
            "created_at": DUE - timedelta(days=1),
        }
        for i, symbols in enumerate(picks)
    ]
    async with app.database.session() as session:
        for i in range(0, len(rows), 1000):
            await session.execute(insert(Schedule), rows[i : i + 1000])


async def orbitdesk(
    fake: FakeYahoo, data_dir: Path, picks: list[tuple[str, ...]]
) -> dict[str, float]:
    clock = ManualClock(DUE - timedelta(minutes=1))
    settings = Settings(_env_file=None, data_dir=data_dir, yahoo_base_url=fake.base_url)  # type: ignore[call-arg]
    app = App.build(settings, clock=clock)
    await app.start()
    platform = RecordingPlatform(delay=POST_DELAY)
    app.services.adapters = {"fake": platform}
    try:
        await seed(app, picks)
        await app.market.quotes(["AAPL"])  # cookie and crumb: once per process, not per tick
        fake.reset_counts()
        clock.current = DUE
        started = time.perf_counter()
        report = await app.scheduler.tick(DUE)
        elapsed = time.perf_counter() - started
        again = await app.scheduler.tick(DUE + timedelta(seconds=30))
        return {
            "seconds": elapsed,
            "posted": len(platform.posts),
            "requests": fake.count(),
            "quote_calls": report.quote_calls,
            "reposted_next_tick": again.posted,
        }
    finally:
        await app.close()


async def naive(fake: FakeYahoo, data_dir: Path, picks: list[tuple[str, ...]]) -> dict[str, float]:
    """What most bots do: per schedule, fetch its symbols, then post. Timed on a sample."""
    settings = Settings(_env_file=None, data_dir=data_dir, yahoo_base_url=fake.base_url)  # type: ignore[call-arg]
    app = App.build(settings, clock=ManualClock(DUE))
    await app.start()
    platform = RecordingPlatform(delay=POST_DELAY)
    loop = asyncio.get_running_loop()
    client = app.market.client
    try:
        await loop.run_in_executor(None, client.fetch_quotes, ["AAPL"], DUE)  # cookie, crumb
        fake.reset_counts()
        sample = picks[:NAIVE_SAMPLE]
        started = time.perf_counter()
        for i, symbols in enumerate(sample):
            found, _missing = await loop.run_in_executor(
                None, client.fetch_quotes, list(symbols), DUE
            )
            post = schedule_post(i, symbols, "America/New_York", DUE, QuoteBatch(quotes=found))
            assert post is not None
            await platform.post(f"c{i}", post)
        elapsed = time.perf_counter() - started
        scale = len(picks) / len(sample)
        return {
            "seconds": elapsed * scale,
            "sample": len(sample),
            "sample_seconds": elapsed,
            "posted": len(platform.posts),
            "requests": fake.count() * scale,
        }
    finally:
        await app.close()


async def main(count: int) -> int:
    picks = pick_symbols(count)
    universe = {**default_universe(), **synthetic_symbols(SYMBOLS)}
    with (
        FakeYahoo(delay=YAHOO_DELAY, symbols=universe) as fake,
        tempfile.TemporaryDirectory() as tmp,
    ):
        ours = await orbitdesk(fake, Path(tmp) / "orbitdesk", picks)
        base = await naive(fake, Path(tmp) / "naive", picks)
    ratio = base["seconds"] / ours["seconds"] if ours["seconds"] else float("inf")
    print(
        f"schedule fan-out: {count:,} schedules x {SYMBOLS_PER_SCHEDULE} symbols over {SYMBOLS} "
        f"symbols, all due {DUE:%Y-%m-%d %H:%M} UTC; fake Yahoo {YAHOO_DELAY * 1000:.0f} ms per "
        f"request, fake platform {POST_DELAY * 1000:.0f} ms per post, SQLite"
    )
    print()
    print(f"{'':<22}{'time to all posted':>20}{'upstream requests':>20}{'posts':>10}")
    print(
        f"{'OrbitDesk (1 tick)':<22}{ours['seconds']:>19.2f}s{ours['requests']:>20,.0f}"
        f"{ours['posted']:>10,.0f}"
    )
    print(
        f"{'naive per schedule':<22}{base['seconds']:>19.2f}s{base['requests']:>20,.0f}{count:>10,}"
    )
    print()
    print(
        f"naive baseline measured on the first {base['sample']:.0f} schedules "
        f"({base['sample_seconds']:.2f} s) and extrapolated linearly to {count:,}."
    )
    met = ours["posted"] == count and ours["seconds"] <= TARGET_SECONDS
    print(
        f"OrbitDesk is {ratio:,.0f}x faster; target: all {count:,} posted within "
        f"{TARGET_SECONDS:.0f} s -> {'met' if met else 'NOT met'}; "
        f"posted again on the next tick: {ours['reposted_next_tick']:.0f}"
    )
    result = {
        "benchmark": "schedule_fanout",
        "schedules": count,
        "symbols": SYMBOLS,
        "yahoo_delay_ms": YAHOO_DELAY * 1000,
        "orbitdesk_seconds": round(ours["seconds"], 3),
        "orbitdesk_requests": int(ours["requests"]),
        "orbitdesk_posted": int(ours["posted"]),
        "orbitdesk_quote_calls": int(ours["quote_calls"]),
        "naive_seconds_extrapolated": round(base["seconds"], 1),
        "naive_requests_extrapolated": int(base["requests"]),
        "naive_sample": int(base["sample"]),
        "speedup": round(ratio, 1),
        "target_seconds": TARGET_SECONDS,
        "target_met": met,
    }
    targets = [
        Target(
            f"{count:,} schedules posted in one tick",
            ours["seconds"],
            TARGET_SECONDS,
            "s",
            baseline=round(base["seconds"], 1),
        ),
        Target("schedules missed in the tick", count - ours["posted"], 0),
        Target("posted again on the next tick", ours["reposted_next_tick"], 0),
    ]
    return 0 if report("schedule_fanout", targets, result) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.schedules)))
