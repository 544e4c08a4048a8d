"""The database: engine and session factory from a URL, and Alembic migrations run in-process."""

from __future__ import annotations

import asyncio
import fcntl
import functools
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.errors import Unavailable
from bot.startup import database_problem

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic (~35 MB with its templates and autogenerate machinery) loads when migrations run or
# the revision is asked for, not with the engine.

log = logging.getLogger(__name__)

UNAVAILABLE = (
    "The database cannot be reached right now, so schedules, alerts and lists are unavailable "
    "until it is back. Quotes, charts and the deal book still work."
)

CONNECT_TIMEOUT = 5.0  # seconds, PostgreSQL
HERE = Path(__file__).resolve().parent
# Any constant works; it only has to be the same for every OrbitDesk process.
_MIGRATION_LOCK = 7_246_001


def alembic_config(url: str | None = None) -> Config:
    """Alembic's config pointing at the migrations shipped inside the package."""
    from alembic.config import Config

    cfg = Config(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    if url:
        cfg.attributes["url"] = url
    return cfg


_REVISION = re.compile(r"^revision(?:\s*:[^=]*)?=\s*[\"']([^\"']+)[\"']\s*$", re.MULTILINE)
_DOWN = re.compile(
    r"^down_revision(?:\s*:[^=]*)?=\s*(?:None|[\"']([^\"']+)[\"'])\s*$", re.MULTILINE
)


@functools.cache
def shipped_head() -> str | None:
    """The newest migration shipped, read from the version files without importing Alembic.

    The one revision no other file names as its down_revision. None when the files are not
    that simple (a merge, branches, a file this reader does not follow): then Alembic decides.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (HERE / "migrations" / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN.search(source)
        if len(revision) != 1 or down is None:
            return None
        revisions.add(revision[0])
        if down.group(1):
            parents.add(down.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(connection: Connection) -> str | None:
    """The revision in alembic_version (None: no table or no row), on `connection`."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class Database:
    """One engine per process. SQLite gets WAL and a busy timeout; PostgreSQL uses asyncpg.

    `schema` (PostgreSQL only) sets the search_path, which is how tests isolate each run.
    """

    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        connect_args: dict[str, Any] = {}
        self._sqlite_file: Path | None = None
        if self.dialect == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                self._sqlite_file = Path(database)
                self._sqlite_file.parent.mkdir(parents=True, exist_ok=True)
            connect_args["timeout"] = 30  # wait for another writer rather than fail
        elif self.dialect == "postgresql":
            # A server that does not answer fails in seconds, not asyncpg's default minute.
            connect_args["timeout"] = CONNECT_TIMEOUT
            if schema:
                connect_args["server_settings"] = {"search_path": schema}
        self.engine: AsyncEngine = create_async_engine(
            url, echo=echo, connect_args=connect_args, pool_pre_ping=self.dialect != "sqlite"
        )
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error.

        The database being out of reach (refused, gone, not migrated yet) comes out as
        `Unavailable`, which commands pass on as a clear answer instead of a traceback.
        """
        try:
            async with self.sessions() as session, session.begin():
                yield session
        except (OSError, OperationalError, InterfaceError) as exc:
            log.debug("database unavailable", exc_info=True)
            log.warning("database unavailable: %s", database_problem(exc))
            raise Unavailable(UNAVAILABLE) from exc

    async def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to `revision` (idempotent, safe for racing processes)."""
        if self._sqlite_file is None:
            async with self.engine.begin() as conn:
                await conn.run_sync(self._upgrade_sync, revision)
            return
        # SQLite has no advisory lock: two processes starting on a fresh file would both see
        # no schema and both create it. A lock file beside the database serialises them.
        lock = await asyncio.to_thread(
            _lock_file, self._sqlite_file.with_name(self._sqlite_file.name + ".migrate.lock")
        )
        try:
            async with self.engine.begin() as conn:
                await conn.run_sync(self._upgrade_sync, revision)
        finally:
            lock.close()  # closing the file releases the lock

    def _upgrade_sync(self, connection: Connection, revision: str) -> None:
        if connection.dialect.name == "postgresql":
            # Two replicas starting together must not both create the tables.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        head = shipped_head()
        if revision == "head" and head is not None and _stored_revision(connection) == head:
            return  # up to date: nothing for Alembic to do, so it is not even imported
        from alembic import command

        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async def is_current(self) -> bool:
        """True when the schema is at the shipped head, read without importing Alembic; False
        when it is behind, cannot be told without Alembic, or the database is out of reach."""
        head = shipped_head()
        if head is None:
            return False
        try:
            async with self.engine.connect() as conn:
                return await conn.run_sync(_stored_revision) == head
        except Exception:
            log.debug("schema check failed", exc_info=True)
            return False

    async def current_revision(self) -> str | None:
        """The revision the database is at (None: never migrated)."""
        from alembic.runtime.migration import MigrationContext

        async with self.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )

    async def ping(self) -> bool:
        """True when the database answers a trivial query (for /healthz)."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            log.warning("database ping failed", exc_info=True)
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


def _lock_file(path: Path) -> Any:
    """Open `path` and hold an exclusive lock on it until the returned file is closed."""
    handle = path.open("a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # blocks while another process migrates
    except BaseException:
        handle.close()
        raise
    return handle


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
