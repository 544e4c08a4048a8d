"""Pages of a long answer: the `page=` parameter, the slice it picks and the footer naming it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from bot.errors import UsageError
from bot.registry import Param

T = TypeVar("T")

Page = Annotated[int, Param("page of results", min=1, max=50)]


@dataclass(frozen=True, slots=True)
class PageOf(Generic[T]):
    """The items on one page, which page it is, and how many there are."""

    items: Sequence[T]
    page: int
    pages: int
    total: int

    def data(self) -> dict[str, int]:
        """The numbers for Response.data: total, page, pages."""
        return {"total": self.total, "page": self.page, "pages": self.pages}

    def footer(self, noun: str, *notes: str) -> str:
        """'page 1 of 7 · 54 deals · <notes> · next: page=2'."""
        counted = noun.removesuffix("s") if self.total == 1 else noun  # "1 deal", "2 deals"
        bits = [f"page {self.page} of {self.pages}", f"{self.total} {counted}", *notes]
        if self.page < self.pages:
            bits.append(f"next: page={self.page + 1}")
        return " · ".join(bits)


def page_of(found: Sequence[T], page: int, size: int) -> PageOf[T]:
    """Page `page` (from 1) of `found`, `size` items a page; a UsageError past the last one."""
    pages = max(1, math.ceil(len(found) / size))
    if page > pages:
        raise UsageError(
            f"page: there {'is only 1 page' if pages == 1 else f'are only {pages} pages'}."
        )
    return PageOf(found[(page - 1) * size : page * size], page, pages, len(found))
