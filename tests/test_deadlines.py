"""bot.deadlines: one timer for every open deadline, TimeoutError only for its own cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from bot.deadlines import Deadlines


async def guarded(deadlines: Deadlines, seconds: float, work: Awaitable[object]) -> object:
    """What Core does around a command."""
    deadline = deadlines.start(seconds)
    try:
        return await work
    except asyncio.CancelledError:
        if deadlines.timed_out(deadline):
            raise TimeoutError from None
        raise
    finally:
        deadlines.end(deadline)


async def test_work_in_time_returns_and_leaves_nothing_open() -> None:
    deadlines = Deadlines()
    assert await guarded(deadlines, 1.0, asyncio.sleep(0, result="answer")) == "answer"
    assert len(deadlines) == 0


async def test_work_past_its_deadline_raises_timeout_error_about_then() -> None:
    deadlines = Deadlines()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        await guarded(deadlines, 0.05, asyncio.sleep(5))
    assert 0.04 <= loop.time() - started < 1.0
    assert len(deadlines) == 0


async def test_each_of_many_deadlines_fires_at_its_own_time() -> None:
    deadlines = Deadlines()
    loop = asyncio.get_running_loop()
    started = loop.time()
    ended: dict[float, float] = {}

    async def one(limit: float) -> None:
        try:
            await guarded(deadlines, limit, asyncio.sleep(5))
        except TimeoutError:
            ended[limit] = loop.time() - started

    fast = [asyncio.create_task(guarded(deadlines, 1.0, asyncio.sleep(0.01))) for _ in range(20)]
    await asyncio.gather(one(0.15), one(0.05), one(0.1), *fast)
    assert sorted(ended) == [0.05, 0.1, 0.15]
    for limit, took in ended.items():
        assert limit - 0.01 <= took < limit + 0.5, (limit, took)
    assert len(deadlines) == 0


async def test_a_cancel_from_outside_stays_a_cancel() -> None:
    deadlines = Deadlines()
    task = asyncio.create_task(guarded(deadlines, 5.0, asyncio.sleep(5)))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(deadlines) == 0


async def test_a_task_may_nest_deadlines_and_the_inner_one_fires_alone() -> None:
    deadlines = Deadlines()

    async def outer() -> str:
        try:
            await guarded(deadlines, 0.05, asyncio.sleep(5))
        except TimeoutError:
            return await guarded(deadlines, 1.0, asyncio.sleep(0, result="outer went on"))
        return "inner did not time out"

    assert await guarded(deadlines, 2.0, outer()) == "outer went on"
    assert len(deadlines) == 0


def test_deadlines_work_on_each_new_loop() -> None:
    """Tests (and restarts) run loops one after another: the timer left armed on a closed
    loop (for a deadline met in time) serves nothing on the next."""
    deadlines = Deadlines()
    asyncio.run(guarded(deadlines, 0.5, asyncio.sleep(0)))  # met: its timer stays armed
    with pytest.raises(TimeoutError):
        asyncio.run(guarded(deadlines, 0.6, asyncio.sleep(3)))  # later than the old timer
