"""The x-axis of a chart: bars placed by index so closed hours and days take no space.

A price chart drawn against real time shows every night, weekend and holiday as a flat line.
Here each bar gets the next integer x instead, and tick labels name the local date or time of
the bar under them. Compare charts put several symbols on one such axis, aligned on time
(intraday) or on each exchange's own trading date (daily and longer).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.market.types import Bar, History

INTRADAY_SUFFIXES = ("m", "h")
MAX_TICKS = 8


def is_intraday(interval: str) -> bool:
    """True for minute and hour bars ("5m", "1h"), False for "1d", "1wk", "1mo"."""
    return interval.endswith(INTRADAY_SUFFIXES)


def zone(name: str) -> ZoneInfo:
    """The IANA zone Yahoo named, or UTC when it named none we know."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_times(bars: Sequence[Bar], tz: ZoneInfo) -> list[datetime]:
    """Each bar's start in the exchange's zone (daily bars: the trading date at midnight)."""
    return [b.time.astimezone(tz) for b in bars]


def extended_flags(history: History) -> list[bool]:
    """For intraday bars: True where the bar lies outside every regular session."""
    if not is_intraday(history.interval) or not history.sessions:
        return [False] * len(history.bars)
    sessions = sorted(history.sessions)
    starts = [s for s, _ in sessions]
    flags = []
    for bar in history.bars:
        i = bisect.bisect_right(starts, bar.time) - 1
        flags.append(not (i >= 0 and bar.time < sessions[i][1]))
    return flags


def runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """(first, last) index of each run of True values."""
    out: list[tuple[int, int]] = []
    start: int | None = None
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(flags) - 1))
    return out


def split_runs(spans: Sequence[tuple[int, int]], breaks: Sequence[int]) -> list[tuple[int, int]]:
    """Cut each (first, last) span where a new day starts (after-hours, then next pre-market)."""
    out = []
    for first, last in spans:
        start = first
        for cut in breaks:
            if start < cut <= last:
                out.append((start, cut - 1))
                start = cut
        out.append((start, last))
    return out


def day_breaks(stamps: Sequence[datetime]) -> list[int]:
    """Indexes where a new local day starts (for separators on multi-day intraday charts)."""
    return [i for i in range(1, len(stamps)) if stamps[i].date() != stamps[i - 1].date()]


@dataclass(frozen=True, slots=True)
class _Level:
    key: Callable[[datetime], Hashable]
    label: Callable[[datetime], str]
    # Whether the first bar itself sits on a boundary of this level (so it gets a tick too).
    starts: Callable[[datetime], bool]


def _hourly(step: int) -> _Level:
    return _Level(
        key=lambda d: (d.date(), d.hour // step),
        label=lambda d: d.strftime("%H:%M"),
        starts=lambda d: d.minute == 0 and d.hour % step == 0,
    )


def _month_label(d: datetime) -> str:
    return str(d.year) if d.month == 1 else d.strftime("%b")


_INTRADAY_LEVELS = (
    _Level(
        key=lambda d: (d.date(), d.hour, d.minute // 30),
        label=lambda d: d.strftime("%H:%M"),
        starts=lambda d: d.minute in (0, 30),
    ),
    *(_hourly(step) for step in (1, 2, 3, 4, 6)),
    _Level(key=lambda d: d.date(), label=lambda d: d.strftime("%a %d"), starts=lambda d: True),
    _Level(
        key=lambda d: d.isocalendar()[:2],
        label=lambda d: d.strftime("%b %d"),
        starts=lambda d: False,
    ),
)


def _years(n: int) -> _Level:
    """Ticks every `n` years."""
    return _Level(key=lambda d: d.year // n, label=lambda d: str(d.year), starts=lambda d: False)


_DAILY_LEVELS = (
    _Level(key=lambda d: d.date(), label=lambda d: d.strftime("%b %d"), starts=lambda d: False),
    _Level(
        key=lambda d: d.isocalendar()[:2],
        label=lambda d: d.strftime("%b %d"),
        starts=lambda d: False,
    ),
    _Level(key=lambda d: (d.year, d.month), label=_month_label, starts=lambda d: False),
    _Level(key=lambda d: (d.year, (d.month - 1) // 3), label=_month_label, starts=lambda d: False),
    *(_years(n) for n in (1, 2, 5, 10, 25)),
)


def pick_ticks(
    stamps: Sequence[datetime], intraday: bool, max_ticks: int = MAX_TICKS
) -> list[tuple[int, str]]:
    """(index, label) pairs at natural boundaries (hours, days, months, years), at most max_ticks.

    Tries the finest level first and keeps the first that fits, so a 1-day chart gets hours,
    a 5-day chart days, a year months or quarters, and a decade years.
    """
    if not stamps:
        return []
    levels = _INTRADAY_LEVELS if intraday else _DAILY_LEVELS
    level = levels[0]
    indexes: list[int] = []
    for level in levels:
        # Where each boundary falls; labels only for the level that is kept.
        indexes = [0] if level.starts(stamps[0]) else []
        keys = [level.key(stamp) for stamp in stamps]
        indexes.extend(i for i in range(1, len(keys)) if keys[i] != keys[i - 1])
        if len(indexes) <= max_ticks:
            break
    indexes = indexes[:: max(1, -(-len(indexes) // max_ticks))]
    chosen = [(i, level.label(stamps[i])) for i in indexes]
    # Boundaries can sit next to each other (Tokyo's close, then New York's pre-market on a
    # compare chart); labels that close would print over each other.
    gap = len(stamps) / (max_ticks * 1.6)
    spaced: list[tuple[int, str]] = []
    for index, label in chosen:
        if not spaced or index - spaced[-1][0] >= gap:
            spaced.append((index, label))
    return spaced


@dataclass(frozen=True, slots=True)
class Aligned:
    """Several symbols on one compressed axis: the axis stamps and each series' points."""

    stamps: tuple[datetime, ...]  # local time (display zone) of each x position
    # Per history: (x positions, closes), in bar order; positions index into `stamps`.
    series: tuple[tuple[tuple[int, ...], tuple[float, ...]], ...]


def align(histories: Sequence[History], display_tz: ZoneInfo) -> Aligned:
    """Put histories on one x-axis without inventing values for days a market was shut.

    Intraday bars align on their UTC time; daily and longer bars on the trading date in their
    own exchange's zone (Tokyo's Monday and New York's Monday are one x position, though they
    are 13 hours apart). A symbol that did not trade at some position simply has no point
    there: its line runs straight to its next bar, never through a made-up value.
    """
    intraday = any(is_intraday(h.interval) for h in histories)
    keyed: list[list[tuple[datetime | date, float]]] = []
    for history in histories:
        tz = zone(history.exchange_tz)
        rows: dict[datetime | date, float] = {}
        for bar in history.bars:
            key: datetime | date = bar.time if intraday else bar.time.astimezone(tz).date()
            rows[key] = bar.close  # a later duplicate (Yahoo's live bar) wins
        keyed.append(list(rows.items()))
    keys = sorted({k for rows in keyed for k, _ in rows})
    position = {k: i for i, k in enumerate(keys)}
    stamps = tuple(
        k.astimezone(display_tz)
        if isinstance(k, datetime)
        else datetime(k.year, k.month, k.day, tzinfo=display_tz)
        for k in keys
    )
    series = tuple(
        (tuple(position[k] for k, _ in rows), tuple(v for _, v in rows)) for rows in keyed
    )
    return Aligned(stamps=stamps, series=series)


def interval_seconds(interval: str) -> int | None:
    """Seconds in an intraday Yahoo interval ("5m", "1h"); None for daily and longer."""
    if interval.endswith("m") and interval[:-1].isdigit():
        return int(interval[:-1]) * 60
    if interval.endswith("h") and interval[:-1].isdigit():
        return int(interval[:-1]) * 3600
    return None


def segments(
    positions: Sequence[int], stamps: Sequence[datetime], max_gap_seconds: float
) -> list[slice]:
    """Slices of one series between its trading breaks (nights, weekends, lunch in Tokyo).

    On a compare chart another market's bars fill those hours; joining across them would draw
    a line through a time this market was shut.
    """
    cuts = [0]
    for j in range(1, len(positions)):
        gap = (stamps[positions[j]] - stamps[positions[j - 1]]).total_seconds()
        if gap > max_gap_seconds:
            cuts.append(j)
    cuts.append(len(positions))
    return [slice(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def as_of(history: History) -> datetime:
    """When the data drawn is from: the newer of the last bar's start and Yahoo's market time."""
    last = history.bars[-1].time
    if history.as_of is None:
        return last.astimezone(UTC)
    if is_intraday(history.interval):
        # After hours Yahoo's market time stays at the close while bars keep coming.
        return max(last, history.as_of).astimezone(UTC)
    return history.as_of.astimezone(UTC)
