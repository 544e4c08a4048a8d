"""What every chat adapter offers the runner and the scheduler."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from bot.response import Response


class PostError(Exception):
    """A scheduled post could not be delivered.

    `permanent` is True when retrying cannot help (missing permission, channel gone): the
    scheduler then disables the schedule and records `reason`.
    """

    def __init__(self, reason: str, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.permanent = permanent


class ChatAdapter(Protocol):
    name: str  # "discord", "slack"

    def routes(self) -> list[web.RouteDef]:
        """HTTP routes this adapter serves on the bot's shared listener (none for Discord).

        The runner mounts them before the listener starts, beside /healthz and /metrics; an
        adapter never binds a port of its own.
        """
        ...

    async def start(self) -> None:
        """Connect and begin taking commands; returns once connected."""
        ...

    async def stop(self) -> None:
        """Stop taking commands, finish in-flight ones (bounded), disconnect."""
        ...

    def is_ready(self) -> bool:
        """Connected and taking commands (for /healthz)."""
        ...

    async def post(self, channel_id: str, response: Response) -> None:
        """Send a Response to a channel unprompted (scheduled posts). Raises PostError."""
        ...
