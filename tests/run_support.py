"""Real `orbitdesk run <platform>` processes for tests and benchmarks.

`start_bot()` starts one as users start it (`python -m bot run slack`), in its own process
group, with only the ORBITDESK_* settings it is given (the caller's shell settings are
dropped), its output in a log file; it returns once /healthz answers 200. `BotProcess.stop()`
sends SIGTERM and, if the process is still there after the timeout, kills its whole group.
`bots_running()` stops every process it started and, when the block fails, prints each log's
tail, so a failing test shows what the bots said.

Also here: the burst of Slack commands the replica test and bench/replicas.py both send, and
a Slack HTTP client for it (signed slash commands, waiting for their response_url answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes.slack_server import FakeSlack
from tests.fakes.yahoo_server import FakeYahoo, unused_port
from tests.fakes.yahoo_server import _endpoint as yahoo_endpoint
from tests.slack_support import answer_of, slash_payload

ROOT = Path(__file__).resolve().parents[1]
# What Yahoo is asked for data; the cookie and crumb handshake is each process's own.
DATA_ENDPOINTS = ("quote", "chart", "news", "screener", "quoteSummary", "search")
LOOPBACK = "127.0.0.1,localhost"


def bot_env(**settings: str) -> dict[str, str]:
    """The environment of a bot process: this one's minus every ORBITDESK_* variable, plus
    `settings` as ORBITDESK_<NAME> (slack_mode="http" -> ORBITDESK_SLACK_MODE=http)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORBITDESK_")}
    env |= {"no_proxy": LOOPBACK, "NO_PROXY": LOOPBACK, "PYTHONUNBUFFERED": "1"}
    return env | {f"ORBITDESK_{k.upper()}": v for k, v in settings.items()}


@dataclass
class BotProcess:
    """One running `orbitdesk run`; `port` serves /healthz (and /slack/events in HTTP mode)."""

    name: str
    port: int
    process: asyncio.subprocess.Process
    log_path: Path
    health: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    async def stop(self, timeout: float = 15) -> int:
        """SIGTERM, then SIGKILL to the whole process group after `timeout`; the exit code."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.kill()
                await self.process.wait()
        else:
            self.kill()  # the leader is gone; anything it left in its group goes too
        assert self.process.returncode is not None
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL to the whole process group (the bot and anything it started)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


async def wait_healthy(port: int, process: asyncio.subprocess.Process, timeout: float) -> dict:
    """Poll /healthz until it answers 200; returns its body. Raises if the process exits or
    the time runs out (the caller adds the log)."""
    async with aiohttp.ClientSession() as session, asyncio.timeout(timeout):
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"exited {process.returncode} before it was ready")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        body: dict = await resp.json()
                        return body
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)


async def start_bot(
    platform: str,
    env: dict[str, str],
    *,
    name: str,
    workdir: Path,
    port: int | None = None,
    ready_timeout: float = 90,
) -> BotProcess:
    """Start `orbitdesk run <platform>` with `env` (see `bot_env`); ORBITDESK_HTTP_HOST and
    _PORT are set here. Returns once /healthz says ready; on failure the process group is
    killed and the error carries the log's tail."""
    port = port or unused_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name}.log"
    env = env | {"ORBITDESK_HTTP_HOST": "127.0.0.1", "ORBITDESK_HTTP_PORT": str(port)}
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            platform,
            cwd=workdir,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches all of it
        )
    bot = BotProcess(name, port, process, log_path)
    try:
        bot.health = await wait_healthy(port, process, ready_timeout)
    except BaseException as exc:
        bot.kill()
        await process.wait()
        tail = bot.log()[-4000:]
        if isinstance(exc, (RuntimeError, TimeoutError)):
            raise RuntimeError(f"{name} never became ready ({exc!r}):\n{tail}") from exc
        raise
    return bot


class Bots:
    """The processes one `bots_running()` block started."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.all: list[BotProcess] = []

    async def start(self, platform: str, env: dict[str, str], *, name: str) -> BotProcess:
        bot = await start_bot(platform, env, name=name, workdir=self.workdir)
        self.all.append(bot)
        return bot

    async def start_many(
        self, platform: str, envs: Sequence[tuple[str, dict[str, str]]]
    ) -> list[BotProcess]:
        """Start several at once (name, env); all or none: a failure stops the others."""
        started = await asyncio.gather(
            *(start_bot(platform, env, name=n, workdir=self.workdir) for n, env in envs),
            return_exceptions=True,
        )
        bots = [b for b in started if isinstance(b, BotProcess)]
        self.all.extend(bots)
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome
        return bots

    async def stop_all(self) -> dict[str, int]:
        codes = await asyncio.gather(*(b.stop() for b in self.all))
        return {b.name: code for b, code in zip(self.all, codes, strict=True)}

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(f"--- {b.name} (pid {b.pid})\n{b.log()[-tail:]}" for b in self.all)


@asynccontextmanager
async def bots_running(workdir: Path) -> AsyncIterator[Bots]:
    """Every process started through the yielded `Bots` is stopped on the way out; when the
    block raises, their logs' tails are printed first (pytest shows them with the failure)."""
    bots = Bots(workdir)
    try:
        yield bots
    except BaseException:
        print(bots.logs())
        raise
    finally:
        await bots.stop_all()


# The burst ------------------------------------------------------------------------------

SYMBOLS = [
    "SPCX", "AMZN", "GOOG", "GOOGL", "AAPL", "MSFT", "NVDA", "META", "TSLA", "NFLX",
    "ORCL", "IBM", "INTC", "AMD", "AVGO", "CRM", "ADBE", "RKLB", "ASTS", "BA",
]  # fmt: skip


def burst(n: int, seed: int = 7) -> list[str]:
    """`n` commands people send in a busy minute: mostly quotes of 1-4 of 20 symbols, some
    charts, news, profiles and movers; the same list for the same seed."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.75:
            out.append("quote " + " ".join(rng.sample(SYMBOLS, rng.randint(1, 4))))
        elif roll < 0.85:
            out.append(f"chart {rng.choice(SYMBOLS[:6])} {rng.choice(['5d', '1y'])}")
        elif roll < 0.93:
            out.append(f"news {rng.choice(SYMBOLS[:6])}")
        elif roll < 0.97:
            out.append(f"profile {rng.choice(SYMBOLS[:6])}")
        else:
            out.append("movers gainers")
    return out


def umbrella(slack: FakeSlack, text: str, **fields: str) -> dict[str, str]:
    """`/orbitdesk <text>` as Slack sends it (fields override team_id, user_id, ...)."""
    return slash_payload(slack, "/orbitdesk", text) | fields


async def ask(
    slack: FakeSlack, port: int, text: str, *, timeout: float = 30, **fields: str
) -> dict[str, Any]:
    """Send `/orbitdesk <text>` to the bot on `port`; its answer: the ack's own body when it
    was ready within the ack grace, else the response_url post."""
    return await answer_of(slack, port, umbrella(slack, text, **fields), timeout=timeout)


async def send_burst(
    slack: FakeSlack,
    ports: Sequence[int],
    commands: Sequence[str],
    *,
    gap: float = 0.002,
    timeout: float = 120,
    **fields: str,
) -> list[dict[str, Any]]:
    """Each command to the next port in turn (round-robin), `gap` seconds apart, all in
    flight together; the answers, in order."""
    tasks = []
    for i, text in enumerate(commands):
        port = ports[i % len(ports)]
        tasks.append(asyncio.ensure_future(ask(slack, port, text, timeout=timeout, **fields)))
        await asyncio.sleep(gap)
    return list(await asyncio.gather(*tasks))


def asked_for(fake: FakeYahoo) -> Counter[tuple[str, str]]:
    """From now on, what `fake` is asked for: each symbol of a quote request, and each other
    data request (endpoint, path, query and body), counted. A quote request for three symbols is
    three items: how symbols happen to be batched is not what replicas share."""
    items: Counter[tuple[str, str]] = Counter()
    handle = fake.handle

    def spy(
        host: str, path: str, query: dict[str, list[str]], cookie: str, body: bytes = b""
    ) -> tuple[int, str, bytes, dict[str, str]]:
        endpoint = yahoo_endpoint(host, path)
        if endpoint == "quote":
            symbols = ",".join(query.get("symbols", [])).split(",")
            items.update(("quote", symbol) for symbol in symbols if symbol)
        elif endpoint in DATA_ENDPOINTS:
            asked = sorted((k, v) for k, v in query.items() if k != "crumb")
            items[(endpoint, f"{path} {asked} {body.decode(errors='replace')}")] += 1
        return handle(host, path, query, cookie, body)

    fake.handle = spy  # type: ignore[method-assign]
    return items


def data_requests(counts: dict[str, int]) -> dict[str, int]:
    """The data requests among a fake Yahoo's counts (no cookie, crumb or other)."""
    return {e: counts[e] for e in DATA_ENDPOINTS if counts.get(e)}
