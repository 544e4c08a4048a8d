"""bot.identity_memo: worked out once per object, never shared between equal objects."""

from __future__ import annotations

from bot.identity_memo import IdentityMemo


def test_the_same_object_is_worked_out_once_and_equal_ones_each_their_own() -> None:
    made: list[list[str]] = []

    def make(words: list[str]) -> str:
        made.append(words)
        return " ".join(words)

    memo: IdentityMemo[list[str], str] = IdentityMemo(kept=2)
    first, twin = ["quote", "SPCX"], ["quote", "SPCX"]
    assert memo.get(first, make) == memo.get(first, make) == "quote SPCX"
    assert made == [first]
    memo.get(twin, make)  # equal, but another object: not taken for the first
    assert len(made) == 2 and made[1] is twin
    memo.get(["chart"], make)  # a third object: the memo was full, so it starts again
    assert len(memo) == 1
    memo.get(first, make)
    assert len(made) == 4
