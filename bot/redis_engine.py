"""One Redis connection pool per process, for what replicas share (ORBITDESK_REDIS_URL).

Redis is an accelerator, never a dependency: every call goes through `run(op, fallback)`, which
answers `fallback` instead of raising when Redis is out of reach. The first failure of an outage
logs one warning; for `RETRY_AFTER` seconds after it no call touches Redis at all (so a dead
Redis costs nothing per command), then the next call tries again and, if it works, one info line
says Redis is back. `fallbacks` and `outages` feed the metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from redis.asyncio import Redis  # loaded by RedisEngine(), only when a Redis URL is set

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_AFTER = 2.0  # seconds without Redis after a failure, before trying it again
OP_TIMEOUT = 1.0  # longest one Redis call may take before we go on without it
CONNECT_TIMEOUT = 0.5


def redact(url: str) -> str:
    """The URL without its password, for logs."""
    head, sep, tail = url.rpartition("@")
    if not sep:
        return url
    scheme, _, _ = head.partition("://")
    return f"{scheme}://***@{tail}"


class RedisEngine:
    """A redis.asyncio client with outage handling; `prefix` starts every key it is given."""

    def __init__(self, url: str, prefix: str = "orbitdesk:") -> None:
        self.url = url
        self.prefix = prefix
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self.client: Redis = Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=OP_TIMEOUT,
            # One immediate retry, on a new connection: a pooled connection that died while
            # idle (Redis restarted, a proxy or NAT dropped it) must not count as an outage.
            # Longer outages are our own fallback's business, not redis-py's retries.
            retry=Retry(NoBackoff(), 1),
        )
        self.up = True
        self.fallbacks = 0  # calls answered without Redis
        self.outages = 0
        self._down_until = 0.0
        self._down_since = 0.0  # when the current outage was noticed

    def key(self, name: str) -> str:
        return self.prefix + name

    async def run(self, op: Callable[[Redis], Awaitable[T]], fallback: T) -> T:
        """`op(client)`'s answer, or `fallback` while Redis is out of reach (never raises)."""
        started = time.monotonic()
        if not self.up and started < self._down_until:
            self.fallbacks += 1
            return fallback
        try:
            async with asyncio.timeout(OP_TIMEOUT):
                result = await op(self.client)
        except Exception as exc:  # connection refused, reset, timeout, Redis errors alike
            self.fallbacks += 1
            now = time.monotonic()
            self._down_until = now + RETRY_AFTER
            if self.up:
                self.up = False
                self._down_since = now
                self.outages += 1
                log.warning(
                    "Redis at %s is out of reach (%s: %s); sharing with other replicas paused, "
                    "each process uses its own cache until it is back",
                    redact(self.url),
                    type(exc).__name__,
                    str(exc)[:160] or "no detail",
                )
            return fallback
        # Only a call begun after the outage was noticed says Redis is back: one already on
        # the wire may still bring its answer home after another call found Redis gone.
        if not self.up and started >= self._down_since:
            self.up = True
            log.info(
                "Redis at %s reachable again; replicas share market data again", redact(self.url)
            )
        return result

    async def ping(self) -> bool:
        async def op(client: Redis) -> bool:
            return bool(await client.ping())

        return await self.run(op, False)

    async def close(self) -> None:
        try:
            await self.client.aclose()
        except Exception:  # closing a pool whose server is gone
            log.debug("closing the Redis client failed", exc_info=True)
