"""Scheduled posts and alerts for schedules made in the console: printed to the terminal."""

from __future__ import annotations

from aiohttp import web

from bot.adapters.base import PostKey
from bot.adapters.console import render
from bot.response import Response


class ConsolePoster:
    """The `console` platform's post(): prints the card while `orbitdesk console` runs."""

    name = "console"

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def routes(self) -> list[web.RouteDef]:
        return []

    def is_ready(self) -> bool:
        return True

    async def post(
        self,
        channel_id: str,
        response: Response,
        key: PostKey | None = None,
        *,
        guild_id: str | None = None,
    ) -> None:
        print(render(response, color=True))
