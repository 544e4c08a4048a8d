"""Exchange sessions (exchange_calendars) and the cache lifetimes that follow them.

The sessions come as plain sorted arrays from bot.market.session_tables, which runs
exchange_calendars in a short-lived child process and keeps its answer in a file: the bot
itself never imports exchange_calendars or pandas for them.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.market import session_tables
from bot.market.session_tables import CalendarUnavailable

# Yahoo suffix -> exchange_calendars code. No suffix (and ^indices) in New York -> XNYS.
SUFFIX_CALENDARS = {
    "T": "XTKS",
    "L": "XLON",
    "TO": "XTSE",
    "V": "XTSE",
    "HK": "XHKG",
    "DE": "XFRA",
    "F": "XFRA",
    "PA": "XPAR",
    "AS": "XAMS",
    "SW": "XSWX",
    "AX": "XASX",
    "MI": "XMIL",
    "MC": "XMAD",
    "ST": "XSTO",
    "OL": "XOSL",
    "CO": "XCSE",
    "HE": "XHEL",
    "KS": "XKRX",
    "NS": "XBOM",
    "BO": "XBOM",
    "SS": "XSHG",
    "SZ": "XSHG",
    "SI": "XSES",
    "NZ": "XNZE",
    "SA": "BVMF",
    "MX": "XMEX",
    "JO": "XJSE",
    "TW": "XTAI",
}
TZ_CALENDARS = {"America/New_York": "XNYS", "Asia/Tokyo": "XTKS", "Europe/London": "XLON"}

OPEN_TTL = 15.0  # seconds, while the regular session runs
EXTENDED_TTL = 60.0  # pre-market and after-hours
CLOSED_TTL_MAX = 900.0  # closed: up to 15 min, and never past the next open
ALWAYS_OPEN_TTL = 30.0  # crypto
RETRY_UNAVAILABLE = 300.0  # seconds before a calendar whose child process failed is tried again


def calendar_code(symbol: str, exchange_tz: str | None = None) -> str | None:
    """The exchange_calendars code for a Yahoo symbol, or None when we do not know it."""
    if "=" in symbol or symbol.endswith("-USD"):
        return None  # FX and crypto trade round the clock
    if "." in symbol:
        suffix = symbol.rsplit(".", 1)[1].upper()
        return SUFFIX_CALENDARS.get(suffix)
    if exchange_tz:
        return TZ_CALENDARS.get(exchange_tz)
    return "XNYS"


@dataclass(frozen=True)
class Session:
    open: datetime
    close: datetime


class ExchangeSchedule:
    """Sessions of one exchange as sorted arrays, for lock-free lookups from any thread."""

    def __init__(self, code: str, start: date, end: date, cache_dir: Path | None = None) -> None:
        """Raises CalendarUnavailable (a ValueError) when there is no table for `code`."""
        table = session_tables.load(code, start, end, cache_dir)
        self.code = code
        self.tz = table.tz
        self._sessions = table.sessions
        self._opens = table.opens
        self._closes = table.closes

    def session_at(self, moment: datetime) -> Session | None:
        """The regular session open at `moment`, if any."""
        stamp = moment.timestamp()
        i = bisect.bisect_right(self._opens, stamp) - 1
        if i >= 0 and stamp < self._closes[i]:
            return self._session(i)
        return None

    def next_session(self, moment: datetime) -> Session | None:
        """The first session that opens after `moment`."""
        i = bisect.bisect_right(self._opens, moment.timestamp())
        return self._session(i) if i < len(self._opens) else None

    def previous_session(self, moment: datetime) -> Session | None:
        """The last session that closed at or before `moment`."""
        i = bisect.bisect_right(self._closes, moment.timestamp()) - 1
        return self._session(i) if i >= 0 else None

    def is_session(self, day: date) -> bool:
        i = bisect.bisect_left(self._sessions, day)
        return i < len(self._sessions) and self._sessions[i] == day

    def session_on(self, day: date) -> Session | None:
        i = bisect.bisect_left(self._sessions, day)
        if i < len(self._sessions) and self._sessions[i] == day:
            return self._session(i)
        return None

    def sessions_from(self, day: date) -> Iterator[tuple[date, Session]]:
        """Sessions on or after `day`, in order, with their session dates."""
        for i in range(bisect.bisect_left(self._sessions, day), len(self._sessions)):
            yield self._sessions[i], self._session(i)

    def _session(self, i: int) -> Session:
        return Session(
            open=datetime.fromtimestamp(self._opens[i], UTC),
            close=datetime.fromtimestamp(self._closes[i], UTC),
        )


class MarketCalendar:
    """Loads exchange schedules on first use and keeps them.

    The first use of a code reads its table from `cache_dir` (default: $ORBITDESK_CALENDAR_
    CACHE_DIR, else the per-user cache), or computes it in a child process (about a second).
    A code without a table raises CalendarUnavailable; one whose child failed is not tried
    again for RETRY_UNAVAILABLE seconds, one exchange_calendars does not know never again.
    """

    def __init__(
        self,
        today: date | None = None,
        years_back: int = 2,
        years_ahead: int = 2,
        cache_dir: Path | None = None,
    ) -> None:
        today = today or datetime.now(UTC).date()
        self._start = date(today.year - years_back, 1, 1)
        self._end = date(today.year + years_ahead, 12, 31)
        self._cache_dir = cache_dir
        self._schedules: dict[str, ExchangeSchedule] = {}
        self._unavailable: dict[str, tuple[CalendarUnavailable, float]] = {}
        self._lock = threading.Lock()

    def schedule(self, code: str) -> ExchangeSchedule:
        with self._lock:
            found = self._schedules.get(code)
            if found is not None:
                return found
            failed = self._unavailable.get(code)
            if failed is not None and time.monotonic() < failed[1]:
                raise failed[0]
            try:
                found = ExchangeSchedule(code, self._start, self._end, self._cache_dir)
            except CalendarUnavailable as exc:
                retry = float("inf") if exc.permanent else time.monotonic() + RETRY_UNAVAILABLE
                self._unavailable[code] = (exc, retry)
                raise
            self._schedules[code] = found
            return found

    def schedule_for(self, symbol: str, exchange_tz: str | None = None) -> ExchangeSchedule | None:
        code = calendar_code(symbol, exchange_tz)
        if code is None:
            return None
        try:
            return self.schedule(code)
        except ValueError:  # CalendarUnavailable among them
            return None

    def ttl(self, symbol: str, exchange_tz: str | None, quote_type: str, now: datetime) -> float:
        """How long a quote stays fresh: short while its market trades, long while it is shut."""
        if quote_type.upper() in ("CRYPTOCURRENCY", "CURRENCY") or "=" in symbol:
            return ALWAYS_OPEN_TTL
        schedule = self.schedule_for(symbol, exchange_tz)
        if schedule is None:
            return EXTENDED_TTL
        if schedule.session_at(now) is not None:
            return OPEN_TTL
        nxt = schedule.next_session(now)
        if schedule.code == "XNYS":
            # US pre-market from 04:00 and after-hours to 20:00 New York time move prices too.
            prev = schedule.previous_session(now)
            if prev and now < prev.close + timedelta(hours=4):
                return EXTENDED_TTL
            if nxt and now >= nxt.open - timedelta(hours=5, minutes=30):
                return EXTENDED_TTL
        if nxt is None:
            return CLOSED_TTL_MAX
        until_open = (nxt.open - now).total_seconds()
        if schedule.code == "XNYS":
            until_open -= 5.5 * 3600
        return max(OPEN_TTL, min(CLOSED_TTL_MAX, until_open))
