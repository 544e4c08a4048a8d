"""Slack round trip: signed HTTP slash commands to OrbitDesk beside a bare Bolt app.

Both apps are real slack-bolt AsyncApps served by aiohttp on 127.0.0.1, checking the same
signing secret. OrbitDesk runs `/quote SPCX AMZN` through the core with a warm quote cache
(a fake Yahoo and a clock that stands still, so nothing expires mid-run), served as `orbitdesk
run slack` serves it; the bare app acks a constant string and posts a constant answer to a
fake response_url. Requests alternate between the two, one at a time, so both see the same
machine state.

Measured per request: ack = until the HTTP 200 comes back; answer = until the answer is in
hand (in the ack's body, or at the response_url). Target: OrbitDesk's ack p50 <= 0.4x the bare
app's. Then a few commands whose data source hangs (Yahoo delayed 1.5 s, cache cold) check that
the ack still comes well inside Slack's 3 s window and the answer follows at response_url.

    .venv/bin/python bench/slack_roundtrip.py [--requests 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from report import Target, report  # noqa: E402
from slack_bolt.async_app import AsyncApp  # noqa: E402
from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from bot.adapters.slack_adapter import SlackAdapter  # noqa: E402
from bot.app import App  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.http_server import HttpServer  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402
from tests.fakes.yahoo_server import FakeYahoo  # noqa: E402
from tests.slack_support import BOT_TOKEN, SIGNING_SECRET, sign, slash_payload  # noqa: E402

TARGET = 0.4
WARMUP = 30
SLOW_DELAY = 1.5  # s the fake Yahoo takes to answer in the slow phase
SLOW_SYMBOLS = ("AAPL", "MSFT", "NVDA", "META", "TSLA")  # not cached: each asks Yahoo
SLOW_ACK_LIMIT_MS = 500.0  # the grace (0.1 s) and a margin for a busy machine; Slack's is 3000


def bare_app(slack: FakeSlack) -> AsyncApp:
    """The naive baseline: a Bolt app that acks a constant and posts a constant answer."""
    bare = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_base + "/"),
        signing_secret=SIGNING_SECRET,
    )

    @bare.command("/quote")
    async def quote(ack: Any, respond: Any) -> None:
        await ack("pong")
        await respond(text="pong", response_type="in_channel")

    return bare


async def serve(bolt: AsyncApp) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(bolt.web_app(path="/slack/events"), shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, int(runner.addresses[0][1])


async def one(
    session: aiohttp.ClientSession, slack: FakeSlack, port: int, text: str = "SPCX AMZN"
) -> tuple[float, float, bool]:
    """One signed `/quote ...`: (ack seconds, answer seconds, whether the ack carried it)."""
    payload = slash_payload(slack, "/quote", text)
    body = urlencode(payload).encode()
    headers = sign(body)
    token = payload["response_url"].rsplit("/", 1)[1]
    started = time.perf_counter()
    async with session.post(
        f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers
    ) as resp:
        raw = await resp.read()
        acked = time.perf_counter()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status} from port {port}")
    if raw.startswith(b"{") and "blocks" in json.loads(raw):
        return acked - started, acked - started, True
    await slack.wait_for_answer(token, timeout=10)
    [call] = [c for c in slack.calls if c.method == "response" and c.path.endswith("/" + token)]
    return acked - started, call.at - started, False


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def run(requests: int) -> dict[str, Any]:
    with FakeYahoo() as yahoo, tempfile.TemporaryDirectory() as tmp:
        async with FakeSlack() as slack:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                data_dir=Path(tmp) / "data",
                yahoo_base_url=yahoo.base_url,
                slack_bot_token=BOT_TOKEN,
                slack_signing_secret=SIGNING_SECRET,
                slack_api_base=slack.api_base,
                slack_mode="http",
                http_host="127.0.0.1",
                http_port=0,
            )
            app = App.build(settings, clock=ManualClock(datetime.now(UTC)))
            await app.start()
            adapter = SlackAdapter(app)
            # Served as `orbitdesk run slack` serves it: on the bot's shared HTTP listener.
            http = HttpServer("127.0.0.1", 0, app.metrics)
            http.app.add_routes(adapter.routes())
            await http.start()
            await adapter.start()
            bare_runner, bare_port = await serve(bare_app(slack))
            assert http.bound_port is not None
            sides = {"orbitdesk": http.bound_port, "bare": bare_port}
            results: dict[str, dict[str, list[float]]] = {
                name: {"ack": [], "answer": []} for name in sides
            }
            inline = 0
            slow: list[tuple[float, float, bool]] = []
            try:
                async with aiohttp.ClientSession() as session:
                    for _ in range(WARMUP):
                        for port in sides.values():
                            await one(session, slack, port)
                    for i in range(requests):
                        order = list(sides.items()) if i % 2 == 0 else list(sides.items())[::-1]
                        for name, port in order:
                            ack, answer, carried = await one(session, slack, port)
                            results[name]["ack"].append(ack)
                            results[name]["answer"].append(answer)
                            inline += carried and name == "orbitdesk"
                        if len(slack.calls) > 10_000:  # keep the fake's record small
                            slack.calls.clear()
                    yahoo.delay = SLOW_DELAY  # the data source hangs: ack anyway, follow up
                    for symbol in SLOW_SYMBOLS:
                        slow.append(await one(session, slack, sides["orbitdesk"], symbol))
            finally:
                await bare_runner.cleanup()
                await adapter.stop()
                await http.stop()
                await app.close()
    summary: dict[str, Any] = {
        "bench": "slack_roundtrip",
        "requests": requests,
        "answered_in_the_ack": inline,
    }
    for name, series in results.items():
        summary[name] = {
            "ack_p50_ms": round(pct(series["ack"], 0.50), 3),
            "ack_p99_ms": round(pct(series["ack"], 0.99), 3),
            "ack_mean_ms": round(statistics.fmean(series["ack"]) * 1000, 3),
            "answer_p50_ms": round(pct(series["answer"], 0.50), 3),
            "answer_p99_ms": round(pct(series["answer"], 0.99), 3),
        }
    ratio = summary["orbitdesk"]["ack_p50_ms"] / summary["bare"]["ack_p50_ms"]
    summary["ack_p50_ratio"] = round(ratio, 3)
    summary["target_ratio"] = TARGET
    summary["slow"] = {
        "yahoo_delay_s": SLOW_DELAY,
        "ack_max_ms": round(max(a for a, _, _ in slow) * 1000, 3),
        "answer_min_ms": round(min(b for _, b, _ in slow) * 1000, 3),
        "followed_up": sum(not carried for _, _, carried in slow),
        "commands": len(slow),
    }
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="per side (default 1000)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    summary = asyncio.run(run(args.requests))
    print(f"Slack slash command round trip, {args.requests} signed HTTP requests per side")
    print(f"{'side':<12}{'ack p50':>10}{'ack p99':>10}{'answer p50':>13}{'answer p99':>13}  (ms)")
    for name, label in (("orbitdesk", "OrbitDesk"), ("bare", "bare Bolt")):
        s = summary[name]
        print(
            f"{label:<12}{s['ack_p50_ms']:>10.2f}{s['ack_p99_ms']:>10.2f}"
            f"{s['answer_p50_ms']:>13.2f}{s['answer_p99_ms']:>13.2f}"
        )
    slow = summary["slow"]
    print(
        f"answered in the ack itself: {summary['answered_in_the_ack']} of {args.requests}; "
        f"Yahoo {SLOW_DELAY} s slow: acked within {slow['ack_max_ms']:.1f} ms, "
        f"{slow['followed_up']} of {slow['commands']} answered at response_url later"
    )
    met = report(
        "slack_roundtrip",
        [
            Target(
                "ack p50 / bare Bolt ack p50", summary["ack_p50_ratio"], TARGET, "x", baseline=1.0
            ),
            Target(
                "ack max with Yahoo hanging",
                slow["ack_max_ms"],
                SLOW_ACK_LIMIT_MS,
                "ms",
            ),
            Target(
                "slow answers followed up at response_url",
                slow["followed_up"],
                slow["commands"],
                higher_is_better=True,
            ),
        ],
        summary,
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
