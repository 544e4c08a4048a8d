"""Button press vs typed command: round trips on Discord and Slack, in the same run.

The real discord.py client and the real slack-bolt app (HTTP mode) talk to the loopback fakes
in tests/fakes; a fake Yahoo and a clock that stands still keep the quote cache warm. Per
platform, requests alternate in blocks between:

- typed: `/quote SPCX` (Discord INTERACTION_CREATE type 2; Slack a signed slash command),
- action: pressing the Refresh button of that answer, `od1|quote SPCX` (Discord
  MESSAGE_COMPONENT -> UPDATE_MESSAGE; Slack signed block_actions -> response_url with
  replace_original).

Measured: from the fake handing the (encoded) event to its socket until the request with the
final answer reaches it: the bot's side of the round trip, not the fake's JSON work. Target: the action's p50
within 1.2x of the typed command's on each platform.

    .venv/bin/python bench/action_roundtrip.py [--n 500]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

import discord  # noqa: E402
from discord import app_commands  # noqa: E402
from report import Target, report  # noqa: E402

from bot.adapters.discord_adapter import DiscordAdapter  # noqa: E402
from bot.adapters.slack_adapter import SlackAdapter  # noqa: E402
from bot.app import App  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.http_server import HttpServer  # noqa: E402
from tests.fakes.discord_server import FakeDiscord, Sent  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402
from tests.fakes.yahoo_server import FakeYahoo  # noqa: E402
from tests.slack_support import (  # noqa: E402
    BOT_TOKEN,
    SIGNING_SECRET,
    action_payload,
    post_action,
    post_signed,
    sign,
    slash_payload,
)

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # a pinned Tuesday, market open
TARGET = 1.2
BLOCK = 1  # strictly alternating: both sides see the same machine state
WARMUP = 30
REFRESH = "od1|quote SPCX"
BARE_REFRESH = "bare|refresh"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values) * 1000, 3),
        "p99_ms": round(percentile(values, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(values) * 1000, 3),
    }


async def alternate(n: int, *sides: Callable[[], Awaitable[float]]) -> list[list[float]]:
    """n round trips of each side, taken in turn (BLOCK at a time)."""
    for _ in range(WARMUP):
        for side in sides:
            await side()
    samples: list[list[float]] = [[] for _ in sides]
    while len(samples[0]) < n:
        for out, side in zip(samples, sides, strict=True):
            for _ in range(min(BLOCK, n - len(out))):
                out.append(await side())
    return samples


class BareTree(app_commands.CommandTree[discord.Client]):
    """The reference bot's way in for slash commands (as OrbitDesk's CommandEntry): answers a
    constant with one button on it."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        await interaction.response.send_message("pong", view=bare_view())
        return False


class BarePress(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"bare\|refresh"):
    """The reference bot's button, routed as OrbitDesk's are (DynamicItem): replaces the
    message with a constant."""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> BarePress:
        return cls(item)  # type: ignore[arg-type]

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(content="pong", view=bare_view())


def bare_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Refresh", custom_id=BARE_REFRESH))
    view.stop()
    return view


async def bare_client() -> tuple[discord.Client, asyncio.Task[None]]:
    """discord.py alone, with a DynamicItem: what a press costs beside a typed command
    before any OrbitDesk code runs (a reference, not a target)."""
    client = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=0.05)
    ready = asyncio.Event()
    client.event(_setter(ready))
    BareTree(client)
    client.add_dynamic_items(BarePress)
    task = asyncio.create_task(client.start("bench-token"))
    await asyncio.wait_for(ready.wait(), 10)
    return client, task


def _setter(ready: asyncio.Event) -> Callable[[], Coroutine[Any, Any, None]]:
    async def on_ready() -> None:
        ready.set()

    return on_ready


async def settled() -> None:
    """Let the reference bot finish its handler (the answer's response parsed) before the
    next round trip, as `adapter.drain()` does for OrbitDesk."""
    current = asyncio.current_task()
    while busy := [
        t
        for t in asyncio.all_tasks()
        if t is not current and t.get_name().startswith(("CommandTree-invoker", "discord-ui-"))
    ]:
        await asyncio.wait(busy)


async def discord_side(n: int, yahoo: FakeYahoo, tmp: Path) -> list[list[float]]:
    """Typed and pressed round trips of OrbitDesk, then of the discord.py reference bot."""
    fake = await FakeDiscord().start()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp / "discord",
        yahoo_base_url=yahoo.base_url,
        discord_token="bench-token",  # type: ignore[arg-type]
        discord_api_base=fake.api_base,
        discord_gateway_url=fake.gateway_url,
    )
    app = App.build(settings, clock=ManualClock(NOW))
    await app.start()
    adapter = DiscordAdapter(app, guild_ready_timeout=0.05)
    await adapter.start()
    bare, bare_task = await bare_client()
    ours, reference = fake.sessions
    options = [{"name": "symbols", "type": 3, "value": "SPCX"}]

    async def until_final(
        payload: dict[str, Any], session: str, settle: Callable[[], Awaitable[None]]
    ) -> float:
        token = await fake.interact(payload, session=session)
        replies = await fake.replies(token)
        await settle()
        fake.sent.clear()  # each wait scans what was sent: keep every side's scans the same
        return next(s for s in replies if s.final).at - fake.emitted.pop(token)

    async def first(session: str) -> Sent:
        token = await fake.interact(fake.interaction("quote", options), session=session)
        return next(s for s in await fake.replies(token) if s.final)

    answer, bare_answer = await first(ours), await first(reference)
    assert REFRESH in answer.custom_ids, answer.custom_ids
    assert BARE_REFRESH in bare_answer.custom_ids, bare_answer.custom_ids

    async def typed() -> float:
        return await until_final(fake.interaction("quote", options), ours, adapter.drain)

    async def action() -> float:
        return await until_final(fake.press(answer, REFRESH), ours, adapter.drain)

    async def bare_typed() -> float:
        return await until_final(fake.interaction("quote", options), reference, settled)

    async def bare_action() -> float:
        return await until_final(fake.press(bare_answer, BARE_REFRESH), reference, settled)

    try:
        return await alternate(n, typed, action, bare_typed, bare_action)
    finally:
        await adapter.stop()
        await bare.close()
        await bare_task
        await app.close()
        await fake.close()


async def slack_side(n: int, yahoo: FakeYahoo, tmp: Path) -> list[list[float]]:
    async with FakeSlack() as slack:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp / "slack",
            yahoo_base_url=yahoo.base_url,
            slack_mode="http",
            slack_bot_token=BOT_TOKEN,  # type: ignore[arg-type]
            slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
            slack_api_base=slack.api_base,
        )
        app = App.build(settings, clock=ManualClock(NOW))
        await app.start()
        adapter = SlackAdapter(app)
        http = HttpServer("127.0.0.1", 0, app.metrics)
        http.app.add_routes(adapter.routes())
        await http.start()
        await adapter.start()
        port = http.bound_port
        assert port is not None

        async def until_answer(send: Awaitable[int], url: str) -> float:
            started = time.perf_counter()
            assert await send == 200
            token = url.rsplit("/", 1)[1]
            await slack.wait_for_answer(token)
            call = next(c for c in slack.calls if c.method == "response" and c.path.endswith(token))
            return call.at - started

        async def typed() -> float:
            # A cached answer rides in the ack itself (ORBITDESK_SLACK_ACK_GRACE); a slower
            # one follows at response_url.
            payload = slash_payload(slack, "/quote", "SPCX")
            body = urlencode(payload).encode()
            started = time.perf_counter()
            status, answer = await post_signed(port, body, sign(body))
            assert status == 200, answer
            if isinstance(answer, dict):
                return time.perf_counter() - started
            token = payload["response_url"].rsplit("/", 1)[1]
            await slack.wait_for_answer(token)
            call = next(c for c in slack.calls if c.method == "response" and c.path.endswith(token))
            return call.at - started

        async def action() -> float:
            payload = action_payload(slack, REFRESH)
            took = await until_answer(post_action(port, payload), str(payload["response_url"]))
            slack.calls.clear()
            return took

        try:
            return await alternate(n, typed, action)
        finally:
            await adapter.stop()
            await http.stop()
            await app.close()


async def main(n: int) -> dict[str, Any]:
    logging.basicConfig(level=logging.ERROR)
    result: dict[str, Any] = {"benchmark": "action_roundtrip", "n": n, "target_ratio_p50": TARGET}
    with FakeYahoo(now=NOW) as yahoo, tempfile.TemporaryDirectory() as tmp:
        for platform, side in (("discord", discord_side), ("slack", slack_side)):
            typed, action, *reference = await side(n, yahoo, Path(tmp))
            result[platform] = {"typed": summary(typed), "action": summary(action)}
            ratio = result[platform]["action"]["p50_ms"] / result[platform]["typed"]["p50_ms"]
            result[platform]["ratio_p50"] = round(ratio, 3)
            if reference:
                bare_typed, bare_action = (summary(r) for r in reference)
                result[platform]["bare_typed"] = bare_typed
                result[platform]["bare_action"] = bare_action
                result[platform]["bare_ratio_p50"] = round(
                    bare_action["p50_ms"] / bare_typed["p50_ms"], 3
                )
                result[platform]["press_extra_ms"] = {
                    "orbitdesk": round(
                        result[platform]["action"]["p50_ms"] - result[platform]["typed"]["p50_ms"],
                        3,
                    ),
                    "bare_discord_py": round(bare_action["p50_ms"] - bare_typed["p50_ms"], 3),
                }
    result["meets_target"] = all(result[p]["ratio_p50"] <= TARGET for p in ("discord", "slack"))
    print(f"Button press vs typed /quote SPCX, {n} each per platform (warm cache, loopback fakes)")
    print(f"{'platform':<10}{'side':<22}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    rows = (
        ("typed", "typed /quote SPCX"),
        ("action", "Refresh pressed"),
        ("bare_typed", "bare typed (ref.)"),
        ("bare_action", "bare pressed (ref.)"),
    )
    for platform in ("discord", "slack"):
        for key, label in rows:
            if key in result[platform]:
                r = result[platform][key]
                print(
                    f"{platform:<10}{label:<22}{r['p50_ms']:>9.3f}{r['p99_ms']:>9.3f}"
                    f"{r['mean_ms']:>9.3f}"
                )
        print(f"{platform:<10}{'action / typed p50':<22}{result[platform]['ratio_p50']:>8.2f}x")
        if "bare_ratio_p50" in result[platform]:
            bare = result[platform]["bare_ratio_p50"]
            print(f"{platform:<10}{'bare action / typed':<22}{bare:>8.2f}x  (discord.py alone)")
    targets = [
        Target(
            f"{p}: button press p50 / typed p50",
            result[p]["ratio_p50"],
            TARGET,
            "x",
            baseline=1.0,
        )
        for p in ("discord", "slack")
    ]
    report("action_roundtrip", targets, result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="requests per side and platform")
    args = parser.parse_args()
    outcome = asyncio.run(main(args.n))
    sys.exit(0 if outcome["meets_target"] else 1)
