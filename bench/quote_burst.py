"""Benchmark: a burst of /quote commands, OrbitDesk against the naive pattern, same fake Yahoo.

1,000 commands over 20 symbols (1-5 symbols each, seeded), the fake Yahoo adding 50 ms to
every request. OrbitDesk answers through Core.dispatch (cold cache, then warm); the baseline
does what most stock bots do: a fresh `yf.Ticker(s).info` per symbol per command, no cache,
commands run on a thread pool. Prints a table and one JSON line.

    .venv/bin/python bench/quote_burst.py [--commands 1000] [--delay 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report import Target, report  # noqa: E402

from bot.adapters.console import invocation  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.market.transport import UpstreamStats, YahooSession  # noqa: E402
from tests.fakes.yahoo_server import FakeYahoo  # noqa: E402

SYMBOLS = [
    "SPCX", "AMZN", "GOOG", "GOOGL", "AAPL", "MSFT", "NVDA", "META", "TSLA", "NFLX",
    "ORCL", "IBM", "INTC", "AMD", "AVGO", "CRM", "ADBE", "RKLB", "ASTS", "BA",
]  # fmt: skip


def workload(n: int, seed: int = 42) -> list[list[str]]:
    rng = random.Random(seed)
    return [rng.sample(SYMBOLS, rng.randint(1, 5)) for _ in range(n)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def orbitdesk_run(
    fake: FakeYahoo, commands: list[list[str]], data_dir: Path
) -> dict[str, float]:
    settings = Settings(_env_file=None, data_dir=data_dir, yahoo_base_url=fake.base_url)  # type: ignore[call-arg]
    app = App.build(settings)
    await app.start()

    async def one(symbols: list[str]) -> float:
        started = time.perf_counter()
        answer = await app.core.dispatch(invocation("quote " + " ".join(symbols)))
        assert answer.kind == "ok", answer.text
        return time.perf_counter() - started

    fake.reset_counts()
    started = time.perf_counter()
    cold = await asyncio.gather(*(one(c) for c in commands))
    cold_wall = time.perf_counter() - started
    requests = fake.count()

    started = time.perf_counter()
    warm = await asyncio.gather(*(one(c) for c in commands))
    warm_wall = time.perf_counter() - started

    # Core dispatch alone, cache hit, one command at a time (no adapter, no burst queueing).
    single = []
    for symbols in commands[:2000]:
        t0 = time.perf_counter()
        await app.core.dispatch(invocation("quote " + " ".join(symbols)))
        single.append(time.perf_counter() - t0)
    total_requests = fake.count()
    await app.close()
    return {
        "requests": requests,
        "requests_incl_warm": total_requests,
        "cold_p50_ms": pct(cold, 0.5) * 1000,
        "cold_p99_ms": pct(cold, 0.99) * 1000,
        "cold_cmds_per_s": len(commands) / cold_wall,
        "warm_p50_ms": pct(warm, 0.5) * 1000,
        "warm_p99_ms": pct(warm, 0.99) * 1000,
        "warm_cmds_per_s": len(commands) / warm_wall,
        "dispatch_p50_us": statistics.median(single) * 1e6,
    }


def baseline_run(fake: FakeYahoo, commands: list[list[str]], workers: int) -> dict[str, float]:
    import yfinance as yf

    session = YahooSession(base_url=fake.base_url, timeout_cap=30, stats=UpstreamStats())

    def one(symbols: list[str]) -> float:
        started = time.perf_counter()
        for symbol in symbols:
            info = yf.Ticker(symbol, session=session).info
            assert info.get("regularMarketPrice") is not None, symbol
        return time.perf_counter() - started

    fake.reset_counts()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        latencies = list(pool.map(one, commands))
    wall = time.perf_counter() - started
    return {
        "requests": fake.count(),
        "p50_ms": pct(latencies, 0.5) * 1000,
        "p99_ms": pct(latencies, 0.99) * 1000,
        "cmds_per_s": len(commands) / wall,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument(
        "--delay", type=float, default=0.05, help="seconds the fake adds per request"
    )
    parser.add_argument("--baseline-workers", type=int, default=32)
    args = parser.parse_args()
    commands = workload(args.commands)
    symbol_lookups = sum(len(c) for c in commands)
    with tempfile.TemporaryDirectory() as tmp, FakeYahoo(delay=args.delay) as fake:
        ours = asyncio.run(orbitdesk_run(fake, commands, Path(tmp) / "data"))
        base = baseline_run(fake, commands, args.baseline_workers)

    ratio = ours["requests"] / base["requests"]
    print(
        f"quote burst: {args.commands} commands, {symbol_lookups} symbol lookups over "
        f"{len(SYMBOLS)} symbols, fake Yahoo +{args.delay * 1000:.0f} ms/request"
    )
    print(f"{'':34}{'OrbitDesk':>14}{'naive baseline':>16}")
    print(f"{'upstream HTTP requests':34}{ours['requests']:>14.0f}{base['requests']:>16.0f}")
    print(f"{'p50 latency, cold burst (ms)':34}{ours['cold_p50_ms']:>14.1f}{base['p50_ms']:>16.1f}")
    print(f"{'p99 latency, cold burst (ms)':34}{ours['cold_p99_ms']:>14.1f}{base['p99_ms']:>16.1f}")
    print(
        f"{'commands/s, cold burst':34}{ours['cold_cmds_per_s']:>14.0f}{base['cmds_per_s']:>16.1f}"
    )
    print(f"{'p50 latency, warm burst (ms)':34}{ours['warm_p50_ms']:>14.2f}{'-':>16}")
    print(f"{'p99 latency, warm burst (ms)':34}{ours['warm_p99_ms']:>14.2f}{'-':>16}")
    print(f"{'commands/s, warm burst':34}{ours['warm_cmds_per_s']:>14.0f}{'-':>16}")
    print(f"{'core dispatch p50, cache hit (us)':34}{ours['dispatch_p50_us']:>14.1f}{'-':>16}")
    print(f"request ratio OrbitDesk/baseline: {ratio:.4f} (1/{1 / ratio:.0f})")
    targets = [
        Target(
            "cold burst upstream requests / naive",
            ratio,
            1 / 20,
            "x",
            baseline=1.0,
        ),
        Target("warm burst p99", ours["warm_p99_ms"], 100, "ms"),
        Target("core dispatch p50, cache hit", ours["dispatch_p50_us"], 200, "us"),
    ]
    details = {"orbitdesk": ours, "baseline": base, "request_ratio": ratio}
    return 0 if report("quote_burst", targets, details) else 1


if __name__ == "__main__":
    sys.exit(main())
