"""Exchange session tables, computed by exchange_calendars in a short-lived subprocess.

The long-running bot never imports exchange_calendars or pandas (about 67 MB together): it
needs only sorted arrays (session dates, open and close epoch seconds), which a child process
prints as JSON and a file keeps, keyed by calendar code, date range and the installed
exchange_calendars version.

    python -m bot.market.session_tables XNYS 2024-01-01 2028-12-31
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_ENV = "ORBITDESK_CALENDAR_CACHE_DIR"
COMPUTE_TIMEOUT = 60.0  # seconds for the child: importing pandas on a busy Pi is slow
EXIT_UNKNOWN_CALENDAR = 3  # exchange_calendars has no calendar by that code
FORMAT = 1  # bump when the JSON layout changes


class CalendarUnavailable(ValueError):
    """No session table for this code: unknown to exchange_calendars, or the child failed."""

    def __init__(self, code: str, reason: str, *, permanent: bool) -> None:
        super().__init__(f"calendar {code}: {reason}")
        self.permanent = permanent


@dataclass(frozen=True)
class SessionTable:
    code: str
    tz: str
    sessions: list[date]
    opens: list[int]
    closes: list[int]


def default_cache_dir() -> Path:
    """$ORBITDESK_CALENDAR_CACHE_DIR, else the per-user cache dir."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "orbitdesk" / "calendars"


def xcals_version() -> str:
    try:
        return metadata.version("exchange_calendars")
    except metadata.PackageNotFoundError:
        return "none"


def cache_file(cache_dir: Path, code: str, start: date, end: date) -> Path:
    return cache_dir / f"{code}_{start}_{end}_xcals-{xcals_version()}_v{FORMAT}.json"


def compute(code: str, start: date, end: date) -> dict[str, Any]:
    """The table as JSON-ready data, from exchange_calendars (in this process: the child's)."""
    import exchange_calendars as xcals
    import pandas as pd

    calendar = xcals.get_calendar(code, start=pd.Timestamp(start), end=pd.Timestamp(end))
    schedule = calendar.schedule
    return {
        "format": FORMAT,
        "code": code,
        "tz": str(calendar.tz),
        "sessions": [d.date().isoformat() for d in schedule.index],
        "opens": [int(t.timestamp()) for t in schedule["open"]],
        "closes": [int(t.timestamp()) for t in schedule["close"]],
    }


def parse(data: Any, code: str) -> SessionTable:
    """A table from its JSON; ValueError (or KeyError, TypeError) when it is not one."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("code") != code:
        raise ValueError("not a session table for this code")
    sessions = [date.fromisoformat(s) for s in data["sessions"]]
    opens = [int(x) for x in data["opens"]]
    closes = [int(x) for x in data["closes"]]
    if not len(sessions) == len(opens) == len(closes):
        raise ValueError("arrays of different lengths")
    if sessions != sorted(sessions) or opens != sorted(opens) or closes != sorted(closes):
        raise ValueError("arrays not sorted")
    return SessionTable(
        code=code, tz=str(data["tz"]), sessions=sessions, opens=opens, closes=closes
    )


def _read(path: Path, code: str) -> SessionTable | None:
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")), code)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("calendar cache %s unreadable: computing it again", path, exc_info=True)
        return None


def _write(path: Path, text: str) -> None:
    """Atomically: a reader sees the old file or the whole new one, never half of one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        log.warning("cannot keep the calendar table in %s", path, exc_info=True)


def _run_child(code: str, start: date, end: date, timeout: float) -> str:
    root = str(Path(__file__).resolve().parents[2])  # the directory holding bot/
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__, code, start.isoformat(), end.isoformat()],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CalendarUnavailable(code, f"no answer in {timeout:.0f} s", permanent=False) from None
    except OSError as exc:
        raise CalendarUnavailable(code, f"cannot start: {exc}", permanent=False) from None
    if done.returncode == EXIT_UNKNOWN_CALENDAR:
        raise CalendarUnavailable(code, "unknown to exchange_calendars", permanent=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CalendarUnavailable(code, f"exit {done.returncode}: {last}", permanent=False)
    return done.stdout


def load(
    code: str,
    start: date,
    end: date,
    cache_dir: Path | None = None,
    timeout: float = COMPUTE_TIMEOUT,
) -> SessionTable:
    """The table from the cache file, else from a child process (then kept in the file)."""
    path = cache_file(cache_dir or default_cache_dir(), code, start, end)
    found = _read(path, code)
    if found is not None:
        return found
    text = _run_child(code, start, end, timeout)
    try:
        table = parse(json.loads(text), code)
    except (ValueError, KeyError, TypeError) as exc:
        raise CalendarUnavailable(code, f"bad output: {exc}", permanent=False) from None
    _write(path, text)
    return table


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m bot.market.session_tables CODE START END", file=sys.stderr)
        return 2
    code, start, end = argv[0], date.fromisoformat(argv[1]), date.fromisoformat(argv[2])
    from exchange_calendars.errors import InvalidCalendarName

    try:
        data = compute(code, start, end)
    except (InvalidCalendarName, ValueError) as exc:  # as schedule_for treated them in-process
        print(exc, file=sys.stderr)
        return EXIT_UNKNOWN_CALENDAR
    print(json.dumps(data, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
