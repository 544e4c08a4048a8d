"""SeenRecently: a repeat within the window is recognised; memory stays bounded."""

from __future__ import annotations

from bot.dedup import SeenRecently


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_repeat_within_the_window_is_recognised_and_forgotten_after_it() -> None:
    ticks = Ticks()
    seen = SeenRecently(ttl=10, clock=ticks)
    assert seen.first_time("t1") is True
    ticks.now = 9.9
    assert seen.first_time("t1") is False
    assert seen.first_time("t2") is True
    ticks.now = 10.1
    assert seen.first_time("t1") is True  # the window passed: Slack would refuse it anyway


def test_memory_is_bounded() -> None:
    seen = SeenRecently(ttl=1000, limit=3, clock=Ticks())
    for key in "abcde":
        assert seen.first_time(key)
    assert len(seen._seen) <= 4
    assert seen.first_time("a") is True  # the oldest went first
