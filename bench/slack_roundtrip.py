"""Slack round trip: signed HTTP slash commands to OrbitDesk beside a bare Bolt app.

Both apps are real slack-bolt AsyncApps served by aiohttp on 127.0.0.1, checking the same
signing secret. OrbitDesk runs `/quote SPCX AMZN` through the core with a warm quote cache
(a fake Yahoo and a clock that stands still, so nothing expires mid-run) and answers at a fake
response_url; the bare app acks a constant string and posts a constant answer to the same
fake. Requests alternate between the two, one at a time, so both see the same machine state.

Measured per request: ack = until the HTTP 200 comes back; answer = until the response_url
receives the answer. Target: OrbitDesk's ack p50 <= 1.2x the bare app's.

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
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
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

TARGET = 1.2
WARMUP = 30


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


async def one(session: aiohttp.ClientSession, slack: FakeSlack, port: int) -> tuple[float, float]:
    """One signed `/quote SPCX AMZN`: (ack seconds, answer seconds)."""
    payload = slash_payload(slack, "/quote", "SPCX AMZN")
    body = urlencode(payload).encode()
    headers = sign(body)
    token = payload["response_url"].rsplit("/", 1)[1]
    started = time.perf_counter()
    async with session.post(
        f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers
    ) as resp:
        await resp.read()
        acked = time.perf_counter()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status} from port {port}")
    await slack.wait_for_answer(token, timeout=10)
    [call] = [c for c in slack.calls if c.method == "response" and c.path.endswith("/" + token)]
    return acked - started, call.at - started


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
            try:
                async with aiohttp.ClientSession() as session:
                    for _ in range(WARMUP):
                        for port in sides.values():
                            await one(session, slack, port)
                    for i in range(requests):
                        order = list(sides.items()) if i % 2 == 0 else list(sides.items())[::-1]
                        for name, port in order:
                            ack, answer = await one(session, slack, port)
                            results[name]["ack"].append(ack)
                            results[name]["answer"].append(answer)
                        if len(slack.calls) > 10_000:  # keep the fake's record small
                            slack.calls.clear()
            finally:
                await bare_runner.cleanup()
                await adapter.stop()
                await http.stop()
                await app.close()
    summary: dict[str, Any] = {"bench": "slack_roundtrip", "requests": requests}
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
    summary["pass"] = ratio <= TARGET
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
    verdict = "meets" if summary["pass"] else "misses"
    print(f"ack p50 ratio {summary['ack_p50_ratio']:.3f} ({verdict} the target <= {TARGET})")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
