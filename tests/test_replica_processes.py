"""Three real `orbitdesk run slack` processes on one PostgreSQL and one Redis (issue 16).

The replicas run in Slack HTTP mode for many workspaces (OAuth), against the fake Slack and
one fake Yahoo that counts every request; a fourth process, alone on its own SQLite and its
own fake Yahoo, is the "one process" the burst is compared with. Redis is reached through a
TCP proxy the Redis test cuts. The processes are shared by the tests of this module (starting
them is most of the cost) in this order, which matters:

1. a burst spread over the three asks Yahoo for nothing (a quote's symbol, a chart's series, a
   news feed...) more often than the same burst sent to one process;
2. a Slack request delivered again (X-Slack-Retry-Num) to another replica runs once;
3. an OAuth install through one replica: the others answer that workspace with its token;
4. Redis cut mid-burst: every command is still answered, once; then sharing comes back;
5. a scheduled slot, due while all three tick, is posted once;
6. a Yahoo 429 seen by one replica: the other two do not ask Yahoo during the cool-down
   (last: the cool-down then holds for every replica for half a minute).

Needs PostgreSQL and Redis (ORBITDESK_TEST_DATABASE_URL, ORBITDESK_TEST_REDIS_URL; the tests
skip, saying why, without them). The fake Yahoo is pinned to PINNED_NOW; the bots run on the
real clock, and the scheduled slot is the current minute of a daily UTC schedule that posts
on any day, so nothing depends on the date.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from bot.store.db import Database
from bot.store.repo import Store
from tests.conftest import PINNED_NOW
from tests.fakes.slack_server import Call, FakeSlack
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.yahoo_server import FakeYahoo, default_universe, synthetic_symbols
from tests.redis_fixtures import own_key_prefix, redis_url
from tests.run_support import (
    SYMBOLS,
    BotProcess,
    Bots,
    add_slot,
    ask,
    asked_for,
    bot_env,
    bots_running,
    burst,
    data_requests,
    send_burst,
    umbrella,
)
from tests.slack_support import (
    BOT_TOKEN,
    SIGNING_SECRET,
    post_signed,
    response_token,
    sign,
)
from tests.store_fixtures import fresh_postgres_database
from tests.test_slack_oauth import STATE_SECRET, install

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio(loop_scope="module")]

TEAM, TEAM_TOKEN = "T0TEST", "xoxb-team-test"  # installed by the fixture, through replica A
NEW_TEAM, NEW_TOKEN = "T0NEW", "xoxb-team-new"  # installed by the OAuth test, through B
SLOT_CHANNEL = "C0SLOT"
BURST = 60
GAP = 0.005  # seconds between the burst's commands


@dataclass
class Cluster:
    replicas: list[BotProcess]  # A, B, C
    solo: BotProcess  # one process alone: the baseline
    yahoo: FakeYahoo  # the replicas'
    solo_yahoo: FakeYahoo
    slack: FakeSlack
    database_url: str
    redis_url: str
    redis_prefix: str
    redis_proxy: TcpProxy
    schedule_id: int
    bots: Bots

    @property
    def ports(self) -> list[int]:
        return [r.port for r in self.replicas]


@pytest.fixture(scope="module")
def yahoo() -> Iterator[FakeYahoo]:
    # TST0001...: symbols only the Redis and 429 tests ask for, so nothing has cached them
    with FakeYahoo(now=PINNED_NOW, symbols=default_universe() | synthetic_symbols(12)) as fake:
        yield fake


@pytest.fixture(scope="module")
def solo_yahoo() -> Iterator[FakeYahoo]:
    with FakeYahoo(now=PINNED_NOW) as fake:
        yield fake


async def add_due_slot(database_url: str, team: str, channel: str) -> int:
    """A daily UTC schedule whose slot is the current minute (already due: every replica's
    next tick finds it, within the grace window), for `team`'s `channel`."""
    slot = datetime.now(UTC).replace(second=0, microsecond=0)
    return await add_slot(
        database_url, slot, platform="slack", guild=team, channel=channel, created_by="U0ADA"
    )


async def deliveries(database_url: str, schedule_id: int) -> list[tuple[str, str]]:
    database = Database(database_url)
    try:
        rows = await Store(database).deliveries(schedule_id)
        return [(d.status, d.claimed_by) for d in rows]
    finally:
        await database.dispose()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(
    tmp_path_factory: pytest.TempPathFactory, yahoo: FakeYahoo, solo_yahoo: FakeYahoo
) -> AsyncIterator[Cluster]:
    workdir = tmp_path_factory.mktemp("replicas")
    async with (
        fresh_postgres_database("orbitdesk_replicas") as database_url,
        own_key_prefix("od_replicas") as prefix,
        FakeSlack() as slack,
    ):
        target = make_url(redis_url())
        proxy = await TcpProxy(target.host or "127.0.0.1", target.port or 6379).start()
        through_proxy = target.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False
        )
        shared = {
            "slack_mode": "http",
            "slack_signing_secret": SIGNING_SECRET,
            "slack_client_id": slack.client_id,
            "slack_client_secret": slack.client_secret,
            "slack_state_secret": STATE_SECRET,
            "slack_api_base": slack.api_base,
            "yahoo_base_url": yahoo.base_url,
            "database_url": database_url,
            "redis_url": through_proxy,
            "redis_key_prefix": prefix,
        }
        solo = {
            "slack_mode": "http",
            "slack_signing_secret": SIGNING_SECRET,
            "slack_bot_token": BOT_TOKEN,
            "slack_api_base": slack.api_base,
            "yahoo_base_url": solo_yahoo.base_url,
        }
        envs = [
            (name, bot_env(data_dir=str(workdir / name), **settings))
            for name, settings in [("A", shared), ("B", shared), ("C", shared), ("solo", solo)]
        ]
        try:
            async with bots_running(workdir) as bots:
                *replicas, alone = await bots.start_many("slack", envs)
                # The workspace the tests talk from, installed the way an admin installs it.
                assert await install(replicas[0].port, slack, "code-test", TEAM, TEAM_TOKEN) == 200
                schedule_id = await add_due_slot(database_url, TEAM, SLOT_CHANNEL)
                yield Cluster(
                    replicas=replicas,
                    solo=alone,
                    yahoo=yahoo,
                    solo_yahoo=solo_yahoo,
                    slack=slack,
                    database_url=database_url,
                    redis_url=redis_url(),
                    redis_prefix=prefix,
                    redis_proxy=proxy,
                    schedule_id=schedule_id,
                    bots=bots,
                )
                codes = await bots.stop_all()
                assert codes == {"A": 0, "B": 0, "C": 0, "solo": 0}, bots.logs()
                for bot in bots.all:
                    assert "Traceback" not in bot.log(), bot.log()[-3000:]
        finally:
            await proxy.close()


@pytest.fixture(autouse=True)
def logs_on_failure(request: pytest.FixtureRequest, cluster: Cluster) -> Iterator[None]:
    """A failing test shows what the bots said (under "Captured stdout teardown")."""
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        print(cluster.bots.logs())


def since(calls: list[Call], start: int, method: str) -> list[Call]:
    return [c for c in calls[start:] if c.method == method]


async def test_a_burst_over_three_replicas_asks_yahoo_no_more_than_one_process(
    cluster: Cluster,
) -> None:
    """The same burst, one process alone and then spread over the three replicas: every
    symbol and series the replicas asked Yahoo for, one process asked for as often."""
    commands = burst(BURST)
    slack = cluster.slack
    # Each process's own Yahoo cookie and crumb first (a symbol outside the burst), as in
    # bench/replicas.py; only the burst's data requests are counted.
    await ask(slack, cluster.solo.port, "quote ^GSPC")
    for port, symbol in zip(cluster.ports, ["^GSPC", "^DJI", "QQQ"], strict=True):
        await ask(slack, port, f"quote {symbol}", team_id=TEAM)

    one_process, three = asked_for(cluster.solo_yahoo), asked_for(cluster.yahoo)
    cluster.solo_yahoo.reset_counts()
    alone = await send_burst(slack, [cluster.solo.port], commands, gap=GAP)
    requests_one = data_requests(cluster.solo_yahoo.counts())

    cluster.yahoo.reset_counts()
    spread = await send_burst(slack, cluster.ports, commands, gap=GAP, team_id=TEAM)
    requests_three = data_requests(cluster.yahoo.counts())

    print(f"{BURST} commands: 1 process asked Yahoo for {one_process.total()} things in "
          f"{sum(requests_one.values())} requests {requests_one}; 3 replicas on Redis for "
          f"{three.total()} in {sum(requests_three.values())} {requests_three}")  # fmt: skip
    assert [a["text"] for a in spread] == [a["text"] for a in alone]  # the same answers ...
    assert one_process.total() > 0
    assert three <= one_process, three - one_process  # ... and nothing asked more often
    # The HTTP requests (printed above) are as many give or take one or two, either way: how
    # many quotes of commands arriving in the same instant went out in one request is luck
    # (one process merges those arriving in one event-loop turn; replicas cannot), and
    # bench/replicas.py compares them over a longer burst.


async def post_json(port: int, body: bytes, retry: int | None) -> int:
    headers = sign(body) | {"Content-Type": "application/json"}
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as resp,
    ):
        await resp.read()
        return resp.status


async def test_a_slack_request_delivered_again_to_other_replicas_runs_once(
    cluster: Cluster,
) -> None:
    slack = cluster.slack
    a, b, c = cluster.ports
    # A slash command reaching two replicas at once (a duplicate delivery): one answer.
    payload = umbrella(slack, "quote NFLX", team_id=TEAM)
    form = urlencode(payload).encode()
    delivered = await asyncio.gather(
        post_signed(a, form, sign(form)), post_signed(b, form, sign(form))
    )
    assert [status for status, _ in delivered] == [200, 200]
    # An answer ready within the ack grace rides in the ack; else it follows at response_url.
    in_acks = [body for _, body in delivered if isinstance(body, dict)]
    if not in_acks:
        await slack.wait_for_answer(response_token(payload), timeout=30)

    # An @mention the first replica took too long to acknowledge: Slack retries it, with
    # X-Slack-Retry-Num, and the retries land on the other two.
    ts = f"{time.time():.6f}"
    body = json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": "A0ORBIT",
            "type": "event_callback",
            "event_id": f"Ev{ts.replace('.', '')}",
            "event_time": int(time.time()),
            "event": {
                "type": "app_mention",
                "user": "U0ADA",
                "text": "<@U0BOT> quote ORCL",
                "channel": "C0MENTION",
                "ts": ts,
            },
        }
    ).encode()
    assert await post_json(a, body, retry=None) == 200
    assert await asyncio.gather(post_json(b, body, 1), post_json(c, body, 2)) == [200, 200]

    def replies() -> list[Call]:
        posts = slack.calls_to("chat.postMessage")
        return [call for call in posts if call.params.get("channel") == "C0MENTION"]

    async with asyncio.timeout(30):
        while not replies():
            await asyncio.sleep(0.1)
    await asyncio.sleep(2)  # a second run, if any, would have answered by now
    answers = in_acks + slack.answers(response_token(payload))
    assert len(answers) == 1  # one replica ran it; the other acknowledged and left it
    assert answers[0]["text"].startswith("NFLX")
    assert len(replies()) == 1
    [reply] = replies()
    assert reply.params.get("thread_ts") == ts
    assert str(reply.params.get("text", "")).startswith("ORCL")
    assert reply.token == TEAM_TOKEN
    skipped = sum(bot.log().count("delivered again") for bot in cluster.replicas)
    assert skipped == 2  # both retries acknowledged and not run


async def test_a_workspace_installed_through_one_replica_is_answered_by_all_with_its_token(
    cluster: Cluster,
) -> None:
    slack = cluster.slack
    a, b, c = cluster.ports
    start = len(slack.calls)
    uploaded = len(slack.calls_to("files.completeUploadExternal"))
    assert await install(b, slack, "code-new", NEW_TEAM, NEW_TOKEN) == 200
    [exchange] = since(slack.calls, start, "oauth.v2.access")
    assert exchange.params["code"] == "code-new"

    quote = await ask(slack, a, "quote SPCX", team_id=NEW_TEAM, channel_id="C0NEW")
    chart = await ask(slack, c, "chart SPCX 5d", team_id=NEW_TEAM, channel_id="C0NEW")
    assert quote["text"].startswith("SPCX")
    assert chart["text"].startswith("SPCX 5d")

    # Bolt authorizes each command with the workspace's token, read from the shared
    # database: auth.test by the install (B), then once by each replica that answered.
    tested = [call.token for call in since(slack.calls, start, "auth.test")]
    assert tested.count(NEW_TOKEN) == 3, tested
    # The chart's image goes up (after the answer) to the new workspace, with its token.
    await slack.wait_for("files.completeUploadExternal", uploaded + 1, timeout=30)
    uploads = [
        (u.params.get("channel_id"), u.token)
        for u in since(slack.calls, start, "files.completeUploadExternal")
    ]  # (an earlier test's chart may still be uploading to its own channel)
    assert [u for u in uploads if "C0NEW" in u or NEW_TOKEN in u] == [("C0NEW", NEW_TOKEN)]
    assert all(
        call.token in (NEW_TOKEN, None)
        for call in slack.calls[start:]
        if call.params.get("channel") == "C0NEW" or call.params.get("channel_id") == "C0NEW"
    )


def log_lines(bot: BotProcess, words: str) -> int:
    return sum(1 for line in bot.log().splitlines() if words in line)


async def test_redis_cut_mid_burst_every_command_is_still_answered_once(
    cluster: Cluster,
) -> None:
    slack = cluster.slack
    # Each command asks for a symbol no earlier test asked for: it needs Yahoo (and the
    # fetch locks in Redis) while Redis goes away.
    commands = [f"quote TST{i % 6 + 1:04d} {SYMBOLS[i % len(SYMBOLS)]}" for i in range(24)]
    start = len(slack.calls)
    under_way = asyncio.ensure_future(send_burst(slack, cluster.ports, commands, team_id=TEAM))
    await asyncio.sleep(0.02)  # part of the burst sent, Redis in use by all three ...
    await cluster.redis_proxy.cut()  # ... and gone
    try:
        answers = await asyncio.wait_for(under_way, timeout=90)
        for text, answer in zip(commands, answers, strict=True):
            assert answer["text"].startswith(text.split()[1]), (text, answer["text"])
        # Each exactly once: an answer ready within the ack grace rode in the ack (and was
        # never posted, tests/test_slack_ack.py); the others were posted once each.
        posted = [c.path for c in since(slack.calls, start, "response")]
        assert len(posted) == len(set(posted)) <= len(commands)
        for port in cluster.ports:  # and still answering, with Redis away
            answer = await ask(slack, port, "quote TST0007", team_id=TEAM)
            assert answer["text"].startswith("TST0007")
        for bot in cluster.replicas:
            assert log_lines(bot, "is out of reach") == 1, bot.log()[-2000:]
    finally:
        await cluster.redis_proxy.restore()

    # Back: after the engine's pause each replica uses Redis again, and says so.
    async with asyncio.timeout(30):
        while not all(log_lines(b, "reachable again") for b in cluster.replicas):
            await asyncio.sleep(1)
            for port in cluster.ports:
                await ask(slack, port, "quote SPCX", team_id=TEAM)
    for bot in cluster.replicas:
        series = await metrics(bot.port)
        assert series["orbitdesk_redis_up"] == 1
        assert series["orbitdesk_redis_outages_total"] == 1  # one outage, one warning
        assert series["orbitdesk_redis_fallbacks_total"] >= 1


async def metrics(port: int) -> dict[str, float]:
    """The unlabelled series of a process's /metrics."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as resp,
    ):
        lines = (await resp.text()).splitlines()
    pairs = (line.split(" ") for line in lines if line and not line.startswith("#"))
    return {p[0]: float(p[1]) for p in pairs if len(p) == 2 and "{" not in p[0]}


async def test_a_scheduled_slot_is_posted_once_by_three_replicas(cluster: Cluster) -> None:
    slack = cluster.slack

    def posts() -> list[Call]:
        return [
            c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == SLOT_CHANNEL
        ]

    # Every replica's scheduler looks at the database at least every 30 s: within about
    # that time of the fixture's insert, all three find the slot due and race for it.
    async with asyncio.timeout(100):
        while [s for s, _ in await deliveries(cluster.database_url, cluster.schedule_id)] != [
            "posted"
        ]:
            await asyncio.sleep(0.5)
    await asyncio.sleep(3)  # a second post, if any, would have arrived by now
    [(_, claimer)] = await deliveries(cluster.database_url, cluster.schedule_id)
    assert any(f"-{bot.pid}-" in claimer for bot in cluster.replicas), claimer
    [post] = posts()
    assert post.token == TEAM_TOKEN  # the schedule's workspace, from the shared database
    assert "SPCX" in json.dumps(post.params) and "AMZN" in json.dumps(post.params)


async def test_a_yahoo_429_seen_by_one_replica_stops_the_others_asking(cluster: Cluster) -> None:
    slack, yahoo = cluster.slack, cluster.yahoo
    a, b, c = cluster.ports
    redis = Redis.from_url(cluster.redis_url)
    cooldown = f"{cluster.redis_prefix}md1:yahoo-cooldown"
    try:
        yahoo.fail("quote", "429")
        refused = await ask(slack, a, "quote TST0010", team_id=TEAM)
        assert "rate-limiting" in refused["text"], refused["text"]
        async with asyncio.timeout(10):  # A shares the cool-down through Redis
            while await redis.pttl(cooldown) <= 0:
                await asyncio.sleep(0.05)
        yahoo.fail("quote", None)  # Yahoo would answer now: only the cool-down stops B and C
        yahoo.reset_counts()
        for port, symbol in ((b, "TST0011"), (c, "TST0012")):  # nobody has these cached
            answer = await ask(slack, port, f"quote {symbol}", team_id=TEAM)
            assert "rate-limiting" in answer["text"], answer["text"]
        assert data_requests(yahoo.counts()) == {}
    finally:
        yahoo.fail("quote", None)
        await redis.aclose()
