"""`orbitdesk run`: start the configured adapters in one process and stop them cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from bot.adapters.base import ChatAdapter
from bot.app import App
from bot.config import Settings
from bot.http_server import HttpServer

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
    app.services.adapters = {a.name: a for a in adapters}
    http = HttpServer(settings.http_host, settings.http_port, app.metrics)
    for adapter in adapters:  # routes first: the listener's router freezes when it starts
        http.app.add_routes(adapter.routes())
    http.checks.extend(_ready_check(a) for a in adapters)
    http.checks.append(_database_check(app))
    app.services.http = http
    try:
        await app.start(migrate_apart=True)
        app.keep_migrating()  # the database away: /healthz says not ready until it is back
        await http.start()
        for adapter in adapters:
            await adapter.start()
            log.info("%s adapter connected", adapter.name)
        app.start_scheduler()  # posts need connected adapters
        await stop.wait()
        log.info("shutting down: finishing commands under way")
        await app.core.drain(timeout=settings.shutdown_grace)
    finally:
        for adapter in reversed(adapters):
            try:
                await asyncio.wait_for(adapter.stop(), timeout=10)
            except Exception:
                log.exception("%s adapter did not stop cleanly", adapter.name)
        await http.stop()
        await app.close()
    return 0


def _database_check(app: App) -> Callable[[], Awaitable[tuple[str, bool]]]:
    async def check() -> tuple[str, bool]:
        return "database", app.database_ready.is_set() and await app.database.ping()

    return check


def _ready_check(adapter: ChatAdapter) -> Callable[[], Awaitable[tuple[str, bool]]]:
    async def check() -> tuple[str, bool]:
        return adapter.name, adapter.is_ready()

    return check
