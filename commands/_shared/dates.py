"""Dates as precise as they are known (a day, a month, a quarter, a half, a year).

A month-only date is stored as its 1st but never shown or compared as that day: `span` gives
the days it may stand for, `date_text` and `date_data` write it back at its precision. The
deal book and the orbital claims both use these.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

Precision = Literal["day", "month", "quarter", "half", "year"]


def span(value: date, precision: Precision) -> tuple[date, date]:
    """The first and last day a date of this precision may stand for."""
    if precision == "day":
        return value, value
    if precision == "year":
        return date(value.year, 1, 1), date(value.year, 12, 31)
    months = {"month": 1, "quarter": 3, "half": 6}[precision]
    first = (value.month - 1) // months * months + 1
    start = date(value.year, first, 1)
    after = first + months
    end = (date(value.year + 1, 1, 1) if after > 12 else date(value.year, after, 1)) - timedelta(
        days=1
    )
    return start, end


def date_text(value: date, precision: Precision) -> str:
    """A date as precise as it is known: 2026-02-02, Jun 2025, Q3 2026, H1 2026, 2021."""
    if precision == "year":
        return f"{value.year}"
    if precision == "month":
        return value.strftime("%b %Y")
    if precision == "quarter":
        return f"Q{(value.month - 1) // 3 + 1} {value.year}"
    if precision == "half":
        return f"H{(value.month - 1) // 6 + 1} {value.year}"
    return value.isoformat()


def date_data(value: date, precision: Precision) -> str:
    """A partial ISO date for machine-readable data: 2025-06, 2026-Q3, 2026-H1, 2021."""
    if precision == "year":
        return f"{value.year}"
    if precision == "month":
        return f"{value.year}-{value.month:02d}"
    if precision in ("quarter", "half"):
        label, year = date_text(value, precision).split(" ")
        return f"{year}-{label}"
    return value.isoformat()
