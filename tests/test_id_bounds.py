"""Ids a user types are checked before any query: too large or odd digits are usage errors."""

from __future__ import annotations

import pytest

from tests.conftest import Chat


@pytest.mark.parametrize(
    "text",
    [
        "schedule remove 2147483648",  # int32 overflow on PostgreSQL
        "schedule pause 99999999999999999999",
        "alert remove 9223372036854775808",  # int64 overflow in sqlite3
        "alert remove ١٢",  # Arabic-Indic digits: int() takes them
        "schedule resume ７",  # fullwidth digit
    ],
)
async def test_out_of_range_or_non_ascii_ids_are_usage_errors(chat: Chat, text: str) -> None:
    answer = await chat(text)
    assert answer.kind == "usage", answer.text
    assert answer.ephemeral
    assert "id" in answer.text


async def test_the_largest_id_is_simply_not_found(chat: Chat) -> None:
    answer = await chat("schedule remove 2147483647")
    assert answer.kind == "not_found", answer.text


async def test_the_limit_is_written_out_in_full(chat: Chat) -> None:
    answer = await chat("alert remove 2147483648")
    assert answer.text.splitlines()[0] == "id: must be at most 2147483647."
