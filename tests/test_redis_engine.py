"""RedisEngine against a real Redis behind a TCP proxy: what a blip does to pooled connections.

Needs a real Redis (ORBITDESK_TEST_REDIS_URL); skips with the reason when there is none
(but for the last test, which needs none).
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from bot.redis_engine import RedisEngine
from tests.fakes.tcp_proxy import TcpProxy
from tests.redis_fixtures import redis_url


async def test_connections_broken_while_idle_are_replaced_not_taken_for_an_outage(
    redis_prefix: str,
) -> None:
    """Redis (or the network) dropped every connection and came back before the next call:
    the idle connections in the pool are dead, and the next calls must open new ones, not
    answer without Redis (a Yahoo cool-down or a cache write lost for nothing)."""
    target = make_url(redis_url())
    proxy = await TcpProxy(target.host or "127.0.0.1", target.port or 6379).start()
    url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = RedisEngine(url, redis_prefix)
    try:

        async def ping(client: Redis) -> bool:
            await asyncio.sleep(0.05)  # held a moment, so the calls open several connections
            return bool(await client.ping())

        assert await asyncio.gather(*(engine.run(ping, False) for _ in range(4))) == [True] * 4
        await proxy.cut()  # every pooled connection is dropped ...
        await proxy.restore()  # ... and Redis is back before anyone notices

        async def put(client: Redis) -> bool:
            return bool(await client.set(engine.key("blip"), b"1", px=5000))

        assert [await engine.run(put, False) for _ in range(4)] == [True] * 4
        assert (engine.fallbacks, engine.outages, engine.up) == (0, 0, True)
    finally:
        await engine.close()
        await proxy.close()


async def test_an_answer_begun_before_an_outage_does_not_end_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A call already on the wire when Redis went away may bring its answer home after
    another call found Redis gone: that is not Redis coming back (the outage is logged once,
    and nothing says "reachable again"). Needs no Redis: the calls never touch the client."""
    engine = RedisEngine("redis://127.0.0.1:9/0")
    answered = asyncio.Event()

    async def in_flight(client: Redis) -> str:
        await answered.wait()
        return "answer from before"

    async def refused(client: Redis) -> str:
        raise ConnectionError("Connect call failed")

    caplog.set_level(logging.INFO, logger="bot.redis_engine")
    early = asyncio.create_task(engine.run(in_flight, "fallback"))
    await asyncio.sleep(0)  # on the wire
    await asyncio.sleep(0.001)  # the next call begins strictly later
    assert await engine.run(refused, "fallback") == "fallback"
    answered.set()
    assert await early == "answer from before"
    assert not engine.up and engine.outages == 1
    messages = [r.getMessage() for r in caplog.records]
    assert sum("is out of reach" in m for m in messages) == 1
    assert not any("reachable again" in m for m in messages)
    await engine.close()
