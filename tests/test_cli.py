"""The real `orbitdesk` program, run as a user would, against the fake Yahoo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fakes.yahoo_server import FakeYahoo, unused_port

ORBITDESK = [sys.executable, "-m", "bot"]


def run(
    args: list[str], base_url: str, tmp_path: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORBITDESK_")} | {
        "ORBITDESK_YAHOO_BASE_URL": base_url,
        "ORBITDESK_DATA_DIR": str(tmp_path / "data"),
        "no_proxy": "127.0.0.1,localhost",
    }
    return subprocess.run(
        ORBITDESK + args,
        env=env,
        cwd=tmp_path,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ask_json_prints_the_response(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    done = run(["ask", "--json", "quote SPCX AMZN"], fake_yahoo.base_url, tmp_path)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert {"text", "cards", "data", "ephemeral", "kind", "attachments"} <= payload.keys()
    assert payload["ephemeral"] is False
    titles = [c["title"] for c in payload["cards"]]
    assert titles == ["SPCX · Space Exploration Technologies Corp.", "AMZN · Amazon.com, Inc."]
    fields = {f["name"]: f["value"] for f in payload["cards"][1]["fields"]}
    assert fields["Price"] == "231.50 USD"
    assert fields["Change"] == "+5.52 (+2.44%)"
    assert payload["cards"][0]["tone"] == "up"
    assert payload["data"]["quotes"][0]["price"] == 153.2


def test_ask_exit_codes(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    assert run(["ask", "quote SPCX"], fake_yahoo.base_url, tmp_path).returncode == 0
    usage = run(["ask", "quote"], fake_yahoo.base_url, tmp_path)
    assert usage.returncode == 2
    assert usage.stdout.strip() == "Missing <symbol...>.\nUsage: quote <symbol...>"
    assert run(["ask", "quote ZZZZQ"], fake_yahoo.base_url, tmp_path).returncode == 2
    down = run(["ask", "quote SPCX"], f"http://127.0.0.1:{unused_port()}", tmp_path)
    assert down.returncode == 1
    assert "cannot be reached" in down.stdout
    assert "Traceback" not in down.stdout + down.stderr


def test_console_reads_piped_lines(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    done = run(["console"], fake_yahoo.base_url, tmp_path, stdin="help\nquote spacex\nexit\n")
    assert done.returncode == 0, done.stderr
    assert "OrbitDesk commands" in done.stdout
    assert "SPCX · Space Exploration Technologies Corp." in done.stdout


def test_run_without_tokens_opens_the_console_or_explains(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    fallback = run(["run", "--or-console"], fake_yahoo.base_url, tmp_path, stdin="quote AMZN\n")
    assert fallback.returncode == 0
    assert "opening the local console" in fallback.stdout
    assert "AMZN · Amazon.com, Inc." in fallback.stdout
    strict = run(["run"], fake_yahoo.base_url, tmp_path)
    assert strict.returncode == 2
    assert "ORBITDESK_DISCORD_TOKEN" in strict.stderr


def test_bad_setting_is_named(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ORBITDESK_YAHOO_TIMEOUT=-3\n")
    done = run(["ask", "help"], fake_yahoo.base_url, tmp_path)
    assert done.returncode == 2
    assert "ORBITDESK_YAHOO_TIMEOUT" in done.stderr


def test_doctor_checks_yahoo(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    ok = run(["doctor"], fake_yahoo.base_url, tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "yahoo           OK: AAPL 271.49 USD via quote" in ok.stdout
    down = run(["doctor"], f"http://127.0.0.1:{unused_port()}", tmp_path)
    assert down.returncode == 1
    assert "yahoo           FAILED: unreachable" in down.stdout


def test_doctor_names_why_the_deal_watch_is_off_without_an_sec_user_agent(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    # `run` clears every ORBITDESK_ variable, so ORBITDESK_SEC_USER_AGENT is unset here.
    done = run(["doctor"], fake_yahoo.base_url, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr  # off is a valid setup
    [line] = [ln.strip() for ln in done.stdout.splitlines() if ln.strip().startswith("deal watch")]
    assert line == (
        "deal watch      OFF: the deal watch is off: set ORBITDESK_SEC_USER_AGENT to your name "
        "or company and a contact email (the SEC refuses undeclared tools)"
    )


def test_ask_into_a_pipe_that_closes_early_shows_no_traceback(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    # `orbitdesk ask --json "quote SPCX AMZN" | head -3` could end in a BrokenPipeError;
    # `true` reads nothing and exits at once, so the write always meets a closed pipe.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORBITDESK_")} | {
        "ORBITDESK_YAHOO_BASE_URL": fake_yahoo.base_url,
        "ORBITDESK_DATA_DIR": str(tmp_path / "data"),
        "no_proxy": "127.0.0.1,localhost",
    }
    command = " ".join(ORBITDESK) + ' ask --json "quote SPCX AMZN" | true'
    done = subprocess.run(
        ["bash", "-c", command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
