"""Values worked out from an object, kept while that same object comes back.

Commands hand out the same objects while the data behind them is cached (a quote's Card is
memoised on its Quote, a Refresh row on its command line), and so do the registry's command
specs: what is derived from one (its Discord embeds, its component JSON, its option names)
need only be worked out once. Keyed by identity, not by value (hashing a card costs about what
laying it out does); each object is kept beside its value, so its id cannot be reused by
another while the entry lives. Bounded: emptied when full. Values must not be changed once
made: every caller shares them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class IdentityMemo(Generic[K, V]):
    """`get(obj, make)`: `make(obj)`, worked out once per object (by identity)."""

    def __init__(self, kept: int = 512) -> None:
        self.kept = kept
        self._held: dict[int, tuple[K, V]] = {}

    def get(self, obj: K, make: Callable[[K], V]) -> V:
        held = self._held.get(id(obj))
        if held is not None and held[0] is obj:
            return held[1]
        value = make(obj)
        if len(self._held) >= self.kept:
            self._held.clear()
        self._held[id(obj)] = (obj, value)
        return value

    def __len__(self) -> int:
        return len(self._held)
