"""Recognising a request seen moments ago (a replayed or retried delivery), in one process.

The key is whatever names a delivery uniquely (Slack's trigger_id). Keys are kept for `ttl`
seconds and at most `limit` of them, oldest dropped first, so memory stays bounded.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class SeenRecently:
    def __init__(
        self, ttl: float = 600.0, limit: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.limit = limit
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, key: str) -> bool:
        """True the first time `key` is offered within the window; False for a repeat."""
        now = self._clock()
        while self._seen and (
            next(iter(self._seen.values())) < now or len(self._seen) > self.limit
        ):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now + self.ttl
        return True
