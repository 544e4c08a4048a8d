"""Discord round trip: interaction sent -> final message received, OrbitDesk vs a bare handler.

Both run the real discord.py client against the fake Discord in tests/fakes (two identical
instances on 127.0.0.1, in this process), interleaved in blocks so drift hits both sides:

- OrbitDesk: `/quote SPCX` through DiscordAdapter (core dispatch with a warm quote cache,
  render, send), as configured by default: an answer ready within `ack_grace` (0.1 s) is the
  interaction response itself, anything slower is deferred and followed up.
- OrbitDesk with ack_grace=0: every interaction deferred, then followed up (two requests).
- OrbitDesk `/ping`, a command answering a constant Response: the adapter's own cost.
- baseline: a bare discord.py `on_interaction` that answers a constant string.

Run from the repo root: `.venv/bin/python bench/discord_roundtrip.py [--n 1000]`.
Prints a table and one JSON line. Target: OrbitDesk p50 <= 1.5x the baseline p50.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
from report import Target, report  # noqa: E402

from bot.adapters.discord_adapter import DiscordAdapter  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.context import Context  # noqa: E402
from bot.registry import command  # noqa: E402
from bot.response import Response  # noqa: E402
from tests.fakes.discord_server import FakeDiscord  # noqa: E402
from tests.fakes.yahoo_server import FakeYahoo  # noqa: E402

BLOCK = 100
TARGET_RATIO = 1.5


async def round_trip(
    fake: FakeDiscord, payload: dict[str, Any], session: str, settle: Callable[[], Awaitable[None]]
) -> float:
    """Seconds from INTERACTION_CREATE sent to the first final message the fake received.

    From the encoded frame handed to the socket to the answer's request arriving: the fake's
    own JSON work on either end is not the bot's. What was sent is cleared after each round
    trip, so every side's wait scans the same short list, and the bot is let finish its
    handler (`settle`) before the next one, so no side carries the last one's tail.
    """
    token = await fake.interact(payload, session=session)
    replies = await fake.replies(token)
    final = next(s for s in replies if s.final)
    await settle()
    fake.sent.clear()
    return final.at - fake.emitted.pop(token)


async def bare_client() -> tuple[discord.Client, asyncio.Task[None], Callable[[], Awaitable[None]]]:
    """The naive baseline: plain discord.py answering a constant string (and its settle)."""
    client = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=0.05)
    ready = asyncio.Event()
    inflight: set[asyncio.Task[Any]] = set()

    @client.event
    async def on_ready() -> None:
        ready.set()

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        task = asyncio.current_task()
        assert task is not None
        inflight.add(task)
        try:
            await interaction.response.send_message("pong")
        finally:
            inflight.discard(task)

    async def settle() -> None:
        while inflight:
            await asyncio.wait(set(inflight))

    task = asyncio.create_task(client.start("bench-token"))
    await asyncio.wait_for(ready.wait(), 10)
    return client, task, settle


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


SIDES = (
    ("orbitdesk", "OrbitDesk /quote SPCX (default)"),
    ("orbitdesk_always_defer", "OrbitDesk, ack_grace=0 (defer+f/up)"),
    ("orbitdesk_ping", "OrbitDesk /ping (constant Response)"),
    ("bare_discord_py", "bare discord.py constant reply"),
)


@command("ping", hidden=True)
async def ping(ctx: Context) -> Response:
    """Answer a constant: isolates the adapter's own cost from the quote command's work."""
    return Response(text="pong")


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values) * 1000, 3),
        "p90_ms": round(percentile(values, 0.90) * 1000, 3),
        "p99_ms": round(percentile(values, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(values) * 1000, 3),
    }


async def main(n: int) -> dict[str, Any]:
    logging.basicConfig(level=logging.ERROR)
    with FakeYahoo() as yahoo, tempfile.TemporaryDirectory() as tmp:
        # One fake for all sides: discord.py keeps its REST base in a class attribute, so
        # clients in one process share it; the fake routes each interaction by session.
        fake = await FakeDiscord().start()
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=Path(tmp),
            yahoo_base_url=yahoo.base_url,
            discord_token="bench-token",  # type: ignore[arg-type]
            discord_api_base=fake.api_base,
            discord_gateway_url=fake.gateway_url,
        )
        app = App.build(settings)
        app.services.registry.add(ping.__orbitdesk_spec__)  # type: ignore[attr-defined]
        await app.start()
        adapters = [
            DiscordAdapter(app, guild_ready_timeout=0.05),
            DiscordAdapter(app, guild_ready_timeout=0.05, ack_grace=0),
        ]
        for adapter in adapters:
            await adapter.start()
        bare, bare_task, bare_settle = await bare_client()
        default, always_defer, bare_session = fake.sessions
        quote = [{"name": "symbols", "type": 3, "value": "SPCX"}]

        def run(
            session: str, settle: Callable[[], Awaitable[None]], name: str = "quote"
        ) -> Callable[[], Awaitable[float]]:
            options = quote if name == "quote" else []
            return lambda: round_trip(fake, fake.interaction(name, options), session, settle)

        runners = [
            run(default, adapters[0].drain),
            run(always_defer, adapters[1].drain),
            run(default, adapters[0].drain, "ping"),
            run(bare_session, bare_settle),
        ]
        for _ in range(20):  # warm: the quote cache, connections, code paths
            for runner in runners:
                await runner()
        upstream_before = len(yahoo.requests)
        samples: list[list[float]] = [[] for _ in runners]
        started = time.perf_counter()
        while len(samples[0]) < n:
            for out, runner in zip(samples, runners, strict=True):
                for _ in range(min(BLOCK, n - len(out))):
                    out.append(await runner())
        wall = time.perf_counter() - started
        upstream = len(yahoo.requests) - upstream_before
        for adapter in adapters:
            await adapter.stop()
        await bare.close()
        await bare_task
        await app.close()
        await fake.close()

    result: dict[str, Any] = {"benchmark": "discord_roundtrip", "n": n}
    for (key, _), values in zip(SIDES, samples, strict=True):
        result[key] = summary(values)
    bare_p50 = result["bare_discord_py"]["p50_ms"]
    result["ratio_p50"] = round(result["orbitdesk"]["p50_ms"] / bare_p50, 3)
    result["ratio_p50_always_defer"] = round(
        result["orbitdesk_always_defer"]["p50_ms"] / bare_p50, 3
    )
    result["ratio_p50_ping"] = round(result["orbitdesk_ping"]["p50_ms"] / bare_p50, 3)
    result["target_ratio_p50"] = TARGET_RATIO
    result["meets_target"] = result["ratio_p50"] <= TARGET_RATIO
    result["yahoo_requests_during_run"] = upstream
    result["wall_s"] = round(wall, 2)
    print(f"Discord round trip, {n} interactions per side (warm quote cache, loopback fake)")
    print(f"{'side':<38}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'x bare':>8}")
    for key, label in SIDES:
        r = result[key]
        ratio = r["p50_ms"] / bare_p50
        print(
            f"{label:<38}{r['p50_ms']:>9.3f}{r['p90_ms']:>9.3f}{r['p99_ms']:>9.3f}"
            f"{r['mean_ms']:>9.3f}{ratio:>7.2f}x"
        )
    verdict = "meets" if result["meets_target"] else "MISSES"
    print(
        f"default p50 ratio {result['ratio_p50']:.2f}x: {verdict} the target (<= {TARGET_RATIO}x); "
        f"Yahoo requests during the run: {upstream}"
    )
    report(
        "discord_roundtrip",
        [
            Target(
                "slash command p50 / bare discord.py p50",
                result["ratio_p50"],
                TARGET_RATIO,
                "x",
                baseline=1.0,
            )
        ],
        result,
    )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="interactions per side")
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(main(args.n))["meets_target"] else 1)
