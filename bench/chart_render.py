"""Chart render time and PNG size: bot.charts.render against a naive pyplot chart and against
the renderer as it was before issue 17, all in the same run.

    .venv/bin/python bench/chart_render.py [--runs 15] [--rounds 3]

Bars come once from the fake Yahoo (tests/fakes) through the real yfinance, then each chart
is rendered `runs` times per contender after one warm-up, the contenders taking turns so a
noisy neighbour slows them alike. With --rounds N that is done N times and the best round's
median counts (a shared machine's load comes and goes).

- naive: what a bot typically does: pyplot with default settings, dates on a real time axis,
  a volume subplot, tight_layout and savefig at the default dpi, nothing cached.
- before: bot/charts/render.py as of BEFORE_COMMIT (a new figure per chart, matplotlib's own
  PNG writer), loaded with `git show`; left out when git or the commit is not at hand. It
  imports today's bot.charts.timeline/summary/themes (their pick_ticks is a little faster).
- PNG size "before" is the same picture written by matplotlib's `print_png`, as the old
  renderer did (its pixels are the new renderer's, so the bytes are the old ones exactly).

Also: a burst of identical /chart requests through ChartService (cache + single flight), and,
in a fresh process, RSS and time around the first chart (matplotlib loads on first use).
Ends with bench/report.py's table and `BENCH` line; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # the baseline uses pyplot; never open a window

import numpy as np  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from report import Target, report  # noqa: E402

from bot.charts import draw, figures  # noqa: E402
from bot.charts.render import ChartOptions, render_chart  # noqa: E402
from bot.charts.service import ChartRequest, ChartService  # noqa: E402
from bot.charts.themes import palette  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.market.calendar import MarketCalendar  # noqa: E402
from bot.market.service import MarketData  # noqa: E402
from bot.market.transport import UpstreamStats  # noqa: E402
from bot.market.types import History  # noqa: E402
from bot.market.yahoo import YahooClient  # noqa: E402
from tests.fakes.yahoo_server import FakeYahoo  # noqa: E402

TARGET_DAILY_P50_MS = 60.0  # issue 17
TARGET_P50_MS = 150.0  # this benchmark's limit for every chart before issue 17
BEFORE_COMMIT = "024092c19b77eb9894f04f4c0ec4928ce682d850"  # the last commit before issue 17
BURST = 20

Render = Callable[[], bytes]

# Run in a fresh interpreter: what the app imports at start, then the first and second chart.
FIRST_CHART_PROBE = """
import json, sys, time
def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")
from datetime import UTC, datetime, timedelta
started = time.perf_counter()
import bot.app, bot.charts.service, commands.chart
from bot.charts.render import ChartOptions, render_chart
from bot.market.types import Bar, History
imports_ms = (time.perf_counter() - started) * 1000
start = datetime(2025, 1, 6, tzinfo=UTC)
bars = tuple(
    Bar(start + timedelta(days=i), 100 + i % 7, 103 + i % 5, 98 + i % 3, 101 + i % 11, 10**6 + i)
    for i in range(252)
)
history = History("AMZN", "Amazon.com, Inc.", "USD", "America/New_York", "1d", "1y", bars)
before = rss_mb()
mpl_at_start = "matplotlib" in sys.modules
started = time.perf_counter()
import bot.charts.draw  # what the first render_chart imports: matplotlib, numpy, Pillow
import_ms = (time.perf_counter() - started) * 1000
after_import = rss_mb()
started = time.perf_counter()
render_chart([history], ChartOptions(range="1y"))
first_ms = (time.perf_counter() - started) * 1000 + import_ms
after_first = rss_mb()
started = time.perf_counter()
render_chart([history], ChartOptions(range="1y"))
second_ms = (time.perf_counter() - started) * 1000
print(json.dumps({
    "matplotlib_loaded_at_start": mpl_at_start,
    "start_imports_ms": round(imports_ms, 1),
    "rss_before_first_chart_mb": round(before, 1),
    "rss_after_first_chart_mb": round(after_first, 1),
    "rss_first_chart_cost_mb": round(after_first - before, 1),
    "rss_matplotlib_import_mb": round(after_import - before, 1),
    "matplotlib_import_ms": round(import_ms, 1),
    "rss_after_second_chart_mb": round(rss_mb(), 1),
    "first_chart_ms": round(first_ms, 1),  # with the import
    "second_chart_ms": round(second_ms, 1),
}))
"""


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


def old_writer_png(history: History, options: ChartOptions) -> bytes:
    """This renderer's picture written as the old renderer wrote it: matplotlib's print_png."""
    colors = palette(options.theme)
    volume = any(b.volume for b in history.bars)
    key = figures.FrameKey(colors, options.width, options.height, options.dpi, volume=volume)
    frame = figures.build(key)
    draw._single(frame, history, options, colors)
    buffer = io.BytesIO()
    frame.canvas.print_png(buffer, metadata={"Software": "OrbitDesk"})
    ours = draw.png([history], options, colors)
    frame.canvas.draw()
    if not np.array_equal(_pixels(ours), np.asarray(frame.canvas.buffer_rgba())[..., :3]):
        raise AssertionError("the PNG writer changed the picture")
    return buffer.getvalue()


def _pixels(png: bytes) -> np.ndarray[Any, Any]:
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()
    return np.asarray(image.convert("RGB"))


def load_before(commit: str) -> types.ModuleType | None:
    """bot/charts/render.py as of `commit`, as a module of its own; None without git."""
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{commit}:bot/charts/render.py"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    module = types.ModuleType("chart_render_before")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{commit[:7]}:bot/charts/render.py", "exec"), module.__dict__)
    return module


def timed(
    contenders: dict[str, Render], runs: int
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Each contender `runs` times, in turns; milliseconds per render and each PNG's size."""
    sizes = {name: len(func()) for name, func in contenders.items()}  # warm-up, first use
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, func in contenders.items():
            started = time.perf_counter()
            func()
            samples[name].append((time.perf_counter() - started) * 1000)
    return samples, sizes


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


def first_chart() -> dict[str, Any]:
    """RSS and time around the first chart, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", FIRST_CHART_PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def main(runs: int, rounds: int) -> dict[str, Any]:
    before = load_before(BEFORE_COMMIT)
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
        charts = {"1y daily": (daily, "1y"), "1d intraday": (intraday, "1d")}
        rows = []
        for label, (history, rng) in charts.items():
            options = ChartOptions(range=rng)
            contenders: dict[str, Render] = {
                "ours": lambda h=history, o=options: render_chart([h], o),
                "naive": lambda h=history: naive_png(h),
            }
            if before is not None:
                old_options = before.ChartOptions(range=rng)
                contenders["before"] = lambda h=history, o=old_options: before.render_chart([h], o)
            medians: dict[str, list[float]] = {name: [] for name in contenders}
            every: dict[str, list[float]] = {name: [] for name in contenders}
            sizes: dict[str, int] = {}
            for _ in range(rounds):
                samples, sizes = timed(contenders, runs)
                for name, values in samples.items():
                    medians[name].append(statistics.median(values))
                    every[name].extend(values)
            row: dict[str, Any] = {
                "chart": label,
                "bars": len(history.bars),
                "png_bytes": sizes["ours"],
                "png_bytes_old_writer": len(old_writer_png(history, options)),
            }
            for name in contenders:
                row[f"{name}_p50_ms"] = round(min(medians[name]), 1)
                row[f"{name}_p99_ms"] = round(percentile(every[name], 99), 1)
                row[f"{name}_round_p50s_ms"] = [round(m, 1) for m in medians[name]]
                row[f"{name}_png_bytes"] = sizes[name]
            rows.append(row)
        # Warm the history cache so the burst measures rendering and coalescing only.
        await market.history("AMZN", "1y", "1d", budget=30)
        burst_ms, renders = await burst(market, calendar)
        await market.close()
    naive_daily = next(r["naive_p50_ms"] for r in rows if r["chart"] == "1y daily")
    return {
        "runs": runs,
        "rounds": rounds,
        "before_commit": BEFORE_COMMIT if before is not None else None,
        "charts": rows,
        "burst": {
            "requests": BURST,
            "service_ms": round(burst_ms, 1),
            "renders": renders,
            "naive_ms_estimate": round(BURST * naive_daily, 1),
        },
        "first_chart": first_chart(),
    }


def print_table(result: dict[str, Any]) -> None:
    names = ["ours", "before", "naive"] if result["before_commit"] else ["ours", "naive"]
    header = f"{'chart':<12} {'bars':>5} " + " ".join(
        f"{name + ' p50':>11} {name + ' p99':>11} {name + ' KB':>10}" for name in names
    )
    print(header)
    print("-" * len(header))
    for r in result["charts"]:
        cells = " ".join(
            f"{r[f'{n}_p50_ms']:>11.1f} {r[f'{n}_p99_ms']:>11.1f} {r[f'{n}_png_bytes'] / 1024:>10.1f}"
            for n in names
        )
        print(f"{r['chart']:<12} {r['bars']:>5} {cells}")
    b = result["burst"]
    print(
        f"\nburst of {b['requests']} identical 1y charts through ChartService: "
        f"{b['service_ms']:.1f} ms, {b['renders']} render(s) "
        f"(naive, one render each: ~{b['naive_ms_estimate']:.0f} ms)"
    )
    print(f"first chart in a fresh process: {json.dumps(result['first_chart'])}")


def targets(result: dict[str, Any]) -> list[Target]:
    rows = {r["chart"]: r for r in result["charts"]}
    daily, intraday = rows["1y daily"], rows["1d intraday"]
    return [
        Target(
            "1y daily chart p50",
            daily["ours_p50_ms"],
            TARGET_DAILY_P50_MS,
            "ms",
            baseline=daily["naive_p50_ms"],
        ),
        Target(
            "1y daily PNG size vs before",
            daily["png_bytes"],
            daily["png_bytes_old_writer"],
            "B",
            baseline=daily["naive_png_bytes"],
        ),
        Target(
            "1d intraday chart p50",
            intraday["ours_p50_ms"],
            TARGET_P50_MS,
            "ms",
            baseline=intraday["naive_p50_ms"],
        ),
        Target(
            "1d intraday PNG size vs before",
            intraday["png_bytes"],
            intraday["png_bytes_old_writer"],
            "B",
            baseline=intraday["naive_png_bytes"],
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    outcome = asyncio.run(main(args.runs, args.rounds))
    print_table(outcome)
    sys.exit(0 if report("chart_render", targets(outcome), outcome) else 1)
