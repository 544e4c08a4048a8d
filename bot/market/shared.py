"""What market-data replicas share: cached answers, who is fetching what, Yahoo's cool-down.

MarketData keeps its own in-process cache either way; a SharedCache sits behind it:

- `NoSharing` (no ORBITDESK_REDIS_URL): one process, nothing to share; every call is free and
  MarketData behaves exactly as it always did.
- `RedisSharedCache`: answers cached in Redis with the in-process TTLs, a short lock per key
  (`SET key token NX PX`) so one replica asks Yahoo while the others wait for its answer, and a
  cool-down key (with a TTL) that a 429 seen by any replica sets for all.

Redis out of reach: every call answers as `NoSharing` would (RedisEngine logs it once).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.redis_engine import RedisEngine

if TYPE_CHECKING:
    from redis.asyncio import Redis  # redis loads only when ORBITDESK_REDIS_URL is set

# Keys carry a format version: a replica running other code reads the other version's keys
# as misses instead of misreading them.
FORMAT = "md1"
LOCK_SECONDS = 10.0  # a lock whose holder died frees itself after this
COOLDOWN_KEY = "yahoo-cooldown"

_RELEASE = """
local released = 0
for i, key in ipairs(KEYS) do
  if redis.call('get', key) == ARGV[1] then
    redis.call('del', key)
    released = released + 1
  end
end
return released
"""


@dataclass
class SharedStats:
    hits: int = 0  # answers another replica fetched
    misses: int = 0
    waits: int = 0  # times this process waited for another replica's fetch
    publishes: int = 0


class SharedCache(Protocol):
    """The cache, locks and cool-down MarketData shares with other processes."""

    active: bool  # False: nothing is shared; MarketData skips these calls entirely
    stats: SharedStats

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The payloads stored under `keys` (absent keys left out)."""
        ...

    async def put_many(self, items: Mapping[str, tuple[bytes, float]]) -> None:
        """Store key -> (payload, seconds to keep it)."""
        ...

    async def claim(
        self, keys: Sequence[str], seconds: float = LOCK_SECONDS
    ) -> tuple[set[str], str]:
        """Take the fetch locks of `keys` that nobody holds: (keys won, token to release them)."""
        ...

    async def release(self, keys: Sequence[str], token: str) -> None: ...

    async def cooldown(self) -> float:
        """Seconds left of a Yahoo cool-down some replica started (0: none)."""
        ...

    async def start_cooldown(self, seconds: float) -> None: ...

    async def close(self) -> None: ...


class NoSharing:
    """One process: its own cache is the only one, it fetches everything itself."""

    active = False

    def __init__(self) -> None:
        self.stats = SharedStats()

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        return {}

    async def put_many(self, items: Mapping[str, tuple[bytes, float]]) -> None:
        return None

    async def claim(
        self, keys: Sequence[str], seconds: float = LOCK_SECONDS
    ) -> tuple[set[str], str]:
        return set(keys), ""

    async def release(self, keys: Sequence[str], token: str) -> None:
        return None

    async def cooldown(self) -> float:
        return 0.0

    async def start_cooldown(self, seconds: float) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisSharedCache:
    """The shared cache in Redis, under `{prefix}md1:`."""

    active = True

    def __init__(self, engine: RedisEngine) -> None:
        self.engine = engine
        self.stats = SharedStats()
        self._base = engine.key(FORMAT + ":")

    def _key(self, key: str) -> str:
        return self._base + key

    def _lock(self, key: str) -> str:
        return self._base + "lock:" + key

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        if not keys:
            return {}

        async def op(client: Redis) -> dict[str, bytes]:
            values = await client.mget([self._key(k) for k in keys])
            return {
                k: v if isinstance(v, bytes) else v.encode()
                for k, v in zip(keys, values, strict=True)
                if v is not None
            }

        nothing: dict[str, bytes] = {}
        found = await self.engine.run(op, nothing)
        self.stats.hits += len(found)
        self.stats.misses += len(keys) - len(found)
        return found

    async def put_many(self, items: Mapping[str, tuple[bytes, float]]) -> None:
        if not items:
            return

        async def op(client: Redis) -> None:
            async with client.pipeline(transaction=False) as pipe:
                for key, (payload, seconds) in items.items():
                    pipe.set(self._key(key), payload, px=max(1, int(seconds * 1000)))
                await pipe.execute()

        await self.engine.run(op, None)
        self.stats.publishes += len(items)

    async def claim(
        self, keys: Sequence[str], seconds: float = LOCK_SECONDS
    ) -> tuple[set[str], str]:
        token = uuid.uuid4().hex
        if not keys:
            return set(), token

        async def op(client: Redis) -> set[str]:
            async with client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(self._lock(key), token, nx=True, px=int(seconds * 1000))
                results = await pipe.execute()
            return {k for k, ok in zip(keys, results, strict=True) if ok}

        # Redis out of reach: every lock is "won", so this process fetches for itself.
        return await self.engine.run(op, set(keys)), token

    async def release(self, keys: Sequence[str], token: str) -> None:
        if not keys:
            return

        async def op(client: Redis) -> None:
            await client.eval(_RELEASE, len(keys), *[self._lock(k) for k in keys], token)

        await self.engine.run(op, None)

    async def cooldown(self) -> float:
        async def op(client: Redis) -> float:
            left = await client.pttl(self._key(COOLDOWN_KEY))
            return max(0.0, left / 1000) if left and left > 0 else 0.0

        return await self.engine.run(op, 0.0)

    async def start_cooldown(self, seconds: float) -> None:
        async def op(client: Redis) -> None:
            await client.set(self._key(COOLDOWN_KEY), b"1", px=max(1, int(seconds * 1000)))

        await self.engine.run(op, None)

    async def close(self) -> None:
        await self.engine.close()
