"""The store on a SQLite file and on PostgreSQL: migrations, round trips, the slot claim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from bot.__main__ import main
from bot.app import App
from bot.store.db import head_revision
from bot.store.repo import Store
from tests.conftest import make_settings, pinned_clock
from tests.fakes.yahoo_server import FakeYahoo
from tests.store_fixtures import DatabaseFactory

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


async def _schedule(store: Store, channel: str = "c1", **extra: object) -> int:
    values: dict[str, object] = {
        "platform": "discord",
        "channel_id": channel,
        "guild_id": "g1",
        "created_by": "u1",
        "symbols": "SPCX,AMZN",
        "at": "close+5m",
        "days": "weekdays",
        "tz": "America/New_York",
        "calendar": "XNYS",
        "holidays": False,
        "paused": False,
        "next_due": NOW + timedelta(minutes=5),
        "created_at": NOW,
        **extra,
    }
    row = await store.add_schedule(**values)
    return row.id


async def test_migrations_create_the_tables_and_rerun_cleanly(
    store: Store, databases: DatabaseFactory
) -> None:
    assert await store.db.current_revision() == head_revision()
    await store.db.upgrade()  # a second start changes nothing
    assert await store.db.current_revision() == head_revision()
    async with store.db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"schedules", "deliveries", "alerts", "alembic_version"} <= tables


async def test_times_come_back_as_aware_utc(store: Store) -> None:
    sid = await _schedule(store, next_due=datetime(2026, 3, 9, 16, 5, tzinfo=UTC))
    row = await store.get_schedule(sid)
    assert row is not None
    assert row.next_due == datetime(2026, 3, 9, 16, 5, tzinfo=UTC)
    assert row.next_due.tzinfo is not None
    assert row.symbol_list == ["SPCX", "AMZN"]


async def test_due_query_and_scope(store: Store) -> None:
    due_now = await _schedule(store, next_due=NOW - timedelta(minutes=1))
    await _schedule(store, next_due=NOW + timedelta(hours=1))
    await _schedule(store, next_due=NOW - timedelta(minutes=1), paused=True)
    await _schedule(store, next_due=NOW - timedelta(minutes=1), disabled_reason="gone")
    await _schedule(store, next_due=NOW - timedelta(minutes=1), platform="slack")
    due = await store.due_schedules(NOW, ["discord"])
    assert [d.id for d in due] == [due_now]
    assert await store.count_schedules("discord", "c1") == 4
    assert len(await store.list_schedules("discord", "other", "g1")) == 4  # same guild
    assert await store.list_schedules("discord", "other", None) == []


async def test_a_slot_can_be_claimed_only_once(store: Store) -> None:
    sid = await _schedule(store)
    due = NOW + timedelta(minutes=5)
    first = await store.claim_slots([(sid, due)], [], "a", NOW)
    second = await store.claim_slots([(sid, due)], [], "b", NOW)
    assert len(first) == 1 and second == []
    [delivery] = await store.deliveries(sid)
    assert (delivery.status, delivery.claimed_by, delivery.due_at) == ("claimed", "a", due)


async def test_next_due_moves_only_from_the_value_read(store: Store) -> None:
    sid = await _schedule(store)
    old = NOW + timedelta(minutes=5)
    await store.claim_slots([], [(sid, old, old + timedelta(days=1))], "a", NOW)
    await store.claim_slots([], [(sid, old, old + timedelta(days=7))], "b", NOW)  # stale read
    row = await store.get_schedule(sid)
    assert row is not None and row.next_due == old + timedelta(days=1)


async def test_alerts_fire_once_until_re_armed(store: Store) -> None:
    alert = await store.add_alert(
        platform="slack",
        channel_id="C1",
        guild_id="T1",
        created_by="U1",
        symbol="SPCX",
        kind="above",
        threshold=160.0,
        armed=True,
        fire_count=0,
        created_at=NOW,
    )
    assert await store.fire_alert(alert.id, 161.0, NOW)
    assert not await store.fire_alert(alert.id, 162.0, NOW)  # a second process loses
    assert await store.set_armed(alert.id, True, 150.0)
    row = await store.get_alert(alert.id)
    assert row is not None and row.armed and row.fire_count == 1


async def test_0008_adds_alerts_paused_to_the_rows_already_there(
    databases: DatabaseFactory,
) -> None:
    database = databases.open()
    await database.upgrade("0007")
    async with database.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO alerts (platform, channel_id, guild_id, created_by, symbol, kind, "
                "threshold, armed, fire_count, created_at) VALUES ('slack', 'C1', 'T1', 'U1', "
                "'SPCX', 'above', 160.0, :armed, 0, :now)"
            ),
            {"armed": True, "now": NOW.replace(tzinfo=None)},
        )
    await database.upgrade()
    assert await database.current_revision() == head_revision()
    store = Store(database)
    [old] = await store.active_alerts(["slack"])
    assert old.paused is False and old.armed


async def test_a_paused_alert_is_not_polled_and_cannot_fire(store: Store) -> None:
    alert = await store.add_alert(
        platform="slack",
        channel_id="C1",
        guild_id="T1",
        created_by="U1",
        symbol="SPCX",
        kind="above",
        threshold=160.0,
        armed=True,
        fire_count=0,
        created_at=NOW,
    )
    assert await store.pause_alert(alert.id)
    assert not await store.pause_alert(alert.id)  # already paused: nothing changed
    assert await store.active_alerts(["slack"]) == []
    # A poll that read it before the pause loses the race to fire it.
    assert not await store.fire_alert(alert.id, 161.0, NOW)
    assert await store.resume_alert(alert.id, armed=False, price=161.0)
    assert not await store.resume_alert(alert.id, armed=True)  # already active
    [row] = await store.active_alerts(["slack"])
    assert (row.paused, row.armed, row.last_price, row.fire_count) == (False, False, 161.0, 0)
    await store.disable_alert(alert.id, "missing_access: gone")
    assert await store.resume_alert(alert.id, armed=True)  # a disabled alert resumes too
    row = await store.get_alert(alert.id)
    assert row is not None and row.disabled_reason is None and row.armed


async def test_deleting_a_schedule_removes_its_deliveries(store: Store) -> None:
    sid = await _schedule(store)
    await store.claim_slots([(sid, NOW)], [], "a", NOW)
    await store.delete_schedule(sid)
    assert await store.get_schedule(sid) is None
    assert await store.deliveries(sid) == []


def test_cli_db_upgrade_and_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORBITDESK_DATA_DIR", str(tmp_path / "data"))
    assert main(["db", "current"]) == 1
    assert "none (empty)" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert f"revision {head_revision()}" in capsys.readouterr().out
    assert (tmp_path / "data" / "orbitdesk.db").is_file()
    assert main(["db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out


async def test_doctor_reports_the_database(tmp_path: Path, fake_yahoo: FakeYahoo) -> None:
    fresh = App.build(make_settings(tmp_path / "a", fake_yahoo.base_url), clock=pinned_clock())
    await fresh.start(migrate=False)
    try:
        line, ok = await fresh.database_check()
        assert ok and f"schema at none, code wants {head_revision()}" in line
        await fresh.database.upgrade()
        line, ok = await fresh.database_check()
        assert ok and line.endswith(
            f"OK: sqlite, revision {head_revision()}, 0 schedules, 0 alerts"
        )
        assert fresh.database_check in fresh.services.doctor_checks
    finally:
        await fresh.close()
    broken = App.build(
        make_settings(
            tmp_path / "b",
            fake_yahoo.base_url,
            database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        ),
        clock=pinned_clock(),
    )
    try:
        line, ok = await broken.database_check()
        assert not ok and line.startswith("database        FAILED: ")
    finally:
        await broken.close()
