"""Deadlines for awaits, all served by one timer.

`asyncio.timeout` schedules and cancels a timer for every use; a command answered from cache
in tens of microseconds spent a fair share of them on that. Here every open deadline shares
one timer, set for the earliest of them: a burst of commands with the same limit arms it once,
and a command that ends in time only leaves the set. When a deadline passes, its task is
cancelled, and `timed_out` tells that cancellation apart from any other (as asyncio.timeout
does, by the task's cancel count), so the caller raises TimeoutError only for its own: see
Core._dispatch for the use (start, await, timed_out in `except CancelledError`, end).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

# A timer may run up to the loop's clock resolution early (asyncio's own rule for "ready").
_EARLY = 1e-3


@dataclass(slots=True, eq=False)
class Deadline:
    """One open deadline: the task it guards and when (loop time) it passes."""

    task: asyncio.Task[Any]
    at: float
    cancelling: int  # the task's cancel requests when the deadline started
    expired: bool = False


class Deadlines:
    """Open deadlines of one event loop, and the one timer that serves them."""

    def __init__(self) -> None:
        self._open: set[Deadline] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def start(self, seconds: float) -> Deadline:
        """A deadline `seconds` from now for the current task."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline needs a running task")
        loop = task.get_loop()
        if loop is not self._loop:  # a new loop (tests run many): nothing of the old one holds
            self._open.clear()
            self._loop, self._timer, self._timer_at = loop, None, math.inf
        deadline = Deadline(task, loop.time() + seconds, task.cancelling())
        self._open.add(deadline)
        if deadline.at < self._timer_at:
            self._arm(deadline.at)
        return deadline

    def end(self, deadline: Deadline) -> None:
        """The guarded await is over (in time or not)."""
        self._open.discard(deadline)

    @staticmethod
    def timed_out(deadline: Deadline) -> bool:
        """In an `except CancelledError` around the guarded await: True when this deadline's
        cancellation caused it (then it is taken back, and the caller raises TimeoutError)."""
        return deadline.expired and deadline.task.uncancel() <= deadline.cancelling

    def __len__(self) -> int:
        return len(self._open)

    def _arm(self, at: float) -> None:
        assert self._loop is not None
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_at(at, self._sweep)
        self._timer_at = at

    def _sweep(self) -> None:
        assert self._loop is not None
        self._timer, self._timer_at = None, math.inf
        now = self._loop.time() + _EARLY
        following = math.inf
        for deadline in list(self._open):
            if deadline.expired:
                continue
            if deadline.at <= now:
                deadline.expired = True
                deadline.task.cancel()
            elif deadline.at < following:
                following = deadline.at
        if following < math.inf:
            self._arm(following)
