"""What every chat adapter offers the runner and the scheduler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.response import Response

if TYPE_CHECKING:
    from aiohttp import web  # only for the routes' type: importing this costs no aiohttp


@dataclass(frozen=True, slots=True)
class PostKey:
    """Names one scheduled post so that sending it twice shows it once.

    `id` is the same in every process (the delivery row's id). `maybe_sent` is set when an
    earlier attempt may have reached the platform (a claim taken over after its process
    stopped, or a retry after a timeout): the adapter then makes sure it was not, using the
    platform's own means (Discord's enforced nonce, Slack message metadata).
    """

    id: str
    maybe_sent: bool = False


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

    async def post(
        self,
        channel_id: str,
        response: Response,
        key: PostKey | None = None,
        *,
        guild_id: str | None = None,
    ) -> None:
        """Send a Response to a channel unprompted (scheduled posts). Raises PostError.

        With a key, posting the same key again (any process) must not show a second message.
        `guild_id` is the Discord guild or Slack workspace of the channel (a Slack app
        installed in many workspaces posts with that workspace's token).
        """
        ...


def serves(adapter: ChatAdapter, guild_id: str | None) -> bool:
    """Whether this process posts for `guild_id` through `adapter`.

    An adapter that runs only part of its platform (some of a Discord bot's shards) sets its
    `serves` attribute to a function of the guild id; the scheduler then leaves other guilds'
    posts to the processes that hold them. Adapters without one (or with None) post everything.
    """
    check = getattr(adapter, "serves", None)
    return True if check is None else bool(check(guild_id))
