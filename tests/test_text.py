"""Table tests for the small text helpers in bot/text.py."""

from __future__ import annotations

import pytest

from bot.text import plural


@pytest.mark.parametrize(
    ("count", "noun", "plural_form", "expected"),
    [
        (1, "schedule", None, "1 schedule"),
        (0, "schedule", None, "0 schedules"),
        (2, "face", None, "2 faces"),
        (1_200, "alert", None, "1,200 alerts"),
        (1, "match", "matches", "1 match"),
        (3, "match", "matches", "3 matches"),
    ],
)
def test_plural_counts_nouns(count: int, noun: str, plural_form: str | None, expected: str) -> None:
    assert plural(count, noun, plural_form) == expected
