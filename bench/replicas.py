"""Benchmark: Yahoo requests for one burst of Slack commands, 1 process against 3 replicas.

Real `orbitdesk run slack` processes in HTTP mode (signed slash commands, answers to the fake
Slack's response_url), each run against a fresh fake Yahoo that counts what it is asked:

- 1 process (the baseline),
- 3 replicas without Redis (each keeps its own cache: what scaling out costs without it),
- 3 replicas sharing Redis (ORBITDESK_REDIS_URL; a key prefix of their own).

The same seeded burst (quotes of 1-4 of 20 symbols, charts, news, profiles, movers), commands
a few milliseconds apart, goes round-robin over the run's processes. Each process first answers
one warm-up quote of a symbol outside the burst (its own Yahoo cookie and crumb, not counted);
then only data requests count (quote, chart, news, screener, quoteSummary, search).
The replicas share a fresh PostgreSQL database when one is reachable
(ORBITDESK_TEST_DATABASE_URL), else each has its own SQLite file (market data never touches
the database, so the counts do not depend on it).

Ends with the target: 3 replicas on Redis ask Yahoo no more than 1 process (ratio <= 1.0),
the 3 replicas without Redis as the baseline figure. Exits 1 when missed, or when Redis is out
of reach (the target cannot be measured).

    .venv/bin/python bench/replicas.py [--commands 120] [--gap 0.005]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from redis.asyncio import Redis  # noqa: E402
from report import Target, report  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.store.db import Database  # noqa: E402
from tests.conftest import PINNED_NOW  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402
from tests.fakes.yahoo_server import FakeYahoo  # noqa: E402
from tests.run_support import (  # noqa: E402
    ask,
    asked_for,
    bot_env,
    bots_running,
    burst,
    data_requests,
    send_burst,
)
from tests.slack_support import BOT_TOKEN, SIGNING_SECRET  # noqa: E402

WARM_UP = ["^GSPC", "^DJI", "QQQ"]  # outside the burst: each process's own handshake
ERROR_WORDS = ("did not answer", "rate-limiting", "went wrong", "cannot be reached")


async def redis_reachable(url: str) -> str | None:
    client = Redis.from_url(url, socket_connect_timeout=1)
    try:
        await client.ping()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await client.aclose()


async def clean(url: str, prefix: str) -> None:
    client = Redis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def postgres_database(url: str, name: str) -> AsyncIterator[str | None]:
    """A fresh PostgreSQL database for the replicas (its URL), or None when unreachable."""
    admin = Database(url)
    engine = admin.engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with asyncio.timeout(3), engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL not reachable at {url} ({type(exc).__name__}): SQLite per process")
        await admin.dispose()
        yield None
        return
    fresh = make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        database = Database(fresh)
        await database.upgrade()
        await database.dispose()
        yield fresh
    finally:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def run(
    name: str, commands: list[str], replicas: int, workdir: Path, gap: float, **settings: str
) -> dict[str, Any]:
    """One run: `replicas` fresh processes, a fresh fake Yahoo; the burst's Yahoo requests."""
    with FakeYahoo(now=PINNED_NOW) as yahoo:
        async with FakeSlack() as slack, bots_running(workdir / name) as bots:
            envs = [
                (
                    f"{name}-{i}",
                    bot_env(
                        data_dir=str(workdir / name / f"data{i}"),
                        slack_mode="http",
                        slack_bot_token=BOT_TOKEN,
                        slack_signing_secret=SIGNING_SECRET,
                        slack_api_base=slack.api_base,
                        yahoo_base_url=yahoo.base_url,
                        **settings,
                    ),
                )
                for i in range(replicas)
            ]
            started = time.perf_counter()
            processes = await bots.start_many("slack", envs)
            ready = time.perf_counter() - started
            ports = [p.port for p in processes]
            for port, symbol in zip(ports, WARM_UP, strict=False):
                await ask(slack, port, f"quote {symbol}")
            asked = asked_for(yahoo)
            yahoo.reset_counts()
            started = time.perf_counter()
            answers = await send_burst(slack, ports, commands, gap=gap)
            took = time.perf_counter() - started
            requests = data_requests(yahoo.counts())
            codes = await bots.stop_all()
    failed = [a["text"] for a in answers if any(w in a["text"] for w in ERROR_WORDS)]
    return {
        "requests": sum(requests.values()),
        "by_endpoint": requests,
        "things_asked": asked.total(),  # quote symbols one by one, other requests as they are
        "asked_twice": sum(1 for n in asked.values() if n > 1),
        "failed": len(failed),
        "failures": failed[:3],
        "s": round(took, 3),
        "ready_s": round(ready, 2),
        "exit_codes": sorted(set(codes.values())),
    }


async def main(n: int, gap: float, redis_url: str, database_url: str) -> int:
    commands = burst(n)
    why = await redis_reachable(redis_url)
    results: dict[str, dict[str, Any]] = {}
    suffix = os.urandom(4).hex()
    with tempfile.TemporaryDirectory(prefix="orbitdesk-replicas-") as tmp:
        workdir = Path(tmp)
        async with postgres_database(database_url, f"orbitdesk_bench_{suffix}") as shared_db:
            db = {"database_url": shared_db} if shared_db else {}
            results["1 process"] = await run("one", commands, 1, workdir, gap)
            results["3 replicas, no Redis"] = await run("three", commands, 3, workdir, gap, **db)
            if why is None:
                prefix = f"orbitdesk_bench_{suffix}:"
                try:
                    results["3 replicas, Redis"] = await run(
                        "shared", commands, 3, workdir, gap,
                        redis_url=redis_url, redis_key_prefix=prefix, **db,
                    )  # fmt: skip
                finally:
                    await clean(redis_url, prefix)
            else:
                print(f"Redis not reachable at {redis_url} ({why}): the shared run is skipped")
    print(
        f"{n} commands, {gap * 1000:.0f} ms apart, round-robin over real `orbitdesk run slack` "
        f"processes ({'one PostgreSQL' if db else 'SQLite each'}); Yahoo data requests:"
    )
    print(f"{'run':<22}{'requests':>9}{'things':>7}{'twice':>6}{'failed':>7}{'s':>6}  by endpoint")
    for name, r in results.items():
        ends = ", ".join(f"{k} {v}" for k, v in sorted(r["by_endpoint"].items()))
        print(
            f"{name:<22}{r['requests']:>9}{r['things_asked']:>7}{r['asked_twice']:>6}"
            f"{r['failed']:>7}{r['s']:>6.2f}  {ends}"
        )
        for failure in r["failures"]:
            print(f"{'':<22}failed: {failure[:100]}")
    print(
        "(things: each quote symbol on its own, other requests as they are; twice: things "
        "asked more than once. Requests and things differ by how the quotes of commands "
        "arriving together were batched: one process merges those of one event-loop turn.)"
    )
    one = results["1 process"]["requests"] or 1
    alone = results["3 replicas, no Redis"]["requests"] / one
    shared = results.get("3 replicas, Redis")
    ratio = shared["requests"] / one if shared else float("nan")
    twice = shared["asked_twice"] if shared else float("nan")
    targets = [
        # Sharing itself: nothing Yahoo is asked for is asked again by another replica.
        Target(
            "3 replicas on Redis: things asked more than once",
            twice,
            0,
            baseline=results["3 replicas, no Redis"]["asked_twice"],
        ),
        # Raw requests may differ by one or two either way: one process batches the quotes of
        # commands arriving in one event-loop turn, three processes cannot.
        Target(
            "3 replicas on Redis: upstream requests / 1 process",
            ratio,
            1.1,
            "x",
            baseline=round(alone, 3),
        ),
    ]
    database = "postgresql" if db else "sqlite"
    met = report(
        "replicas", targets, {"commands": n, "gap_s": gap, "database": database, **results}
    )
    clean_runs = all(r["failed"] == 0 and r["exit_codes"] == [0] for r in results.values())
    if not clean_runs:
        print("some commands failed or a process did not stop cleanly (see above)")
    return 0 if met and clean_runs else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=120)
    parser.add_argument("--gap", type=float, default=0.005, help="seconds between commands")
    parser.add_argument(
        "--redis",
        default=os.environ.get("ORBITDESK_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0",
    )
    parser.add_argument(
        "--database",
        default=os.environ.get("ORBITDESK_TEST_DATABASE_URL")
        or "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    )
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.commands, args.gap, args.redis, args.database)))
