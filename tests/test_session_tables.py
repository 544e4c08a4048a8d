"""Exchange session tables come from a child process running exchange_calendars, via a file.

The bot itself never imports exchange_calendars or pandas for them; the tables equal what
exchange_calendars gives in-process, the file is reused, a broken file is recomputed, and a
child that fails degrades as an unknown calendar always did (no schedule, the TTL fallback).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.market import session_tables
from bot.market.calendar import EXTENDED_TTL, OPEN_TTL, MarketCalendar
from bot.market.session_tables import CalendarUnavailable, cache_file, compute, load, parse

START, END = date(2024, 1, 1), date(2028, 12, 31)
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("code", ["XNYS", "XTKS", "XLON"])
def test_the_childs_table_equals_exchange_calendars_in_process(tmp_path: Path, code: str) -> None:
    table = load(code, START, END, tmp_path)
    assert table == parse(compute(code, START, END), code)
    assert cache_file(tmp_path, code, START, END).exists()
    assert table.sessions[0] >= START and table.sessions[-1] <= END
    assert all(o < c for o, c in zip(table.opens, table.closes, strict=True))


def test_the_child_is_run_as_a_module_and_prints_json() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.market.session_tables", "XNYS", "2026-11-23", "2026-11-27"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    data = json.loads(done.stdout)
    # Thanksgiving is no session; the Friday after closes early, at 13:00 New York time.
    assert data["sessions"] == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27"]
    friday_close = datetime.fromtimestamp(data["closes"][-1], UTC)
    assert friday_close == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)


def test_the_file_is_reused_and_a_broken_one_recomputed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []

    def child(code: str, start: date, end: date, timeout: float) -> str:
        runs.append(code)
        return json.dumps(compute(code, start, end))

    monkeypatch.setattr(session_tables, "_run_child", child)
    first = load("XNYS", START, END, tmp_path)
    assert load("XNYS", START, END, tmp_path) == first and runs == ["XNYS"]
    path = cache_file(tmp_path, "XNYS", START, END)
    for broken in ("{not json", json.dumps({"format": 1, "code": "XNYS"}), ""):
        path.write_text(broken)
        assert load("XNYS", START, END, tmp_path) == first
    assert runs == ["XNYS"] * 4
    assert json.loads(path.read_text())["code"] == "XNYS"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    # Another exchange_calendars version is another file.
    monkeypatch.setattr(session_tables, "xcals_version", lambda: "0.0-other")
    assert load("XNYS", START, END, tmp_path) == first and len(runs) == 5


def test_an_unknown_code_is_unavailable_for_good(tmp_path: Path) -> None:
    with pytest.raises(CalendarUnavailable) as caught:
        load("XNOPE", START, END, tmp_path)
    assert caught.value.permanent
    assert list(tmp_path.iterdir()) == []


def test_a_child_that_fails_degrades_to_the_unknown_calendar_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []

    def slow_child(code: str, start: date, end: date, timeout: float) -> str:
        runs.append(code)
        raise CalendarUnavailable(code, f"no answer in {timeout:.0f} s", permanent=False)

    monkeypatch.setattr(session_tables, "_run_child", slow_child)
    calendar = MarketCalendar(today=date(2026, 11, 24), cache_dir=tmp_path)
    tuesday_noon_ny = datetime(2026, 11, 24, 17, tzinfo=UTC)
    assert calendar.schedule_for("AMZN") is None
    assert calendar.ttl("AMZN", "America/New_York", "EQUITY", tuesday_noon_ny) == EXTENDED_TTL
    assert runs == ["XNYS"]  # not a child per quote: tried again after a while
    with pytest.raises(ValueError):
        calendar.schedule("XNYS")
    assert runs == ["XNYS"]

    monkeypatch.undo()  # the real child again: a new process's calendar gets its table
    assert calendar.schedule_for("AMZN") is None and runs == ["XNYS"]
    recovered = MarketCalendar(today=date(2026, 11, 24), cache_dir=tmp_path)
    assert recovered.ttl("AMZN", "America/New_York", "EQUITY", tuesday_noon_ny) == OPEN_TTL


def test_building_schedules_loads_neither_exchange_calendars_nor_pandas(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from datetime import date, datetime, UTC\n"
        "from pathlib import Path\n"
        "from bot.market.calendar import MarketCalendar\n"
        f"cal = MarketCalendar(today=date(2026, 11, 24), cache_dir=Path({str(tmp_path)!r}))\n"
        "ttl = cal.ttl('AMZN', 'America/New_York', 'EQUITY', datetime(2026, 11, 24, 17, tzinfo=UTC))\n"
        "print(ttl, 'exchange_calendars' in sys.modules, 'pandas' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.split() == [str(OPEN_TTL), "False", "False"]
