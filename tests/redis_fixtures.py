"""Redis fixtures: a real Redis for the scale-out tests, skipped with a reason when absent.

Redis comes from ORBITDESK_TEST_REDIS_URL (CI sets it), else redis://127.0.0.1:6379/0. Each
test gets its own key prefix (`redis_prefix`), whose keys are deleted afterwards, so reruns and
parallel runs never see each other's values.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

_probe: dict[str, str | None] = {}


def redis_url() -> str:
    return os.environ.get("ORBITDESK_TEST_REDIS_URL") or DEFAULT_REDIS_URL


async def _reachable(url: str) -> str | None:
    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        async with asyncio.timeout(3):
            await client.ping()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc)[:120]}"
    finally:
        await client.aclose()


async def require_redis() -> str:
    url = redis_url()
    if url not in _probe:
        _probe[url] = await _reachable(url)
    if _probe[url] is not None:
        pytest.skip(f"Redis not reachable at {url} ({_probe[url]}); set ORBITDESK_TEST_REDIS_URL")
    return url


async def delete_prefix(url: str, prefix: str) -> int:
    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=prefix + "*", count=500)]
        if keys:
            await client.delete(*keys)
        return len(keys)
    finally:
        await client.aclose()


@asynccontextmanager
async def own_key_prefix(kind: str = "od_test") -> AsyncIterator[str]:
    """A key prefix nobody else uses in the test Redis, its keys deleted on the way out
    (skips when Redis is absent). For fixtures of any scope."""
    url = await require_redis()
    prefix = f"{kind}_{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        await delete_prefix(url, prefix)


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own in the test Redis (skips when Redis is absent)."""
    async with own_key_prefix() as prefix:
        yield prefix
