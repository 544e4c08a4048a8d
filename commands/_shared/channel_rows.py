"""What schedules and alerts share: the store, and which rows a chat may see and change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.context import Context

if TYPE_CHECKING:
    from bot.store.repo import Store


class ChannelRow(Protocol):
    """A stored row that belongs to a channel of a platform (a schedule or an alert)."""

    platform: str
    channel_id: str
    guild_id: str | None


def store_of(ctx: Context) -> Store:
    """The database store the app was built with."""
    return ctx.services.store


def belongs_here(ctx: Context, row: ChannelRow | None) -> bool:
    """True when `row` is this server's or workspace's (or, outside one, this channel's)."""
    if row is None or row.platform != ctx.platform:
        return False
    if ctx.channel.guild_id:
        return row.guild_id == ctx.channel.guild_id
    return row.channel_id == ctx.channel.id
