"""Benchmark: Yahoo requests for one burst of commands, 1 process against 3 replicas.

The same seeded burst (quotes of 1-4 of 20 symbols, charts, news, profiles, movers), commands
a few milliseconds apart, spread round-robin over the replicas, against one fake Yahoo each run:

- 1 process (the baseline),
- 3 replicas without Redis (each keeps its own cache: what scaling out costs without it),
- 3 replicas sharing Redis (ORBITDESK_REDIS_URL; skipped, saying so, when Redis is absent).

Replicas are full Apps, each with its own Yahoo client, cache and thread pool, in one event loop
(they talk to each other only through Redis, as separate processes do). Prints a table and one
JSON line; exits non-zero if the replicas sharing Redis ask Yahoo more than one process does.

    .venv/bin/python bench/replicas.py [--commands 300] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redis.asyncio import Redis  # noqa: E402

from bot.adapters.console import invocation  # noqa: E402
from bot.app import App  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.fakes.yahoo_server import FakeYahoo  # noqa: E402

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # a Tuesday, 11:00 in New York: trading
SYMBOLS = [
    "SPCX", "AMZN", "GOOG", "GOOGL", "AAPL", "MSFT", "NVDA", "META", "TSLA", "NFLX",
    "ORCL", "IBM", "INTC", "AMD", "AVGO", "CRM", "ADBE", "RKLB", "ASTS", "BA",
]  # fmt: skip
DATA = ("quote", "chart", "news", "screener", "quoteSummary", "search")


def workload(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.75:
            out.append("quote " + " ".join(rng.sample(SYMBOLS, rng.randint(1, 4))))
        elif roll < 0.85:
            out.append(f"chart {rng.choice(SYMBOLS[:6])} {rng.choice(['5d', '1y'])}")
        elif roll < 0.93:
            out.append(f"news {rng.choice(SYMBOLS[:6])}")
        elif roll < 0.97:
            out.append(f"profile {rng.choice(SYMBOLS[:6])}")
        else:
            out.append("movers gainers")
    return out


async def run(commands: list[str], replicas: int, data_dir: Path, **settings: str) -> dict:
    clock = ManualClock(NOW)
    with FakeYahoo(now=NOW) as fake:
        apps = []
        for i in range(replicas):
            built = App.build(
                Settings(
                    _env_file=None,  # type: ignore[call-arg]
                    data_dir=data_dir / f"r{i}",
                    yahoo_base_url=fake.base_url,
                    **settings,
                ),
                clock=clock,
            )
            await built.start(migrate=False)
            apps.append(built)
        try:
            for app in apps:  # each process's cookie and crumb, not counted
                await app.core.dispatch(invocation("quote ^GSPC"))
            fake.reset_counts()
            started = time.perf_counter()
            tasks = []
            for i, text in enumerate(commands):
                app = apps[i % replicas]
                tasks.append(asyncio.ensure_future(app.core.dispatch(invocation(text))))
                await asyncio.sleep(0.002)
            answers = await asyncio.gather(*tasks)
            took = time.perf_counter() - started
        finally:
            for app in apps:
                await app.close()
        counts = fake.counts()
    failed = sum(1 for a in answers if a.kind != "ok")
    requests = {e: counts[e] for e in DATA if counts[e]}
    return {
        "requests": sum(requests.values()),
        "by_endpoint": requests,
        "failed": failed,
        "s": took,
    }


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


async def main(n: int, url: str) -> int:
    commands = workload(n)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        results["1 process"] = await run(commands, 1, base / "one")
        results["3 replicas, no Redis"] = await run(commands, 3, base / "three")
        why = await redis_reachable(url)
        if why is None:
            prefix = f"orbitdesk_bench_{uuid.uuid4().hex[:8]}:"
            try:
                results["3 replicas, Redis"] = await run(
                    commands, 3, base / "shared", redis_url=url, redis_key_prefix=prefix
                )
            finally:
                await clean(url, prefix)
        else:
            print(f"Redis not reachable at {url} ({why}): the shared run is skipped")
    print(f"{n} commands, a few ms apart, round-robin over the replicas; Yahoo data requests:")
    print(f"{'run':<24}{'requests':>9}{'failed':>8}{'seconds':>9}  by endpoint")
    for name, r in results.items():
        ends = ", ".join(f"{k} {v}" for k, v in sorted(r["by_endpoint"].items()))
        print(f"{name:<24}{r['requests']:>9}{r['failed']:>8}{r['s']:>9.2f}  {ends}")
    print(json.dumps({"bench": "replicas", "commands": n, "results": results}))
    shared = results.get("3 replicas, Redis")
    if shared is None:
        return 0
    ok = shared["requests"] <= results["1 process"]["requests"] and shared["failed"] == 0
    print("target (3 replicas on Redis ask no more than 1 process):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument(
        "--redis",
        default=os.environ.get("ORBITDESK_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0",
    )
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.commands, args.redis)))
