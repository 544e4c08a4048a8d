"""Recognising a request seen moments ago (a replayed or retried delivery), across replicas.

The key is whatever names a delivery uniquely (Slack's trigger_id, an event's event_id).
`Deduplicator.first_time(key)` is True for exactly one caller among all processes sharing the
engine behind it:

- `SeenRecently`: this process only (keys kept `ttl` seconds, at most `limit`, oldest first).
- `RedisSeen`: `SET key 1 NX EX ttl` in Redis (ORBITDESK_REDIS_URL set).
- `DatabaseSeen`: a row in `seen_requests` (INSERT ... ON CONFLICT DO NOTHING), pruned as it
  goes, for replicas on one PostgreSQL without Redis.
- `Layered`: this process first (free, and it holds when the shared engine is out of reach),
  then the shared one; a shared engine that fails counts as "first time", never as a loss.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.clock import Clock
from bot.redis_engine import RedisEngine

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.store.repo import Store

log = logging.getLogger(__name__)

WINDOW = 600.0  # seconds: Slack refuses requests signed more than 5 minutes ago
PRUNE_EVERY = 300.0  # seconds between deletions of expired rows in seen_requests


class Deduplicator(Protocol):
    async def claim(self, key: str) -> bool:
        """True the first time any process offers `key` within the window."""
        ...


class SeenRecently:
    """This process only."""

    def __init__(
        self, ttl: float = WINDOW, limit: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.limit = limit
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, key: str) -> bool:
        """True the first time `key` is offered within the window; False for a repeat."""
        now = self._clock()
        while self._seen and (
            next(iter(self._seen.values())) < now or len(self._seen) > self.limit
        ):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now + self.ttl
        return True

    async def claim(self, key: str) -> bool:
        return self.first_time(key)


class RedisSeen:
    """Across replicas sharing a Redis; out of reach counts as "first time" (never a loss)."""

    def __init__(self, engine: RedisEngine, ttl: float = WINDOW) -> None:
        self.engine = engine
        self.ttl = ttl

    async def claim(self, key: str) -> bool:
        async def op(client: Redis) -> bool:
            name = self.engine.key("seen:" + key)
            return bool(await client.set(name, b"1", nx=True, ex=int(self.ttl)))

        return await self.engine.run(op, True)


class DatabaseSeen:
    """Across replicas sharing a database; unreachable counts as "first time"."""

    def __init__(self, store: Store, clock: Clock, ttl: float = WINDOW) -> None:
        self.store = store
        self.clock = clock
        self.ttl = ttl
        self._pruned_at = 0.0
        self._failing = False

    async def claim(self, key: str) -> bool:
        now = self.clock.now()
        try:
            await self._prune(now)
            first = await self.store.first_delivery(key, now + timedelta(seconds=self.ttl))
        except Exception as exc:  # the database out of reach: this process's memory decides
            if not self._failing:
                self._failing = True
                log.warning("cannot record request %s in the database (%s)", key, exc)
            return True
        self._failing = False
        return first

    async def _prune(self, now: datetime) -> None:
        if time.monotonic() - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = time.monotonic()
        await self.store.prune_deliveries_seen(now)


class Layered:
    """This process's memory first, then the engine replicas share."""

    def __init__(self, local: SeenRecently, shared: Deduplicator | None) -> None:
        self.local = local
        self.shared = shared

    async def claim(self, key: str) -> bool:
        if not self.local.first_time(key):
            return False
        return self.shared is None or await self.shared.claim(key)
