"""Errors a command may raise; the core turns each into a short, user-facing Response."""

from __future__ import annotations

from collections.abc import Sequence


class OrbitDeskError(Exception):
    """Base for errors whose message is safe to show in chat."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(OrbitDeskError):
    """The input does not fit the command: the user gets the message and the usage line."""

    kind = "usage"

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.usage = usage


class NotFound(OrbitDeskError):
    """The thing asked for does not exist (a symbol, a deal, a schedule)."""

    kind = "not_found"

    def __init__(self, message: str, *, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.suggestions = tuple(suggestions)


class Unavailable(OrbitDeskError):
    """A part of the bot itself is out of reach (the database): commands that need it say so,
    the others keep answering."""

    kind = "unavailable"


class UpstreamError(OrbitDeskError):
    """A data source failed. `reason` is one of REASONS."""

    kind = "upstream"
    # server_error: Yahoo answered HTTP 5xx (it is failing); bad_answer: it answered
    # something we could not read (garbage with a 200, an unexpected 4xx).
    REASONS = ("not_found", "rate_limited", "unreachable", "timeout", "server_error", "bad_answer")

    def __init__(self, reason: str, message: str) -> None:
        if reason not in self.REASONS:
            raise ValueError(f"unknown upstream reason {reason!r}")
        super().__init__(message)
        self.reason = reason


class Forbidden(OrbitDeskError):
    """The user may not do this here (e.g. change a channel's schedules without permission)."""

    kind = "forbidden"
