"""Alembic environment: uses the connection OrbitDesk hands it, or ORBITDESK_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.models import Base

target_metadata = Base.metadata


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _migrate_url(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(_migrate)
    await engine.dispose()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    # Run from the alembic CLI (developers): same URL rules as the bot.
    url = context.config.attributes.get("url") or os.environ.get("ORBITDESK_DATABASE_URL")
    if not url:
        from bot.config import Settings

        url = Settings().resolved_database_url
    asyncio.run(_migrate_url(url))


if context.is_offline_mode():
    raise SystemExit("OrbitDesk migrations run online only (orbitdesk db upgrade).")
run()
