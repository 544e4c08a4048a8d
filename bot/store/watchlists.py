"""Watchlist queries: a person's list across a server's channels, and each channel's list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.db import Database
from bot.store.keys import ListKey, ListScope
from bot.store.models import WatchlistEntry

__all__ = ["ListKey", "ListScope", "WatchlistStore"]

_CHUNK = 500  # owners per query (well under SQLite's bound-parameter limit)


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """What `add` did: symbols added, already there, or (all) refused because of the limit."""

    added: tuple[str, ...]
    already: tuple[str, ...]
    over_limit: tuple[str, ...]
    size: int  # the list's length afterwards


class WatchlistStore:
    """Reads and writes `watchlist_entries`; every change is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def symbols(self, key: ListKey) -> list[str]:
        """The list's symbols in the order they were added."""
        async with self.db.session() as session:
            result = await session.scalars(
                select(WatchlistEntry.symbol)
                .where(*_match(key))
                .order_by(WatchlistEntry.added_at, WatchlistEntry.id)
            )
            return list(result)

    async def add(
        self, key: ListKey, symbols: Sequence[str], *, by: str, now: datetime, limit: int
    ) -> AddOutcome:
        """Add the symbols not yet on the list, unless that would make it longer than `limit`."""
        async with self.db.session() as session:
            existing = set(await session.scalars(select(WatchlistEntry.symbol).where(*_match(key))))
            wanted = list(dict.fromkeys(symbols))
            already = tuple(s for s in wanted if s in existing)
            fresh = [s for s in wanted if s not in existing]
            # All or nothing: a list never ends up with an arbitrary part of what was asked.
            fits = len(existing) + len(fresh) <= limit
            accepted, refused = (fresh, ()) if fits else ([], tuple(fresh))
            if accepted:
                make_insert = (
                    postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
                )
                stmt = (
                    make_insert(WatchlistEntry)
                    .values(
                        [
                            {
                                "platform": key.platform,
                                "scope": key.scope.value,
                                "guild_id": key.guild,
                                "owner": key.owner,
                                "symbol": symbol,
                                "added_by": by,
                                "added_at": now,
                            }
                            for symbol in accepted
                        ]
                    )
                    # Two adds racing for the same symbol: the second is a no-op, not an error.
                    .on_conflict_do_nothing(
                        index_elements=["platform", "scope", "guild_id", "owner", "symbol"]
                    )
                )
                await session.execute(stmt)
            size = int(
                await session.scalar(
                    select(func.count()).select_from(WatchlistEntry).where(*_match(key))
                )
                or 0
            )
        return AddOutcome(tuple(accepted), already, refused, size)

    async def remove(self, key: ListKey, symbols: Sequence[str]) -> list[str]:
        """Remove symbols; returns those that were on the list."""
        async with self.db.session() as session:
            result = await session.scalars(
                delete(WatchlistEntry)
                .where(*_match(key), WatchlistEntry.symbol.in_(list(symbols)))
                .returning(WatchlistEntry.symbol)
            )
            gone = set(result)
        return [s for s in dict.fromkeys(symbols) if s in gone]

    async def clear(self, key: ListKey) -> int:
        """Empty the list; returns how many symbols it held."""
        async with self.db.session() as session:
            result = await session.execute(delete(WatchlistEntry).where(*_match(key)))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def many(self, keys: Sequence[ListKey]) -> dict[ListKey, list[str]]:
        """Several lists at once (the scheduler's watchlist posts of a tick), each in the
        order its symbols were added; a list with no symbols maps to []."""
        wanted = list(dict.fromkeys(keys))
        found: dict[ListKey, list[str]] = {key: [] for key in wanted}
        owners = sorted({key.owner for key in wanted})
        async with self.db.session() as session:
            for i in range(0, len(owners), _CHUNK):
                result = await session.execute(
                    select(
                        WatchlistEntry.platform,
                        WatchlistEntry.scope,
                        WatchlistEntry.guild_id,
                        WatchlistEntry.owner,
                        WatchlistEntry.symbol,
                    )
                    .where(WatchlistEntry.owner.in_(owners[i : i + _CHUNK]))
                    .order_by(WatchlistEntry.added_at, WatchlistEntry.id)
                )
                for platform, scope, guild, owner, symbol in result:
                    key = ListKey(platform, ListScope(scope), guild, owner)
                    if key in found:
                        found[key].append(symbol)
        return found

    async def server_symbols(self, platform: str, guild: str | None) -> list[str]:
        """Every symbol on any list of a server (outside one: on lists kept outside servers)."""
        async with self.db.session() as session:
            result = await session.scalars(
                select(WatchlistEntry.symbol)
                .where(
                    WatchlistEntry.platform == platform, WatchlistEntry.guild_id == (guild or "")
                )
                .order_by(WatchlistEntry.id)
            )
            return list(dict.fromkeys(result))

    async def count(self) -> int:
        async with self.db.session() as session:
            return int(await session.scalar(select(func.count(WatchlistEntry.id))) or 0)


def _match(key: ListKey) -> list[ColumnElement[bool]]:
    return [
        WatchlistEntry.platform == key.platform,
        WatchlistEntry.scope == key.scope.value,
        WatchlistEntry.guild_id == key.guild,
        WatchlistEntry.owner == key.owner,
    ]
