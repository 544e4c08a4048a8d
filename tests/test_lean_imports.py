"""The CLI stays light: `orbitdesk healthcheck`, `--help` and `ask help` import no heavy library.

Each check runs the real command in a subprocess and reads its `sys.modules` at exit, so an
import added anywhere on the path (bot/__main__.py, bot.app, a command module) fails here.
The healthcheck also keeps its behaviour: 0 and the body against a ready /healthz, 1 and the
body on 503, 1 and one clear line when nothing listens, and the port from the environment
or `.env` as bot.config.Settings reads it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.app import App, registry_core
from bot.context import Channel, DataKey, FeatureData, Invocation, User
from bot.healthcheck import dotenv_values, http_address
from bot.store.db import head_revision, shipped_head
from tests.conftest import make_settings, pinned_clock
from tests.fakes.yahoo_server import FakeYahoo, unused_port

ROOT = Path(__file__).resolve().parent.parent
HEAVY = {
    "pandas",
    "numpy",
    "matplotlib",
    "pint",
    "yfinance",
    "exchange_calendars",
    "discord",
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "alembic",
    "redis",
    "pydantic",
    "aiohttp",
}
# What one `ask help` may not load: it answers through bot.app.registry_core, which builds no
# database layer (SQLAlchemy) and no market. (pydantic reads the settings.)
HEAVY_FOR_ASK = {
    "sqlalchemy",
    "aiohttp",
    "pandas",
    "matplotlib",
    "numpy",
    "pint",
    "yfinance",
    "exchange_calendars",
    "discord",
    "slack_bolt",
    "alembic",
    "redis",
}

# Runs `main(argv)` and prints its exit code and every top-level module it left loaded.
PROBE = """
import contextlib, io, json, sys
from bot.__main__ import main
out = io.StringIO()
try:
    with contextlib.redirect_stdout(out):
        code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "out": out.getvalue(),
                  "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def env_for(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORBITDESK_")}
    env |= {"ORBITDESK_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    env |= {"no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"}
    return env | {f"ORBITDESK_{k.upper()}": v for k, v in settings.items()}


def probe(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, set[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip(), done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], result["out"], set(result["modules"]), done.stderr


def orbitdesk(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class Healthz:
    """A /healthz answering like the bot's: 200 when ready, 503 with the failing checks."""

    def __init__(self, status: int) -> None:
        body = json.dumps(
            {"status": "ok" if status == 200 else "unavailable", "checks": {"discord": True}}
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status if self.path == "/healthz" else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.body = body.decode()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ready() -> Iterator[Healthz]:
    server = Healthz(200)
    yield server
    server.close()


def test_healthcheck_imports_only_the_standard_library(tmp_path: Path, ready: Healthz) -> None:
    code, out, modules, _ = probe(
        ["healthcheck"], env_for(tmp_path, http_port=str(ready.port)), tmp_path
    )
    assert code == 0
    assert out.strip() == ready.body
    assert not modules & HEAVY, sorted(modules & HEAVY)
    assert "bot.config" not in modules and "pydantic_settings" not in modules


def test_help_imports_no_heavy_library(tmp_path: Path) -> None:
    code, out, modules, _ = probe(["--help"], env_for(tmp_path), tmp_path)
    assert code == 0
    assert "healthcheck" in out and "ask" in out
    assert not modules & HEAVY, sorted(modules & HEAVY)


def test_ask_help_loads_no_market_chart_unit_or_platform_library(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    env = env_for(tmp_path, yahoo_base_url=fake_yahoo.base_url)
    code, out, modules, err = probe(["ask", "help"], env, tmp_path)
    assert code == 0, err
    assert "OrbitDesk commands" in out and "quote" in out
    assert not modules & HEAVY_FOR_ASK, sorted(modules & HEAVY_FOR_ASK)
    assert fake_yahoo.requests == []  # help asked Yahoo nothing
    assert not (tmp_path / "data" / "orbitdesk.db").exists()  # nor the database


@pytest.mark.parametrize("platform", ["console", "discord", "slack"])
async def test_the_registry_core_answers_help_as_the_apps_core_does(
    tmp_path: Path, platform: str
) -> None:
    settings = make_settings(tmp_path, None)
    app = App.build(settings, clock=pinned_clock(), load_data=False)
    light = registry_core(settings, clock=pinned_clock())
    user, channel = User(id="u1", can_manage_channel=True), Channel(id="c1")
    try:
        for text in ["help", "help quote", "help orbital", "help nosuch", "help watchlist add"]:
            ask = Invocation(text=text, platform=platform, user=user, channel=channel)
            if platform == "discord":
                words = text.split()[1:]
                ask = Invocation(
                    path=("help",),
                    options={"command": words} if words else {},
                    platform=platform,
                    user=user,
                    channel=channel,
                )
            expected = await app.core.dispatch(ask)
            assert await light.dispatch(ask) == expected
            assert expected.kind in ("ok", "usage") and expected.text
    finally:
        await app.close()


def test_ask_quote_still_migrates_and_warms_before_its_budget(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    env = env_for(tmp_path, yahoo_base_url=fake_yahoo.base_url)
    code, out, modules, err = probe(["ask", "quote SPCX"], env, tmp_path)
    assert code == 0, err
    assert out.startswith("▌ SPCX") and "153.20 USD" in out
    assert "alembic" in modules  # `ask` migrates in its own process (a one-off, not the bot)
    assert "yfinance" not in modules  # a quote needs only our cookie/crumb session (issue 17)
    assert (tmp_path / "data" / "orbitdesk.db").exists()
    # The quote's cache lifetime follows New York's sessions: their table came from a child
    # process running exchange_calendars, into the cache folder; this process never loaded it.
    assert "exchange_calendars" not in modules
    assert [p.name.split("_")[0] for p in (tmp_path / "data/cache/calendars").iterdir()] == ["XNYS"]


def test_healthcheck_exits_0_with_the_body_of_a_ready_bot(tmp_path: Path, ready: Healthz) -> None:
    done = orbitdesk(["healthcheck"], env_for(tmp_path, http_port=str(ready.port)), tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"status": "ok", "checks": {"discord": True}}


def test_healthcheck_exits_1_with_the_failing_checks_when_not_ready(tmp_path: Path) -> None:
    server = Healthz(503)
    try:
        done = orbitdesk(["healthcheck"], env_for(tmp_path, http_port=str(server.port)), tmp_path)
    finally:
        server.close()
    assert done.returncode == 1
    assert json.loads(done.stderr)["status"] == "unavailable"


def test_healthcheck_with_nothing_listening_is_one_clear_line(tmp_path: Path) -> None:
    port = unused_port()
    done = orbitdesk(["healthcheck"], env_for(tmp_path, http_port=str(port)), tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"healthcheck: http://127.0.0.1:{port}/healthz: ")
    assert "Connection refused" in line
    assert "Traceback" not in done.stderr


def test_healthcheck_reads_the_port_from_dotenv_and_the_environment_wins(
    tmp_path: Path, ready: Healthz
) -> None:
    (tmp_path / ".env").write_text(
        f"# the bot's settings\nexport ORBITDESK_HTTP_PORT='{ready.port}'  \n"
        "ORBITDESK_HTTP_HOST=0.0.0.0 # every interface: asked on the loopback\n"
    )
    assert orbitdesk(["healthcheck"], env_for(tmp_path), tmp_path).returncode == 0
    elsewhere = env_for(tmp_path, http_port=str(unused_port()))
    assert orbitdesk(["healthcheck"], elsewhere, tmp_path).returncode == 1


def test_healthcheck_with_a_bad_port_names_the_setting_as_every_command_does(
    tmp_path: Path,
) -> None:
    done = orbitdesk(["healthcheck"], env_for(tmp_path, http_port="eighty"), tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("orbitdesk: setting ORBITDESK_HTTP_PORT: ")


def test_http_address_follows_settings_precedence(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('ORBITDESK_HTTP_PORT="9100"\norbitdesk_http_host=10.0.0.5\n')
    assert http_address({}, dotenv) == ("10.0.0.5", 9100)
    assert http_address({"orbitdesk_http_port": "9200"}, dotenv) == ("10.0.0.5", 9200)
    assert http_address({}, tmp_path / "missing.env") == ("127.0.0.1", 8080)
    assert http_address({"ORBITDESK_HTTP_PORT": "70000"}, dotenv) is None
    assert http_address({"ORBITDESK_HTTP_PORT": ""}, dotenv) is None
    assert dotenv_values(dotenv) == {
        "ORBITDESK_HTTP_PORT": "9100",
        "ORBITDESK_HTTP_HOST": "10.0.0.5",
    }


def test_the_head_read_without_alembic_is_alembics_head() -> None:
    assert shipped_head() is not None
    assert shipped_head() == head_revision()


def test_lazy_feature_data_loads_once_on_first_use() -> None:
    loads: list[int] = []
    key: DataKey[list[int]] = DataKey("numbers")
    data = FeatureData()

    def load() -> list[int]:
        loads.append(1)
        return [1, 2]

    data.put_lazy(key, load)
    assert key in data and loads == []
    assert data.get(key) == [1, 2] and data.get(key) == [1, 2]
    assert loads == [1]
    other: DataKey[int] = DataKey("other")
    data.put_lazy(other, lambda: 7)
    data.load_all()
    assert data.get(other) == 7 and loads == [1]


def test_unit_defaults_parse_on_first_read_with_the_same_values() -> None:
    code = (
        "import sys, commands\n"
        "from commands.orbital import assumptions as d\n"
        "before = 'pint' in sys.modules\n"
        "print(before, d.TEMPERATURE.si, d.LAUNCH_PRICE.text, 'pint' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    assert done.stdout.split() == ["False", "293.15", "$3,600/kg", "True"]


# Starts an App as `orbitdesk run` does (migrate_apart) on a fresh SQLite file, then prints
# the schema state and whether Alembic was ever loaded in this process. argv[1] "fail" makes
# the child fail to start (a missing interpreter), so this process must migrate itself.
MIGRATE_PROBE = """
import asyncio, json, sys
from bot.app import App
from bot.config import Settings
if sys.argv[1:] == ["fail"]:
    sys.executable = "/nonexistent/python"
async def main():
    app = App.build(Settings(), load_data=False)
    await app.start(warm=False, migrate_apart=True)
    current = await app.database.is_current()
    ready = app.database_ready.is_set()
    await app.close()
    return {"current": current, "ready": ready, "alembic": "alembic" in sys.modules}
print(json.dumps(asyncio.run(main())))
"""


@pytest.mark.parametrize(
    ("child", "alembic_here"), [("works", False), ("fail", True)], ids=["child", "fallback"]
)
def test_the_running_bot_migrates_in_a_child_and_keeps_alembic_out(
    tmp_path: Path, child: str, alembic_here: bool
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", MIGRATE_PROBE, child],
        env=env_for(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"current": True, "ready": True, "alembic": alembic_here}
