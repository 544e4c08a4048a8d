"""When schedules fall due: parsing, DST in New York, Thanksgiving and the early close (2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.market.calendar import ExchangeSchedule, MarketCalendar
from bot.schedule_times import (
    DAILY,
    WEEKDAYS,
    ScheduleTimes,
    format_local,
    parse_days,
    parse_tz,
    parse_when,
)


@pytest.fixture(scope="module")
def nyse() -> ExchangeSchedule:
    return MarketCalendar(today=date(2026, 6, 1)).schedule("XNYS")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("16:05", "16:05"),
        ("9:30", "09:30"),
        ("close", "close"),
        ("close+5m", "close+5m"),
        ("CLOSE + 5m", "close+5m"),
        ("open-15m", "open-15m"),
        ("close+1h", "close+1h"),
        ("every 30m", "every 30m"),
        ("every30m", "every 30m"),
        ("every 1h30m", "every 1h30m"),
        ("every-2h", "every 2h"),
    ],
)
def test_at_forms_parse_and_print_back(text: str, normal: str) -> None:
    assert str(parse_when(text)) == normal


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("25:00", "not a time of day"),
        ("16:60", "not a time of day"),
        ("noon", "not a time"),
        ("close+7h", "offsets go up to 6h"),
        ("every 1m", "intervals go from 5m"),
        ("every 9h", "intervals go from 5m"),
        ("", "not a time"),
    ],
)
def test_bad_at_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_when(text)


def test_days_and_zones() -> None:
    assert parse_days("weekdays") == WEEKDAYS
    assert parse_days("daily") == DAILY
    assert str(parse_days("mon,wed,fri")) == "mon,wed,fri"
    assert str(parse_days("Monday, Friday")) == "mon,fri"
    assert str(parse_days("mon-fri")) == "weekdays"
    assert str(parse_days("fri-mon")) == "mon,fri,sat,sun"
    with pytest.raises(ValueError, match="not a day"):
        parse_days("funday")
    assert parse_tz("Europe/London") == "Europe/London"
    for bad in ("Mars/Olympus", "../etc/passwd", "EST5EDT; rm"):
        with pytest.raises(ValueError, match="not a time zone"):
            parse_tz(bad)
    assert parse_tz("UTC") == "UTC"
    # Legacy names: EST is a fixed UTC-5 in tzdata, so "16:05 EST" would drift in summer.
    for legacy, suggested in (("EST", "America/New_York"), ("PST8PDT", "America/Los_Angeles")):
        with pytest.raises(ValueError, match=f"region name such as {suggested}"):
            parse_tz(legacy)


def test_clock_time_follows_new_york_across_the_march_8_2026_switch(nyse: ExchangeSchedule) -> None:
    times = ScheduleTimes(parse_when("16:05"), tz="America/New_York", calendar=nyse)
    friday = times.next_after(utc(2026, 3, 6, 12))
    assert friday == utc(2026, 3, 6, 21, 5)  # EST, UTC-5
    monday = times.next_after(friday)
    assert monday == utc(2026, 3, 9, 20, 5)  # EDT, UTC-4: same wall clock, one hour earlier UTC
    assert format_local(monday, "America/New_York") == "Mon Mar 9 16:05 EDT"


def test_clock_time_follows_new_york_across_the_november_1_2026_switch(
    nyse: ExchangeSchedule,
) -> None:
    times = ScheduleTimes(parse_when("16:05"), tz="America/New_York", calendar=nyse)
    friday = times.next_after(utc(2026, 10, 30, 12))
    assert friday == utc(2026, 10, 30, 20, 5)  # EDT
    assert times.next_after(friday) == utc(2026, 11, 2, 21, 5)  # EST


def test_daily_time_on_the_switch_days_themselves(nyse: ExchangeSchedule) -> None:
    # 02:30 does not exist on 2026-03-08 in New York: read with the offset before the change.
    spring = ScheduleTimes(parse_when("02:30"), days=DAILY, tz="America/New_York", calendar=nyse)
    due = spring.next_after(utc(2026, 3, 8, 0))
    assert due == utc(2026, 3, 8, 7, 30)
    assert format_local(due, "America/New_York") == "Sun Mar 8 03:30 EDT"
    # 01:30 happens twice on 2026-11-01: the first (EDT) one counts, and only once.
    fall = ScheduleTimes(parse_when("01:30"), days=DAILY, tz="America/New_York", calendar=nyse)
    first = fall.next_after(utc(2026, 11, 1, 0))
    assert first == utc(2026, 11, 1, 5, 30)
    assert fall.next_after(first) == utc(2026, 11, 2, 6, 30)


def test_open_is_a_fixed_new_york_time_whatever_the_utc_offset(nyse: ExchangeSchedule) -> None:
    times = ScheduleTimes(parse_when("open"), calendar=nyse)
    assert times.next_after(utc(2026, 3, 6, 12)) == utc(2026, 3, 6, 14, 30)
    assert times.next_after(utc(2026, 3, 6, 15)) == utc(2026, 3, 9, 13, 30)
    assert times.next_after(utc(2026, 10, 30, 15)) == utc(2026, 11, 2, 14, 30)


def test_thanksgiving_2026_is_skipped_and_close_follows_the_early_close(
    nyse: ExchangeSchedule,
) -> None:
    assert not nyse.is_session(date(2026, 11, 26))
    close = ScheduleTimes(parse_when("close+5m"), calendar=nyse)
    wednesday = close.next_after(utc(2026, 11, 25, 12))
    assert wednesday == utc(2026, 11, 25, 21, 5)  # 16:05 EST
    friday = close.next_after(wednesday)
    assert friday == utc(2026, 11, 27, 18, 5)  # early close 13:00 EST, +5m
    assert format_local(friday, "America/New_York") == "Fri Nov 27 13:05 EST"


def test_clock_time_skips_thanksgiving_unless_asked(nyse: ExchangeSchedule) -> None:
    plain = ScheduleTimes(parse_when("16:05"), calendar=nyse)
    assert plain.next_after(utc(2026, 11, 25, 22)) == utc(2026, 11, 27, 21, 5)
    holidays = ScheduleTimes(parse_when("16:05"), calendar=nyse, holidays=True)
    assert holidays.next_after(utc(2026, 11, 25, 22)) == utc(2026, 11, 26, 21, 5)


def test_every_interval_stops_at_the_early_close(nyse: ExchangeSchedule) -> None:
    every = ScheduleTimes(parse_when("every 30m"), calendar=nyse)
    friday = every.due_between(utc(2026, 11, 27), utc(2026, 11, 28))
    assert friday[0] == utc(2026, 11, 27, 14, 30)
    assert friday[-1] == utc(2026, 11, 27, 18, 0)  # 13:00 EST, the early close
    assert len(friday) == 8
    wednesday = every.due_between(utc(2026, 11, 25), utc(2026, 11, 26))
    assert len(wednesday) == 14 and wednesday[-1] == utc(2026, 11, 25, 21, 0)
    assert every.due_between(utc(2026, 11, 26), utc(2026, 11, 26, 23, 59)) == []


def test_days_filter_and_weekends(nyse: ExchangeSchedule) -> None:
    mwf = ScheduleTimes(parse_when("close"), days=parse_days("mon,wed,fri"), calendar=nyse)
    assert mwf.next_after(utc(2026, 11, 24, 12)) == utc(2026, 11, 25, 21, 0)
    weekend = ScheduleTimes(parse_when("10:00"), days=parse_days("weekends"), calendar=nyse)
    assert weekend.next_after(utc(2026, 11, 24)) == utc(2026, 11, 28, 15, 0)


def test_session_times_need_an_exchange_and_no_holiday_flag(nyse: ExchangeSchedule) -> None:
    with pytest.raises(ValueError, match="needs an exchange session"):
        ScheduleTimes(parse_when("close"), calendar=None)
    with pytest.raises(ValueError, match="holidays:yes works with clock times"):
        ScheduleTimes(parse_when("close"), calendar=nyse, holidays=True)


def test_describe_names_the_zone(nyse: ExchangeSchedule) -> None:
    clock = ScheduleTimes(parse_when("16:05"), calendar=nyse)
    assert clock.describe() == (
        "16:05 America/New_York (EST/EDT), weekdays, not on exchange holidays"
    )
    close = ScheduleTimes(parse_when("close+5m"), calendar=nyse)
    assert "XNYS session, follows early closes" in close.describe()
    assert "shown in America/New_York" in close.describe()
