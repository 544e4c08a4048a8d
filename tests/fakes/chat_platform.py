"""A chat platform that records posts (and fails on request), for scheduler tests.

It implements the ChatAdapter protocol the scheduler posts through; Discord and Slack have
their own fakes that speak their real protocols.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from bot.adapters.base import PostError, PostKey
from bot.response import Response


class Crash(BaseException):
    """Raised by a post to simulate the process dying mid-post (escapes `except Exception`)."""


@dataclass
class RecordingPlatform:
    """`posts` holds (channel_id, Response) in order; `fail_next` errors come out first."""

    name: str = "fake"
    delay: float = 0.0  # seconds each post takes (benchmarks)
    posts: list[tuple[str, Response]] = field(default_factory=list)
    fail_next: list[BaseException] = field(default_factory=list)
    fail_channels: dict[str, PostError] = field(default_factory=dict)  # always fail here
    attempts: int = 0
    keys: list[PostKey | None] = field(default_factory=list)
    guild_ids: list[str | None] = field(
        default_factory=list
    )  # the workspace of every attempt  # the key of every attempt

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
        self.attempts += 1
        self.keys.append(key)
        self.guild_ids.append(guild_id)
        if self.delay:
            await asyncio.sleep(self.delay)
        if channel_id in self.fail_channels:
            raise self.fail_channels[channel_id]
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.posts.append((channel_id, response))


def missing_permission() -> PostError:
    return PostError(
        "missing_permission", "the bot may not send messages in this channel", permanent=True
    )


def rate_limited() -> PostError:
    return PostError("rate_limited", "the platform asked us to slow down", permanent=False)
