"""Chart render time: bot.charts.render against a naive pyplot chart, in the same run.

    .venv/bin/python bench/chart_render.py [--runs 40]

Bars come once from the fake Yahoo (tests/fakes) through the real yfinance, then each chart
is rendered `runs` times per contender after one warm-up. The baseline is what a bot
typically does: pyplot with default settings, dates on a real time axis, a volume subplot,
tight_layout and savefig at the default dpi, nothing cached. A burst of identical /chart
requests through ChartService (cache + single flight) is timed against rendering each.
Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # the baseline uses pyplot; never open a window

from matplotlib import pyplot as plt  # noqa: E402

from bot.charts.render import ChartOptions, render_chart  # noqa: E402
from bot.charts.service import ChartRequest, ChartService  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.market.calendar import MarketCalendar  # noqa: E402
from bot.market.service import MarketData  # noqa: E402
from bot.market.transport import UpstreamStats  # noqa: E402
from bot.market.types import History  # noqa: E402
from bot.market.yahoo import YahooClient  # noqa: E402
from tests.fakes.yahoo_server import FakeYahoo  # noqa: E402

TARGET_P50_MS = 150.0
BURST = 20


def naive_png(history: History) -> bytes:
    """The baseline: pyplot's global state, real dates, default everything."""
    times = [b.time for b in history.bars]
    fig, (price, volume) = plt.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    price.plot(times, [b.close for b in history.bars])
    price.set_title(f"{history.name} ({history.symbol}) {history.range}")
    price.set_ylabel(history.currency)
    volume.bar(times, [b.volume for b in history.bars])
    fig.autofmt_xdate()
    plt.tight_layout()
    buffer = io.BytesIO()
    plt.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def timed(func: Callable[[], bytes], runs: int) -> tuple[list[float], int]:
    size = len(func())  # warm-up: font cache, first-use imports
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, size


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def burst(market: MarketData, calendar: MarketCalendar) -> tuple[float, int]:
    """BURST identical requests at once through ChartService: wall time and renders."""
    service = ChartService(market=market, calendar=calendar, clock=SystemClock())
    request = ChartRequest(symbols=("AMZN",), range="1y", kind="line", theme="dark")
    started = time.perf_counter()
    await asyncio.gather(*(service.chart(request) for _ in range(BURST)))
    elapsed = (time.perf_counter() - started) * 1000
    await service.close()
    return elapsed, service.stats.renders


async def main(runs: int) -> dict[str, object]:
    with FakeYahoo() as fake, tempfile.TemporaryDirectory() as tmp:
        client = YahooClient(
            base_url=fake.base_url,
            timeout_cap=5.0,
            cache_dir=Path(tmp) / "yfinance",
            stats=UpstreamStats(),
        )
        calendar = MarketCalendar(today=datetime.now(UTC).date())
        market = MarketData(client=client, calendar=calendar, clock=SystemClock())
        daily = await market.history("AMZN", "1y", "1d", budget=30)
        intraday = await market.history("AMZN", "1d", "5m", prepost=True, budget=30)
        charts = {
            "1y daily": (daily, ChartOptions(range="1y")),
            "1d intraday": (intraday, ChartOptions(range="1d")),
        }
        rows = []
        for label, (history, options) in charts.items():
            ours, our_size = timed(lambda h=history, o=options: render_chart([h], o), runs)
            base, base_size = timed(lambda h=history: naive_png(h), runs)
            rows.append(
                {
                    "chart": label,
                    "bars": len(history.bars),
                    "p50_ms": round(statistics.median(ours), 1),
                    "p99_ms": round(percentile(ours, 99), 1),
                    "png_bytes": our_size,
                    "baseline_p50_ms": round(statistics.median(base), 1),
                    "baseline_p99_ms": round(percentile(base, 99), 1),
                    "baseline_png_bytes": base_size,
                    "speedup_p50": round(statistics.median(base) / statistics.median(ours), 2),
                }
            )
        # Warm the history cache so the burst measures rendering and coalescing only.
        await market.history("AMZN", "1y", "1d", budget=30)
        burst_ms, renders = await burst(market, calendar)
        await market.close()
    naive_burst_ms = BURST * next(r["baseline_p50_ms"] for r in rows if r["chart"] == "1y daily")
    return {
        "benchmark": "chart_render",
        "runs": runs,
        "target_p50_ms": TARGET_P50_MS,
        "charts": rows,
        "meets_target": all(r["p50_ms"] <= TARGET_P50_MS for r in rows),
        "burst": {
            "requests": BURST,
            "service_ms": round(burst_ms, 1),
            "renders": renders,
            "naive_ms_estimate": round(naive_burst_ms, 1),
        },
    }


def print_table(result: dict[str, object]) -> None:
    rows = result["charts"]
    assert isinstance(rows, list)
    header = (
        f"{'chart':<12} {'bars':>5} {'p50 ms':>8} {'p99 ms':>8} {'PNG KB':>8} "
        f"{'naive p50':>10} {'naive p99':>10} {'naive KB':>9} {'speedup':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['chart']:<12} {r['bars']:>5} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
            f"{r['png_bytes'] / 1024:>8.1f} {r['baseline_p50_ms']:>10.1f} "
            f"{r['baseline_p99_ms']:>10.1f} {r['baseline_png_bytes'] / 1024:>9.1f} "
            f"{r['speedup_p50']:>7.2f}x"
        )
    b = result["burst"]
    assert isinstance(b, dict)
    print(
        f"\nburst of {b['requests']} identical 1y charts through ChartService: "
        f"{b['service_ms']:.1f} ms, {b['renders']} render(s) "
        f"(naive, one render each: ~{b['naive_ms_estimate']:.0f} ms)"
    )
    print(
        f"target p50 <= {result['target_p50_ms']:.0f} ms: {'met' if result['meets_target'] else 'MISSED'}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    outcome = asyncio.run(main(args.runs))
    print_table(outcome)
    print(json.dumps(outcome))
