"""Benchmark: `watchlist` of 25 symbols and `earnings` of 10, OrbitDesk against the naive pattern.

Same fake Yahoo (pinned clock, +50 ms per request) for both. OrbitDesk answers through
Core.dispatch: cold (every cache expired: the manual clock jumps 8 hours before each round)
and warm (cache hits). The naive baseline does what peer bots do, per symbol per command, no
cache: `yf.Ticker(s).info` for a watchlist; `.info` + `.calendar` + `.earnings_history` for
earnings. OrbitDesk answers 4 to 10 companies with one table of next reports and the year's
EPS estimates from one batched v7 quote (a button per company opens its full answer: one
quoteSummary more); the naive `.info`-only pattern that carries just those table facts is
measured too (`earnings_info_only`, reported in the details). Prints a table and one
`BENCH` line (bench/report.py).

    .venv/bin/python bench/watchlist_earnings.py [--rounds 10] [--warm 300] [--delay 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report import Target, report  # noqa: E402

from bot.adapters.console import invocation  # noqa: E402
from bot.app import App  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.market.transport import UpstreamStats, YahooSession  # noqa: E402
from bot.store.watchlists import ListKey  # noqa: E402
from tests.fakes.yahoo_server import FakeYahoo, synthetic_symbols  # noqa: E402

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 New York, market open
WATCH = 25
EARN = 10
HANDSHAKE = ("cookie", "crumb", "consent")  # session set-up, not data


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def data_requests(fake: FakeYahoo) -> int:
    return sum(n for endpoint, n in fake.counts().items() if endpoint not in HANDSHAKE)


async def orbitdesk_run(
    fake: FakeYahoo, symbols: list[str], rounds: int, warm_n: int, data_dir: Path
) -> dict[str, Any]:
    settings = Settings(_env_file=None, data_dir=data_dir, yahoo_base_url=fake.base_url)  # type: ignore[call-arg]
    clock = ManualClock(NOW)
    app = App.build(settings, clock=clock)
    await app.start()
    await app.store.watchlists.add(
        ListKey.of_user("console", None, "console"), symbols, by="bench", now=NOW, limit=WATCH
    )
    commands = {"watchlist": "watchlist", "earnings": "earnings " + " ".join(symbols[:EARN])}
    out: dict[str, Any] = {}
    for name, text in commands.items():
        cold: list[float] = []
        requests: list[int] = []
        all_requests: list[int] = []
        for _ in range(rounds):
            clock.advance(8 * 3600)  # every quote and earnings entry has expired
            fake.reset_counts()
            started = time.perf_counter()
            answer = await app.core.dispatch(invocation(text))
            cold.append(time.perf_counter() - started)
            assert answer.kind == "ok", answer.text
            requests.append(data_requests(fake))
            all_requests.append(fake.count())
        fake.reset_counts()
        warm: list[float] = []
        for _ in range(warm_n):
            started = time.perf_counter()
            answer = await app.core.dispatch(invocation(text))
            warm.append(time.perf_counter() - started)
            assert answer.kind == "ok", answer.text
        out[name] = {
            "cold_requests": max(requests),
            "cold_requests_incl_handshake": max(all_requests),
            "cold_p50_ms": pct(cold, 0.5) * 1000,
            "cold_p99_ms": pct(cold, 0.99) * 1000,
            "warm_requests": fake.count(),
            "warm_p50_ms": pct(warm, 0.5) * 1000,
            "warm_p99_ms": pct(warm, 0.99) * 1000,
        }
    await app.close()
    return out


def baseline_run(fake: FakeYahoo, symbols: list[str], rounds: int) -> dict[str, Any]:
    import yfinance as yf

    session = YahooSession(base_url=fake.base_url, timeout_cap=30, stats=UpstreamStats())

    def watchlist() -> None:
        for symbol in symbols:
            info = yf.Ticker(symbol, session=session).info
            assert info.get("regularMarketPrice") is not None, symbol

    def earnings() -> None:
        for symbol in symbols[:EARN]:
            ticker = yf.Ticker(symbol, session=session)
            assert ticker.info.get("regularMarketPrice") is not None, symbol
            assert ticker.calendar.get("Earnings Date"), symbol
            assert ticker.earnings_history is not None, symbol

    def earnings_info_only() -> None:
        for symbol in symbols[:EARN]:
            assert yf.Ticker(symbol, session=session).info.get("earningsTimestamp"), symbol

    out: dict[str, Any] = {}
    commands: dict[str, Callable[[], None]] = {
        "watchlist": watchlist,
        "earnings": earnings,
        "earnings_info_only": earnings_info_only,
    }
    for name, run in commands.items():
        run()  # the process's first cookie and crumb are not the pattern's cost
        latencies: list[float] = []
        requests: list[int] = []
        for _ in range(rounds):
            fake.reset_counts()
            started = time.perf_counter()
            run()
            latencies.append(time.perf_counter() - started)
            requests.append(data_requests(fake))
        out[name] = {
            "requests": max(requests),
            "p50_ms": pct(latencies, 0.5) * 1000,
            "p99_ms": pct(latencies, 0.99) * 1000,
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="cold rounds per command")
    parser.add_argument("--baseline-rounds", type=int, default=3)
    parser.add_argument("--warm", type=int, default=300, help="warm commands per command")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added per request")
    args = parser.parse_args()
    universe = synthetic_symbols(WATCH, prefix="WL")
    symbols = list(universe)
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeYahoo(now=NOW, delay=args.delay, symbols=universe) as fake,
    ):
        ours = asyncio.run(orbitdesk_run(fake, symbols, args.rounds, args.warm, Path(tmp) / "d"))
        base = baseline_run(fake, symbols, args.baseline_rounds)

    print(
        f"watchlist of {WATCH} symbols and earnings of {EARN}: fake Yahoo "
        f"+{args.delay * 1000:.0f} ms/request; requests exclude cookie/crumb set-up"
    )
    print(f"{'':38}{'OrbitDesk':>12}{'naive':>12}{'ratio':>10}")
    ratios: dict[str, float] = {}
    for name in ("watchlist", "earnings"):
        o, b = ours[name], base[name]
        ratios[name] = o["cold_requests"] / b["requests"]
        print(f"{name}")
        print(
            f"{'  upstream requests, cold':38}{o['cold_requests']:>12}{b['requests']:>12}"
            f"{ratios[name]:>10.3f}"
        )
        print(f"{'  p50 ms, cold':38}{o['cold_p50_ms']:>12.1f}{b['p50_ms']:>12.1f}")
        print(f"{'  p99 ms, cold':38}{o['cold_p99_ms']:>12.1f}{b['p99_ms']:>12.1f}")
        print(f"{'  upstream requests, warm (all runs)':38}{o['warm_requests']:>12}{'-':>12}")
        print(f"{'  p50 ms, warm':38}{o['warm_p50_ms']:>12.2f}{'-':>12}")
        print(f"{'  p99 ms, warm':38}{o['warm_p99_ms']:>12.2f}{'-':>12}")
    targets = [
        Target(
            f"watchlist of {WATCH}: cold upstream requests / naive",
            ratios["watchlist"],
            0.1,
            "x",
            baseline=1.0,
        ),
        Target(f"watchlist of {WATCH}: warm p99", ours["watchlist"]["warm_p99_ms"], 50, "ms"),
        Target(
            f"earnings of {EARN}: cold upstream requests / naive",
            ratios["earnings"],
            0.1,
            "x",
            baseline=1.0,
        ),
        Target(f"earnings of {EARN}: warm p99", ours["earnings"]["warm_p99_ms"], 50, "ms"),
    ]
    info_only = base["earnings_info_only"]["requests"]
    print(
        f"earnings table facts only (naive `.info` per symbol): {info_only} requests; "
        f"OrbitDesk {ours['earnings']['cold_requests']}"
    )
    details = {"orbitdesk": ours, "baseline": base, "request_ratio": ratios}
    return 0 if report("watchlist_earnings", targets, details) else 1


if __name__ == "__main__":
    sys.exit(main())
