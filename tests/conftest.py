"""Shared fixtures: an offline network guard, a fake Yahoo, and apps wired to it."""

from __future__ import annotations

import atexit
import ipaddress
import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.console import invocation
from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.response import Response
from tests.fakes.yahoo_server import FakeYahoo

# Database fixtures (SQLite and PostgreSQL) for the store, scheduler and alert tests.
pytest_plugins = ("tests.store_fixtures", "tests.redis_fixtures")

# Settings must come from the test, never from a developer's .env or shell.
for _key in list(os.environ):
    if _key.startswith("ORBITDESK_") and _key not in (
        "ORBITDESK_TEST_DATABASE_URL",
        "ORBITDESK_TEST_REDIS_URL",
    ):
        del os.environ[_key]
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
# Exchange session tables, shared by every app this session builds: each table is computed
# once (a child process running exchange_calendars), not once per test.
_calendar_cache = tempfile.mkdtemp(prefix="orbitdesk-calendars-")
atexit.register(shutil.rmtree, _calendar_cache, ignore_errors=True)
os.environ["ORBITDESK_CALENDAR_CACHE_DIR"] = _calendar_cache
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(address: Any) -> None:
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            if host in ("localhost",):
                return
            raise OSError(f"test tried to reach {host!r}: tests never touch the internet") from None
        if not ip.is_loopback:
            raise OSError(f"test tried to reach {host}: tests never touch the internet")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


# The one instant every test runs at unless it says otherwise: Tuesday 24 Nov 2026, 16:30 in
# New York (EST), half an hour after a regular close, two days before Thanksgiving. The fake
# Yahoo and the app's clock are both pinned to it, so no answer depends on today's date
# (`make test-any-date` runs the suite under libfaketime to prove it).
PINNED_NOW = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)


def pinned_clock(now: datetime = PINNED_NOW) -> ManualClock:
    """A manual clock at the pinned instant, for every App a test builds."""
    return ManualClock(now)


@pytest.fixture
def pinned_now() -> datetime:
    """The instant of `fake_yahoo` and `app`; a test module may override it with its own."""
    return PINNED_NOW


@pytest.fixture
def fake_yahoo(pinned_now: datetime) -> Iterator[FakeYahoo]:
    with FakeYahoo(now=pinned_now) as fake:
        yield fake


def make_settings(tmp_path: Path, base_url: str | None, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        yahoo_base_url=base_url,
        **overrides,
    )


@pytest.fixture
async def app(tmp_path: Path, fake_yahoo: FakeYahoo, pinned_now: datetime) -> AsyncIterator[App]:
    built = App.build(make_settings(tmp_path, fake_yahoo.base_url), clock=pinned_clock(pinned_now))
    await built.start()
    yield built
    await built.close()


class Chat:
    """A console conversation: `await chat("quote SPCX")` returns the Response."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, text: str) -> Response:
        return await self.app.core.dispatch(invocation(text))


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app)
