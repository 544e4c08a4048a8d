"""Database fixtures: the same tests on a SQLite file and on a real PostgreSQL.

PostgreSQL comes from ORBITDESK_TEST_DATABASE_URL (CI sets it), else the local default
postgresql+asyncpg://postgres@127.0.0.1:5432/test. When it cannot be reached the PostgreSQL
variants skip, saying why. Each test gets a fresh schema (search_path), dropped afterwards, so
reruns and parallel runs never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.store.db import Database
from bot.store.repo import Store

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

_probe: dict[str, str | None] = {}


def postgres_url() -> str:
    return os.environ.get("ORBITDESK_TEST_DATABASE_URL") or DEFAULT_PG_URL


async def _reachable(url: str) -> str | None:
    """None when PostgreSQL answers, else why not."""
    probe = Database(url)
    try:
        async with asyncio.timeout(3):
            async with probe.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc)[:120]}"
    finally:
        await probe.dispose()


async def require_postgres() -> str:
    url = postgres_url()
    if url not in _probe:
        _probe[url] = await _reachable(url)
    if _probe[url] is not None:
        pytest.skip(
            f"PostgreSQL not reachable at {url} ({_probe[url]}); set ORBITDESK_TEST_DATABASE_URL"
        )
    return url


class DatabaseFactory:
    """Opens Database objects on one backend; several may share one database (two 'processes')."""

    def __init__(self, backend: str, tmp_path: Path) -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self.schema = f"od_test_{uuid.uuid4().hex[:12]}"
        self.opened: list[Database] = []
        self.url = ""

    async def setup(self) -> None:
        if self.backend == "sqlite":
            self.url = f"sqlite+aiosqlite:///{self.tmp_path / 'orbitdesk.db'}"
            return
        self.url = await require_postgres()
        admin = Database(self.url)
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        await admin.dispose()

    def open(self) -> Database:
        schema = self.schema if self.backend == "postgres" else None
        database = Database(self.url, schema=schema)
        self.opened.append(database)
        return database

    async def teardown(self) -> None:
        for database in self.opened:
            await database.dispose()
        if self.backend == "postgres" and self.url:
            admin = Database(self.url)
            async with admin.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            await admin.dispose()


@pytest.fixture(params=BACKENDS)
async def databases(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(request.param, tmp_path)
    await factory.setup()
    try:
        yield factory
    finally:
        await factory.teardown()


@pytest.fixture
async def store(databases: DatabaseFactory) -> Store:
    database = databases.open()
    await database.upgrade()
    return Store(database)


StoreOpener = Callable[[], Awaitable[Store]]


@asynccontextmanager
async def fresh_postgres_database(prefix: str = "orbitdesk_fault") -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database (its URL), dropped on the way out; skips the test
    when PostgreSQL is out of reach. For fixtures of any scope (`fresh_postgres_url`, module
    fixtures sharing bot processes)."""
    admin_url = await require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = Database(admin_url)
    engine = admin.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        database = Database(url)
        await database.upgrade()
        await database.dispose()
        yield url
    finally:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
async def fresh_postgres_url() -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database, dropped afterwards, for bot processes (which
    connect by URL, so the per-test schema of `databases` cannot isolate them)."""
    async with fresh_postgres_database() as url:
        yield url
