"""Keys and limits of stored rows that commands use without the database layer.

Nothing here imports SQLAlchemy: `orbitdesk ask help` builds the command registry, and every
command module, without loading it (bot.store.models and bot.store.watchlists re-export these).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Row ids are 32-bit on every backend (PostgreSQL INTEGER); commands refuse larger ids before
# any query rather than let the driver overflow.
MAX_ROW_ID = 2**31 - 1


class ListScope(StrEnum):
    USER = "user"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class ListKey:
    """Which list: platform + server + (user or channel). `guild` is "" outside a server."""

    platform: str
    scope: ListScope
    guild: str
    owner: str

    @classmethod
    def of_user(cls, platform: str, guild: str | None, user: str) -> ListKey:
        return cls(platform, ListScope.USER, guild or "", user)

    @classmethod
    def of_channel(cls, platform: str, guild: str | None, channel: str) -> ListKey:
        return cls(platform, ListScope.CHANNEL, guild or "", channel)
