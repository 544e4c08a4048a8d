"""RedisEngine against a real Redis behind a TCP proxy: what a blip does to pooled connections.

Needs a real Redis (ORBITDESK_TEST_REDIS_URL); skips with the reason when there is none.
"""

from __future__ import annotations

import asyncio

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
