"""A running App with the real Discord adapter logged into the fake gateway, for platform tests.

    async with running_discord_bot(lambda more: make_settings(tmp_path, yahoo.base_url, **more),
                           clock) as (fake, adapter):
        ...

The caller builds the settings (its own data dir, fake Yahoo, EDGAR and so on); this adds the
fake Discord's token and addresses, starts the app and the adapter, registers the adapter for
scheduled posts, and stops all three afterwards, whatever the test did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.adapters.discord_adapter import DiscordAdapter
from bot.app import App
from bot.clock import Clock
from bot.config import Settings
from tests.fakes.discord_server import FakeDiscord


@asynccontextmanager
async def running_discord_bot(
    settings_with: Callable[[dict[str, Any]], Settings], clock: Clock
) -> AsyncIterator[tuple[FakeDiscord, DiscordAdapter]]:
    fake = await FakeDiscord().start()
    app = App.build(
        settings_with(
            {
                "discord_token": "fake-token",
                "discord_api_base": fake.api_base,
                "discord_gateway_url": fake.gateway_url,
            }
        ),
        clock=clock,
    )
    try:
        await app.start()
        adapter = DiscordAdapter(app, guild_ready_timeout=0.05)
        await adapter.start()
        app.services.adapters = {"discord": adapter}
        try:
            yield fake, adapter
        finally:
            await adapter.stop()
    finally:
        await app.close()
        await fake.close()
