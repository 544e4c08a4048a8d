"""The numbers a chart states in its title: start price, last price and % change over the range."""

from __future__ import annotations

from dataclasses import dataclass

from bot.charts.timeline import extended_flags
from bot.market.types import History


@dataclass(frozen=True, slots=True)
class RangeChange:
    """How a symbol moved over the charted range."""

    base: float  # what the change is measured from
    base_kind: str  # "previous close" (1-day charts) or "first close"
    first_close: float
    last_close: float
    bars: int
    # 1-day charts: the latest pre-market/after-hours price when bars after the last regular
    # one exist (the change itself is the regular session's, as on a quote page).
    extended_last: float | None = None

    @property
    def change(self) -> float:
        return self.last_close - self.base

    @property
    def change_pct(self) -> float:
        return (self.last_close / self.base - 1.0) * 100.0 if self.base else 0.0


def range_change(history: History) -> RangeChange:
    """Change over the range: what a quote page says for 1 day, first to last bar otherwise.

    A 1-day chart compares the regular session's last close with the previous close, so it
    matches the day's change on a quote; later after-hours bars are reported separately.
    Longer ranges compare the last bar drawn with the first one.
    """
    bars = list(history.bars)
    if not bars:
        raise ValueError("range_change needs at least one bar")
    if history.range == "1d" and history.previous_close:
        flags = extended_flags(history)
        regular = [b for b, extended in zip(bars, flags, strict=True) if not extended] or bars
        return RangeChange(
            history.previous_close,
            "previous close",
            regular[0].close,
            regular[-1].close,
            len(bars),
            extended_last=bars[-1].close if bars[-1] is not regular[-1] else None,
        )
    return RangeChange(bars[0].close, "first close", bars[0].close, bars[-1].close, len(bars))


def percent_series(closes: tuple[float, ...]) -> list[float]:
    """Closes as % change from the first one (compare charts)."""
    if not closes or not closes[0]:
        return [0.0] * len(closes)
    start = closes[0]
    return [(c / start - 1.0) * 100.0 for c in closes]
