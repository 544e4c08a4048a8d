"""Real `orbitdesk run <platform>` processes for tests and benchmarks.

`start_bot()` starts one as users start it (`python -m bot run slack`), in its own process
group, with only the ORBITDESK_* settings it is given (the caller's shell settings are
dropped), its output in a log file; it returns once /healthz answers 200 (`launch_bot()`
returns at once, for a test that watches the start itself). `BotProcess.stop()` sends SIGTERM
and, if the process is still there after the timeout, kills its whole group.
`bots_running()` stops (or kills) every process it started and, when the block fails, prints
each log's tail, so a failing test shows what the bots said. `run_until_exit()` runs a
command that ends by itself (`orbitdesk ask ...`, a start-up that fails) and returns its
exit code and output.

Also here: the burst of Slack commands the replica test and bench/replicas.py both send, and
a Slack HTTP client for it (signed slash commands, waiting for their response_url answers);
and Discord bots sharing one database with the scheduled slots they post (`discord_bots()`,
`add_slot()`, `soon()`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.store.db import Database
from bot.store.repo import Store
from tests.fakes.discord_server import CHANNEL_ID, GUILD_ID, FakeDiscord
from tests.fakes.slack_server import FakeSlack
from tests.fakes.yahoo_server import FakeYahoo, unused_port
from tests.fakes.yahoo_server import _endpoint as yahoo_endpoint
from tests.slack_support import BOT_TOKEN, SIGNING_SECRET, answer_of, slash_payload

ROOT = Path(__file__).resolve().parents[1]
# What Yahoo is asked for data; the cookie and crumb handshake is each process's own.
DATA_ENDPOINTS = ("quote", "chart", "news", "screener", "quoteSummary", "search")
LOOPBACK = "127.0.0.1,localhost"


def bot_env(**settings: str) -> dict[str, str]:
    """The environment of a bot process: this one's minus every ORBITDESK_* variable but the
    session's shared exchange-calendar cache (tests/conftest.py), plus `settings` as
    ORBITDESK_<NAME> (slack_mode="http" -> ORBITDESK_SLACK_MODE=http)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ORBITDESK_") or k == "ORBITDESK_CALENDAR_CACHE_DIR"
    }
    env |= {"no_proxy": LOOPBACK, "NO_PROXY": LOOPBACK, "PYTHONUNBUFFERED": "1"}
    return env | {f"ORBITDESK_{k.upper()}": v for k, v in settings.items()}


def base_env(workdir: Path, yahoo_url: str, **settings: str) -> dict[str, str]:
    """`bot_env` for a bot on the (fake) Yahoo at `yahoo_url`, its data in `workdir`/data
    unless `settings` name another data_dir."""
    return bot_env(**{"yahoo_base_url": yahoo_url, "data_dir": str(workdir / "data")} | settings)


def discord_env(
    workdir: Path, yahoo_url: str, discord: FakeDiscord, **settings: str
) -> dict[str, str]:
    """`base_env` for Discord on the fake `discord` (its API and gateway), with a fake token
    (`settings` add to it)."""
    return base_env(
        workdir,
        yahoo_url,
        discord_token="fake-token",
        discord_api_base=discord.api_base,
        discord_gateway_url=discord.gateway_url,
        **settings,
    )


def slack_http_env(
    workdir: Path, yahoo_url: str, slack: FakeSlack, **settings: str
) -> dict[str, str]:
    """`base_env` for Slack in HTTP mode on the fake `slack`, with the test bot token and
    signing secret (`settings` add to it)."""
    return base_env(
        workdir,
        yahoo_url,
        slack_mode="http",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_base=slack.api_base,
        **settings,
    )


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

    async def crash(self) -> int:
        """kill -9 (the whole group, no shutdown), once it is gone; the exit code."""
        self.kill()
        return await self.process.wait()


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


async def launch_bot(
    platform: str, env: dict[str, str], *, name: str, workdir: Path, port: int | None = None
) -> BotProcess:
    """Start `orbitdesk run <platform>` with `env` (see `bot_env`) and return at once;
    ORBITDESK_HTTP_HOST and _PORT are set here (`port`, or a free one)."""
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
    return BotProcess(name, port, process, log_path)


async def start_bot(
    platform: str,
    env: dict[str, str],
    *,
    name: str,
    workdir: Path,
    port: int | None = None,
    ready_timeout: float = 90,
) -> BotProcess:
    """`launch_bot`, then wait until /healthz says ready; on failure the process group is
    killed and the error carries the log's tail."""
    bot = await launch_bot(platform, env, name=name, workdir=workdir, port=port)
    process = bot.process
    try:
        bot.health = await wait_healthy(bot.port, process, ready_timeout)
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

    async def start(
        self,
        platform: str,
        env: dict[str, str],
        *,
        name: str,
        port: int | None = None,
        ready_timeout: float = 90,
    ) -> BotProcess:
        """`start_bot`: returns once /healthz says ready."""
        bot = await start_bot(
            platform, env, name=name, workdir=self.workdir, port=port, ready_timeout=ready_timeout
        )
        self.all.append(bot)
        return bot

    async def launch(
        self, platform: str, env: dict[str, str], *, name: str, port: int | None = None
    ) -> BotProcess:
        """`launch_bot`: returns at once, ready or not."""
        bot = await launch_bot(platform, env, name=name, workdir=self.workdir, port=port)
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

    async def crash_all(self) -> None:
        """kill -9 every one still there (no shutdown)."""
        await asyncio.gather(*(b.crash() for b in self.all if b.running))

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(f"--- {b.name} (pid {b.pid})\n{b.log()[-tail:]}" for b in self.all)


@asynccontextmanager
async def bots_running(workdir: Path, *, crash: bool = False) -> AsyncIterator[Bots]:
    """Every process started through the yielded `Bots` is stopped on the way out (killed with
    -9, with `crash`); when the block raises, their logs' tails are printed first (pytest shows
    them with the failure)."""
    bots = Bots(workdir)
    try:
        yield bots
    except BaseException:
        print(bots.logs())
        raise
    finally:
        await (bots.crash_all() if crash else bots.stop_all())


async def run_until_exit(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60
) -> tuple[int, str, str]:
    """`python -m bot <args>` to its end (killed after `timeout`): exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=timeout)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


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


# Discord bots on one database ------------------------------------------------------------

PINNED = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)  # what the fake Yahoo's prices are "as of"


@pytest.fixture
def yahoo() -> Iterator[FakeYahoo]:
    """A fake Yahoo pinned at `PINNED`, for bots on the real clock (a test module takes it with
    `from tests.run_support import yahoo as yahoo`)."""
    with FakeYahoo(now=PINNED) as fake:
        yield fake


class DiscordBots:
    """Starts and kills `orbitdesk run discord` processes sharing one database (`url`)."""

    def __init__(self, bots: Bots, discord: FakeDiscord, yahoo: FakeYahoo, url: str) -> None:
        self.bots = bots
        self.discord = discord
        self.yahoo = yahoo
        self.url = url

    async def start(self, **settings: str) -> BotProcess:
        """One more bot (its data in `bot<n>`); returns once it identified to the gateway."""
        name = f"bot{len(self.bots.all)}"
        env = discord_env(
            self.bots.workdir,
            self.yahoo.base_url,
            self.discord,
            data_dir=str(self.bots.workdir / name),
            database_url=self.url,
            **settings,
        )
        identified = len(self.discord.identifies)
        bot = await self.bots.launch("discord", env, name=name)
        await self.discord.wait_for(lambda f: len(f.identifies) > identified, timeout=60)
        return bot

    async def kill(self, bot: BotProcess) -> None:
        """kill -9, as a node dies: no shutdown."""
        await bot.crash()


@asynccontextmanager
async def discord_bots(
    workdir: Path, discord: FakeDiscord, yahoo: FakeYahoo, url: str
) -> AsyncIterator[DiscordBots]:
    """`bots_running` for Discord bots on `url`: all killed (-9) on the way out, their logs
    printed when the block fails."""
    async with bots_running(workdir, crash=True) as bots:
        yield DiscordBots(bots, discord, yahoo, url)


async def add_slot(
    url: str,
    due: datetime,
    *,
    platform: str = "discord",
    guild: int | str = GUILD_ID,
    channel: int | str = CHANNEL_ID,
    symbols: str = "SPCX,AMZN",
    created_by: str = "u1",
) -> int:
    """A schedule posting daily at `due`'s minute (UTC, no market calendar: any day), next due
    at `due`, in a Discord channel unless told otherwise (`guild` is a Slack team's id there)."""
    database = Database(url)
    try:
        row = await Store(database).add_schedule(
            platform=platform,
            channel_id=str(channel),
            guild_id=str(guild),
            created_by=created_by,
            symbols=symbols,
            at=due.strftime("%H:%M"),
            days="daily",
            tz="UTC",
            calendar=None,
            holidays=True,
            paused=False,
            next_due=due,
            created_at=datetime.now(UTC),
        )
        return row.id
    finally:
        await database.dispose()


def soon(seconds: float = 4) -> datetime:
    """The first whole minute at least `seconds` from now (schedule times are minutes)."""
    start = datetime.now(UTC) + timedelta(seconds=seconds)
    return start.replace(second=0, microsecond=0) + timedelta(minutes=1)
