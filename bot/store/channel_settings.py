"""Per-channel switches (cashtag answers): one row per channel, written with an upsert."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.db import Database
from bot.store.models import ChannelSetting


class ChannelSettingsStore:
    """Reads and writes `channel_settings`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def cashtags_on(self, platform: str, channel_id: str) -> bool:
        """Whether cashtags are answered in this channel (off unless turned on)."""
        async with self.db.session() as session:
            value = await session.scalar(
                select(ChannelSetting.cashtags).where(
                    ChannelSetting.platform == platform, ChannelSetting.channel_id == channel_id
                )
            )
            return bool(value)

    async def set_cashtags(
        self,
        platform: str,
        channel_id: str,
        guild_id: str | None,
        on: bool,
        *,
        by: str,
        now: datetime,
    ) -> None:
        """Turn cashtag answers on or off for a channel (two managers racing: the last wins)."""
        make_insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        stmt = make_insert(ChannelSetting).values(
            platform=platform,
            channel_id=channel_id,
            guild_id=guild_id,
            cashtags=on,
            updated_by=by,
            updated_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "channel_id"],
            set_={"cashtags": on, "updated_by": by, "updated_at": now, "guild_id": guild_id},
        )
        async with self.db.session() as session:
            await session.execute(stmt)
