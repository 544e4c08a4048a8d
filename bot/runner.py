"""`orbitdesk run`: start the configured adapters in one process and stop them cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.adapters.base import ChatAdapter
from bot.app import App
from bot.config import Settings

log = logging.getLogger(__name__)


def build_adapters(app: App, *, discord: bool, slack: bool) -> list[ChatAdapter]:
    adapters: list[ChatAdapter] = []
    if discord:
        from bot.adapters.discord_adapter import DiscordAdapter

        adapters.append(DiscordAdapter(app))
    if slack:
        from bot.adapters.slack_adapter import SlackAdapter

        adapters.append(SlackAdapter(app))
    return adapters


async def run_adapters(settings: Settings, *, discord: bool, slack: bool) -> int:
    """Run until SIGTERM or SIGINT, then stop adapters and close services; exit code 0."""
    app = App.build(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    adapters = build_adapters(app, discord=discord, slack=slack)
    app.services.extra["adapters"] = {a.name: a for a in adapters}
    try:
        await app.start()
        for adapter in adapters:
            await adapter.start()
            log.info("%s adapter connected", adapter.name)
        app.start_scheduler()  # posts need connected adapters
        await stop.wait()
        log.info("shutting down")
    finally:
        for adapter in reversed(adapters):
            try:
                await asyncio.wait_for(adapter.stop(), timeout=10)
            except Exception:
                log.exception("%s adapter did not stop cleanly", adapter.name)
        await app.close()
    return 0
