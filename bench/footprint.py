"""Footprint: idle memory of a connected bot, start-up time, and how fast the CLI answers.

Everything runs as users run it: real `orbitdesk` subprocesses against the loopback fakes
(tests/fakes: FakeDiscord and FakeYahoo, in this process).

- Idle RSS: `orbitdesk run discord`, connected, after ONE /quote answered, once memory has
  settled (VmRSS from /proc/PID/status). Also after a first /chart, as a detail.
- Start-up to ready: process start -> /healthz answers 200 (gateway identified, adapter
  ready, migrations done on a fresh SQLite file).
- `orbitdesk healthcheck` (against the live bot), `orbitdesk --help`, `orbitdesk ask help`:
  wall time, median of several runs.

The baseline, in the same run: the same commands with the heavy libraries imported first, as
the app imported them at start before issue 17 (PRELOAD below), so the table is before/after.
Details also hold each heavy library's import cost (time and RSS, in a fresh interpreter)
and which compiled packages the idle bot has mapped.

Run from the repo root: `.venv/bin/python bench/footprint.py [--runs 5] [--rounds 2]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import Target, report  # noqa: E402

from tests.fakes.discord_server import FakeDiscord  # noqa: E402
from tests.fakes.yahoo_server import FakeYahoo, unused_port  # noqa: E402

# What the app imported at start before issue 17: the baseline imports these first.
HEAVY = (
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "pint",
    "pandas",
    "yfinance",
    "exchange_calendars",
    "alembic.command",
    "redis.asyncio",
    "discord",
)
PRELOAD = "import " + ", ".join(HEAVY) + "; import bot.app"
# Each library's own cost, measured alone in a fresh interpreter.
IMPORT_COSTS = (
    "matplotlib.pyplot",
    "matplotlib.figure",
    "pint",
    "pandas",
    "numpy",
    "yfinance",
    "exchange_calendars",
    "sqlalchemy",
    "alembic",
    "pydantic_settings",
    "aiohttp",
    "discord",
    "slack_bolt",
    "redis.asyncio",
    "prometheus_client",
    "curl_cffi",
)

RSS_LIMIT_MB = 120.0
HEALTHCHECK_LIMIT_S = 0.3
HELP_LIMIT_S = 0.6
READY_LIMIT_S = 30.0  # generous: the figure is printed; it must not regress against baseline


def argv(preload: bool, *args: str) -> list[str]:
    """The `orbitdesk` program (bot.__main__.cli), with the heavy imports first or not."""
    code = (PRELOAD + "; " if preload else "") + "from bot.__main__ import cli; cli()"
    return [sys.executable, "-c", code, *args]


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else float("nan")


def mapped_packages(pid: int) -> list[str]:
    """Site-packages with a compiled module mapped into the process (pure Python ones do not
    show; pandas, numpy, matplotlib, pydantic_core, aiohttp... do)."""
    names = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        found = re.search(r"site-packages/([A-Za-z0-9_]+)/", line)
        if found and not found.group(1).endswith(".libs"):
            names.add(found.group(1))
    return sorted(names)


async def settled_rss(pid: int, timeout: float = 15.0) -> float:
    """VmRSS once it stops moving: four samples 0.25 s apart within 0.5 MB of each other."""
    samples: list[float] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        samples.append(rss_mb(pid))
        recent = samples[-4:]
        if len(recent) == 4 and max(recent) - min(recent) <= 0.5:
            break
        await asyncio.sleep(0.25)
    return samples[-1]


@dataclass
class BotRun:
    ready_s: float = float("nan")
    rss_connected_mb: float = float("nan")
    rss_after_quote_mb: float = float("nan")
    rss_after_chart_mb: float = float("nan")
    mapped_after_quote: list[str] = field(default_factory=list)
    mapped_after_chart: list[str] = field(default_factory=list)


def clean_env() -> dict[str, str]:
    """This environment without ORBITDESK_ settings; the code measured is this tree's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORBITDESK_")}
    return env | {"PYTHONPATH": str(ROOT), "no_proxy": "127.0.0.1,localhost"}


def bot_env(data_dir: Path, yahoo: FakeYahoo, discord: FakeDiscord, port: int) -> dict[str, str]:
    return clean_env() | {
        "ORBITDESK_DISCORD_TOKEN": "bench-token",
        "ORBITDESK_DISCORD_API_BASE": discord.api_base,
        "ORBITDESK_DISCORD_GATEWAY_URL": discord.gateway_url,
        "ORBITDESK_YAHOO_BASE_URL": yahoo.base_url,
        "ORBITDESK_DATA_DIR": str(data_dir),
        "ORBITDESK_HTTP_HOST": "127.0.0.1",
        "ORBITDESK_HTTP_PORT": str(port),
        "ORBITDESK_LOG_LEVEL": "WARNING",
        "no_proxy": "127.0.0.1,localhost",
        "NO_PROXY": "127.0.0.1,localhost",
    }


async def wait_ready(port: int, process: asyncio.subprocess.Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"orbitdesk run exited {process.returncode}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as reply:
                    if reply.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.02)
    raise TimeoutError("orbitdesk run never became ready")


async def slash(discord: FakeDiscord, session: str, name: str, **options: str) -> None:
    payload = discord.interaction(
        name, [{"name": k, "type": 3, "value": v} for k, v in options.items()]
    )
    token = await discord.interact(payload, session=session)
    await discord.replies(token, timeout=60)


async def one_bot(
    tmp: Path, yahoo: FakeYahoo, preload: bool, healthcheck: Any = None
) -> tuple[BotRun, Any]:
    """Start a bot, wait until ready, /quote, settle, /chart, settle; stop it."""
    run = BotRun()
    discord = await FakeDiscord().start()
    port = unused_port()
    data = Path(tempfile.mkdtemp(dir=tmp))
    log = (data / "bot.log").open("w")
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *argv(preload, "run", "discord"),
        env=bot_env(data, yahoo, discord, port),
        cwd=data,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    extra = None
    try:
        await wait_ready(port, process, timeout=120)
        run.ready_s = time.perf_counter() - started
        session = discord.sessions[-1]
        run.rss_connected_mb = await settled_rss(process.pid)
        await slash(discord, session, "quote", symbols="SPCX")
        await asyncio.sleep(1.0)
        run.rss_after_quote_mb = await settled_rss(process.pid)
        run.mapped_after_quote = mapped_packages(process.pid)
        if healthcheck is not None:  # the CLI timings want a live /healthz
            extra = await asyncio.to_thread(healthcheck, port, data)
        await slash(discord, session, "chart", symbol="SPCX", range="1y")
        await asyncio.sleep(1.0)
        run.rss_after_chart_mb = await settled_rss(process.pid)
        run.mapped_after_chart = mapped_packages(process.pid)
    except BaseException:
        print((data / "bot.log").read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        await discord.close()
    return run, extra


def wall(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - started, done.returncode


def cli_timings(port: int, data: Path, runs: int) -> dict[str, dict[str, Any]]:
    """Median wall time of each CLI command, lean and with the heavy preload, interleaved."""
    env = clean_env() | {
        "ORBITDESK_DATA_DIR": str(data / "cli"),
        "ORBITDESK_HTTP_PORT": str(port),
        "ORBITDESK_LOG_LEVEL": "WARNING",
    }
    commands = {"healthcheck": ["healthcheck"], "--help": ["--help"], "ask help": ["ask", "help"]}
    out: dict[str, dict[str, Any]] = {}
    for label, args in commands.items():
        times: dict[bool, list[float]] = {False: [], True: []}
        codes: dict[bool, set[int]] = {False: set(), True: set()}
        wall(argv(False, *args), env, data)  # warm the file cache for both
        for _ in range(runs):
            for preload in (False, True):
                took, code = wall(argv(preload, *args), env, data)
                times[preload].append(took)
                codes[preload].add(code)
        out[label] = {
            "lean_s": round(statistics.median(times[False]), 3),
            "baseline_s": round(statistics.median(times[True]), 3),
            "lean_runs_s": [round(t, 3) for t in times[False]],
            "exit_codes": sorted(codes[False]),
        }
    return out


def import_costs() -> dict[str, dict[str, float]]:
    """Each heavy library alone in a fresh interpreter: import time (ms) and RSS added (MB)."""
    probe = (
        "import re, sys, time, importlib\n"
        "def rss():\n"
        "    t = open('/proc/self/status').read()\n"
        "    return int(re.search(r'VmRSS:\\s+(\\d+)', t).group(1)) / 1024\n"
        "r = rss(); t = time.perf_counter(); importlib.import_module(sys.argv[1])\n"
        "print(round((time.perf_counter() - t) * 1000, 1), round(rss() - r, 1))\n"
    )
    out = {}
    for name in IMPORT_COSTS:
        done = subprocess.run(
            [sys.executable, "-c", probe, name], capture_output=True, text=True, check=False
        )
        if done.returncode == 0:
            ms, mb = done.stdout.split()
            out[name] = {"ms": float(ms), "rss_mb": float(mb)}
    return out


async def main(runs: int, rounds: int) -> bool:
    lean: list[BotRun] = []
    base: list[BotRun] = []
    cli: dict[str, dict[str, Any]] = {}
    with FakeYahoo() as yahoo, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for n in range(rounds):
            for preload in (False, True):
                wants_cli = n == 0 and not preload
                run, extra = await one_bot(
                    tmp,
                    yahoo,
                    preload,
                    (lambda port, data: cli_timings(port, data, runs)) if wants_cli else None,
                )
                (base if preload else lean).append(run)
                if extra is not None:
                    cli = extra
    costs = import_costs()

    def med(runs_: list[BotRun], name: str) -> float:
        return round(statistics.median(getattr(r, name) for r in runs_), 1)

    figures = {
        side: {
            name: med(runs_, name)
            for name in ("rss_connected_mb", "rss_after_quote_mb", "rss_after_chart_mb")
        }
        | {"ready_s": round(statistics.median(r.ready_s for r in runs_), 2)}
        | {"mapped_after_quote": runs_[0].mapped_after_quote}
        | {"mapped_after_chart": runs_[0].mapped_after_chart}
        for side, runs_ in (("lean", lean), ("baseline", base))
    }
    print(f"Footprint, {rounds} bot run(s) per side, CLI medians of {runs}")
    print(f"{'':<34}{'lean':>10}{'baseline':>10}")
    for name, unit in (
        ("rss_connected_mb", "MB"),
        ("rss_after_quote_mb", "MB"),
        ("rss_after_chart_mb", "MB"),
        ("ready_s", "s"),
    ):
        print(f"{name:<34}{figures['lean'][name]:>8}{unit}{figures['baseline'][name]:>8}{unit}")
    for label, row in cli.items():
        print(f"{'orbitdesk ' + label:<34}{row['lean_s']:>9}s{row['baseline_s']:>9}s")
    print("import costs (fresh interpreter):")
    for name, cost in costs.items():
        print(f"  {name:<24}{cost['ms']:>8.0f} ms{cost['rss_mb']:>8.1f} MB")
    print(
        "compiled packages mapped after /quote (lean):",
        ", ".join(figures["lean"]["mapped_after_quote"]),
    )

    def cli_target(label: str, limit: float) -> Target:
        row = cli.get(label, {})
        return Target(
            f"orbitdesk {label} wall (median)",
            row.get("lean_s", float("nan")),
            limit,
            "s",
            baseline=row.get("baseline_s"),
        )

    targets = [
        Target(
            "idle RSS, connected, after one /quote",
            figures["lean"]["rss_after_quote_mb"],
            RSS_LIMIT_MB,
            "MB",
            baseline=figures["baseline"]["rss_after_quote_mb"],
        ),
        cli_target("healthcheck", HEALTHCHECK_LIMIT_S),
        cli_target("--help", HELP_LIMIT_S),
        cli_target("ask help", HELP_LIMIT_S),
        Target(
            "start-up to ready (/healthz 200)",
            figures["lean"]["ready_s"],
            max(READY_LIMIT_S, 0.0),
            "s",
            baseline=figures["baseline"]["ready_s"],
        ),
    ]
    details = {"sides": figures, "cli": cli, "import_costs": costs, "runs": runs, "rounds": rounds}
    return report("footprint", targets, json.loads(json.dumps(details)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each CLI command per side")
    parser.add_argument("--rounds", type=int, default=2, help="bot runs per side")
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(main(args.runs, args.rounds)) else 1)
