"""When a schedule posts: parsing `at`/`days`/`tz`, and the next due time from the calendar.

`at` is one of
- a clock time, `16:05` (24-hour, in the schedule's time zone);
- `open` / `close`, optionally shifted: `close+5m`, `open-15m`, `close+1h` (follows the
  exchange's real session, so early closes and DST come from exchange_calendars);
- an interval during market hours, `every 30m` (at the open, then every 30 minutes up to and
  including the close).

Local times go through zoneinfo, never a fixed offset. A clock time that does not exist on a
spring-forward day (02:30 on 2026-03-08 in New York) is read with the offset before the change
(it lands at 03:30 EDT); an ambiguous one on the fall-back day takes its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.market.calendar import ExchangeSchedule
from bot.text import safe_echo

WhenKind = Literal["clock", "open", "close", "every"]

MAX_OFFSET_MINUTES = 6 * 60
MIN_INTERVAL_MINUTES = 5
MAX_INTERVAL_MINUTES = 8 * 60
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SEARCH_DAYS = 400  # how far ahead next_after looks before saying "never"

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_CLOCK_12H = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)$")  # 4pm, 4:05 pm
_RELATIVE = re.compile(r"^(open|close)(?:([+-])(\d+(?:h\d+m?|h|m|min)?))?$")
_EVERY = re.compile(r"^every[\s_-]*(\d+(?:h\d+m?|h|m|min))$")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)(?:m|min)?)?$")


def _quoted(text: str, limit: int = 20) -> str:
    """User text for an error message, in quotes: short and unable to ping (no repr(), which
    would spell out the zero-width space that breaks a mention)."""
    return f"'{safe_echo(text.strip(), limit)}'"


def _minutes(text: str) -> int:
    """'30m' -> 30, '1h' -> 60, '1h30m' -> 90, '45' -> 45."""
    match = _DURATION.match(text)
    if not match or not text:
        raise ValueError(f"{_quoted(text)} is not a duration like 5m or 1h")
    hours, minutes = match.groups()
    return int(hours or 0) * 60 + int(minutes or 0)


def _fmt_minutes(total: int) -> str:
    hours, minutes = divmod(total, 60)
    if hours and minutes:
        return f"{hours}h{minutes}m"
    return f"{hours}h" if hours else f"{minutes}m"


@dataclass(frozen=True, slots=True)
class When:
    """The parsed `at`: a clock time, an offset from open/close, or an interval."""

    kind: WhenKind
    minutes: int  # clock: minutes after midnight; open/close: signed offset; every: interval

    @property
    def session_relative(self) -> bool:
        return self.kind != "clock"

    def __str__(self) -> str:
        if self.kind == "clock":
            return f"{self.minutes // 60:02d}:{self.minutes % 60:02d}"
        if self.kind == "every":
            return f"every {_fmt_minutes(self.minutes)}"
        if self.minutes == 0:
            return self.kind
        sign = "+" if self.minutes > 0 else "-"
        return f"{self.kind}{sign}{_fmt_minutes(abs(self.minutes))}"


def parse_when(text: str) -> When:
    """`16:05` (or 4:05pm), `close+5m`, `open-15m`, `every 30m` -> When; ValueError says
    what is wrong."""
    cleaned = " ".join(text.strip().lower().split())
    if match := _CLOCK.match(cleaned):
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise ValueError(f"{_quoted(text)} is not a time of day (00:00 to 23:59)")
        return When("clock", hour * 60 + minute)
    if match := _CLOCK_12H.match(cleaned):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise ValueError(f"{_quoted(text)} is not a time of day (1 to 12 with am/pm, or 16:05)")
        hour = hour % 12 + (12 if match.group(3) == "pm" else 0)
        return When("clock", hour * 60 + minute)
    if match := _RELATIVE.match(cleaned.replace(" ", "")):
        word, sign, amount = match.groups()
        kind: WhenKind = "open" if word == "open" else "close"
        offset = _minutes(amount) if amount else 0
        if offset > MAX_OFFSET_MINUTES:
            raise ValueError(f"offsets go up to {MAX_OFFSET_MINUTES // 60}h from the {kind}")
        return When("open" if kind == "open" else "close", -offset if sign == "-" else offset)
    if match := _EVERY.match(cleaned):
        interval = _minutes(match.group(1))
        if not MIN_INTERVAL_MINUTES <= interval <= MAX_INTERVAL_MINUTES:
            raise ValueError(
                f"intervals go from {MIN_INTERVAL_MINUTES}m to {MAX_INTERVAL_MINUTES // 60}h"
            )
        return When("every", interval)
    raise ValueError(
        f"{_quoted(text)} is not a time; use 16:05, open, close+5m, open-15m or every 30m"
    )


@dataclass(frozen=True, slots=True)
class Days:
    """Which weekdays (0 = Monday) a schedule posts on."""

    weekdays: frozenset[int]

    def __str__(self) -> str:
        if self.weekdays == WEEKDAYS.weekdays:
            return "weekdays"
        if self.weekdays == DAILY.weekdays:
            return "daily"
        return ",".join(DAY_NAMES[d] for d in sorted(self.weekdays))


WEEKDAYS = Days(frozenset(range(5)))
DAILY = Days(frozenset(range(7)))
_DAY_ALIASES = {
    "weekdays": WEEKDAYS,
    "weekday": WEEKDAYS,
    "daily": DAILY,
    "everyday": DAILY,
    "weekends": Days(frozenset({5, 6})),
}


def parse_days(text: str) -> Days:
    """`weekdays`, `daily`, `weekends` or a list such as `mon,wed,fri` or `mon-fri`."""
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned in _DAY_ALIASES:
        return _DAY_ALIASES[cleaned]
    chosen: set[int] = set()
    for part in cleaned.split(","):
        if not part:
            continue
        if "-" in part:
            first, _, last = part.partition("-")
            a, b = _day(first), _day(last)
            chosen.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        else:
            chosen.add(_day(part))
    if not chosen:
        raise ValueError("name at least one day, e.g. weekdays, daily or mon,wed,fri")
    return Days(frozenset(chosen))


_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day(word: str) -> int:
    for index, name in enumerate(_FULL_DAY_NAMES):
        if len(word) >= 3 and name.startswith(word):
            return index
    raise ValueError(f"{_quoted(word, 12)} is not a day; use mon, tue, ... sun")


_ABBREVIATIONS = {
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "CST": "America/Chicago",
    "MST": "America/Denver",
    "PST": "America/Los_Angeles",
    "HST": "Pacific/Honolulu",
    "CET": "Europe/Paris",
    "EET": "Europe/Helsinki",
    "WET": "Europe/Lisbon",
    "JST": "Asia/Tokyo",
}


def parse_tz(text: str) -> str:
    """An IANA zone name (America/New_York, Europe/London, UTC), checked against tzdata."""
    cleaned = text.strip()
    if not re.match(r"^[A-Za-z][A-Za-z0-9_+\-/]{0,60}$", cleaned) or ".." in cleaned:
        raise ValueError(f"{_quoted(cleaned, 30)} is not a time zone name like America/New_York")
    try:
        ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{_quoted(cleaned, 30)} is not a time zone name like America/New_York"
        ) from None
    if "/" not in cleaned and cleaned.upper() not in ("UTC", "GMT"):
        # tzdata's EST, MST, HST, EST5EDT, CET ... are legacy names, some fixed offsets with no
        # daylight saving time: a post at "16:05 EST" would drift an hour in summer.
        suggestion = _ABBREVIATIONS.get(cleaned.upper()[:3], "America/New_York")
        raise ValueError(
            f"use a region name such as {suggestion} ({_quoted(cleaned, 30)} is a legacy zone)"
        )
    return cleaned


@dataclass(frozen=True, slots=True)
class ScheduleTimes:
    """A schedule's timing rule; `next_after` gives its due times, in UTC."""

    when: When
    days: Days = WEEKDAYS
    tz: str = "America/New_York"
    calendar: ExchangeSchedule | None = None
    holidays: bool = False  # clock times only: also post on weekdays the exchange is shut

    def __post_init__(self) -> None:
        if self.when.session_relative and self.calendar is None:
            raise ValueError(f"{self.when} needs an exchange session; these symbols have none")
        if self.when.session_relative and self.holidays:
            raise ValueError("holidays:yes works with clock times (16:05), not open/close/every")

    def next_after(self, moment: datetime) -> datetime | None:
        """The first due time strictly after `moment`, or None within the calendar's range."""
        if self.when.session_relative:
            return self._next_session_time(moment)
        return self._next_clock_time(moment)

    def due_between(self, start: datetime, end: datetime, limit: int = 1000) -> list[datetime]:
        """Due times t with start <= t <= end, oldest first (at most `limit`)."""
        out: list[datetime] = []
        cursor = start - timedelta(microseconds=1)
        while len(out) < limit:
            nxt = self.next_after(cursor)
            if nxt is None or nxt > end:
                break
            out.append(nxt)
            cursor = nxt
        return out

    def posts_on(self, day: date) -> bool:
        """Whether a clock-time schedule posts on this local date."""
        if day.weekday() not in self.days.weekdays:
            return False
        if self.holidays or self.calendar is None or day.weekday() >= 5:
            return True
        return self.calendar.is_session(day)  # a weekday without a session is a holiday

    def _next_clock_time(self, moment: datetime) -> datetime | None:
        zone = ZoneInfo(self.tz)
        hour, minute = divmod(self.when.minutes, 60)
        day = moment.astimezone(zone).date() - timedelta(days=1)
        for _ in range(_SEARCH_DAYS):
            if self.posts_on(day):
                due = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
                if due > moment:
                    return due
            day += timedelta(days=1)
        return None

    def _next_session_time(self, moment: datetime) -> datetime | None:
        assert self.calendar is not None
        start = moment.astimezone(ZoneInfo(self.calendar.tz)).date() - timedelta(days=1)
        for count, (day, session) in enumerate(self.calendar.sessions_from(start)):
            if count > _SEARCH_DAYS:
                break
            if day.weekday() not in self.days.weekdays:
                continue
            for due in self._session_times(session.open, session.close):
                if due > moment:
                    return due
        return None

    def _session_times(self, opens: datetime, closes: datetime) -> list[datetime]:
        kind, minutes = self.when.kind, self.when.minutes
        if kind == "open":
            return [opens + timedelta(minutes=minutes)]
        if kind == "close":
            return [closes + timedelta(minutes=minutes)]
        step = timedelta(minutes=minutes)
        out, due = [], opens
        while due <= closes:
            out.append(due)
            due += step
        return out

    def describe(self) -> str:
        """How a listing says when this posts, naming the zone."""
        days = str(self.days)
        if self.when.kind == "clock":
            extra = "" if self.calendar is None or self.holidays else ", not on exchange holidays"
            if self.holidays:
                extra = ", holidays too"
            return f"{self.when} {self.tz} ({_zone_abbrevs(self.tz)}), {days}{extra}"
        code = self.calendar.code if self.calendar else "?"
        if self.when.kind == "every":
            what = f"every {_fmt_minutes(self.when.minutes)} while {code} is open"
        else:
            what = f"{self.when} ({code} session, follows early closes)"
        return f"{what}, {days}, shown in {self.tz}"


def _zone_abbrevs(tz: str) -> str:
    """'EST/EDT' for New York: both names, so nobody wonders which half of the year it is."""
    zone = ZoneInfo(tz)
    names = []
    for month in (1, 7):
        name = datetime(2026, month, 15, 12, tzinfo=zone).tzname() or tz
        if name not in names:
            names.append(name)
    return "/".join(names)


def format_local(moment: datetime, tz: str) -> str:
    """'Fri Nov 27 13:05 EST': a UTC time as people in `tz` read it."""
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local:%a %b} {local.day} {local:%H:%M %Z}"
