"""Benchmark: the question router (issue 18) beside core dispatch of a command.

Routes the held-out questions and the issue's examples many times (no network, no model) and
times `Core.dispatch` of an offline command (`orbital orbit altitude=550km`) in the same run
for scale. Target: routing p50 <= 200 µs. Prints a table and one JSON line.
Run: .venv/bin/python bench/router.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml
from report import Target, report

from bot.adapters.console import invocation
from bot.app import App
from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
TARGET_US = 200.0
EXAMPLES = [
    "what's SpaceX trading at?",
    "price of amazon and google",
    "show me a 1 year chart of nvidia",
    "did the cursor deal close?",
    "how much did Google pay for Wiz",
    "what has spacex bought",
    "how did AMD stock react to the ZT Systems deal",
    "is starcloud's 5 GW claim right?",
    "radiator area for 40 MW at 60C",
    "how long is the eclipse at 550 km",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def dispatch_times(app: App, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        await app.core.dispatch(invocation("orbital orbit altitude=550km"))
        out.append((time.perf_counter() - started) * 1e6)
    return out


def main() -> int:
    data = tempfile.mkdtemp()
    settings = Settings(_env_file=None, data_dir=Path(data), yahoo_base_url="http://127.0.0.1:9")  # type: ignore[call-arg]
    app = App.build(settings)
    held = yaml.safe_load((ROOT / "tests" / "data" / "router_heldout.yaml").read_text())
    questions = EXAMPLES + [q["q"] for q in held["questions"]]
    router = app.services.asker.router  # compiled here, once, as on the first question
    for q in questions:  # warm the unit parsers' caches, as a running bot would have
        router.route(q)
    route_us: list[float] = []
    for _ in range(200):
        for q in questions:
            started = time.perf_counter()
            router.route(q)
            route_us.append((time.perf_counter() - started) * 1e6)
    dispatch_us = asyncio.run(dispatch_times(app, 300))
    rows = {"route a question": route_us, "core dispatch (orbital orbit)": dispatch_us}
    print(f"{'step':32} {'p50 µs':>10} {'p90 µs':>10} {'p99 µs':>10}")
    for name, values in rows.items():
        print(
            f"{name:32} {statistics.median(values):10.1f} {percentile(values, 0.9):10.1f} "
            f"{percentile(values, 0.99):10.1f}"
        )
    p50 = statistics.median(route_us)
    details = {
        "questions": len(questions),
        "route_p90_us": round(percentile(route_us, 0.9), 1),
        "route_p99_us": round(percentile(route_us, 0.99), 1),
        "dispatch_p50_us": round(statistics.median(dispatch_us), 1),
    }
    met = report(
        "router", [Target("route a question p50", round(p50, 1), TARGET_US, "us")], details
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
