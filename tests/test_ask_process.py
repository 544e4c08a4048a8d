"""`orbitdesk ask` and `console` as processes: answers on stdout and nothing else, logs in the
data directory, one clear line for a failure, and no lingering after the answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.fakes.yahoo_server import FakeYahoo

ORBITDESK = [sys.executable, "-m", "bot"]


def env_for(tmp_path: Path, yahoo: FakeYahoo) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ORBITDESK_")} | {
        "ORBITDESK_YAHOO_BASE_URL": yahoo.base_url,
        "ORBITDESK_DATA_DIR": str(tmp_path / "data"),
        "no_proxy": "127.0.0.1,localhost",
    }


def run(
    args: list[str], tmp_path: Path, yahoo: FakeYahoo, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ORBITDESK + args,
        env=env_for(tmp_path, yahoo),
        cwd=tmp_path,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ask_json_prints_pure_json_while_logs_go_to_the_data_directory(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    fake_yahoo.fail("all", "500")  # the service logs warnings while it falls back and gives up
    done = run(["ask", "--json", "quote SPCX"], tmp_path, fake_yahoo)
    assert done.returncode == 1
    payload = json.loads(done.stdout)  # the whole of stdout, nothing before or after
    assert payload["kind"] == "upstream"
    assert " WARNING bot.market.service: Yahoo request failed" in done.stderr
    assert " INFO " not in done.stderr  # migrations and the like stay in the log file
    log = (tmp_path / "data" / "orbitdesk.log").read_text()
    assert " INFO alembic.runtime.migration: Running upgrade" in log
    assert " WARNING bot.market.service: Yahoo request failed" in log


def test_console_keeps_log_lines_off_the_screen(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    fake_yahoo.fail("all", "500")
    done = run(["console"], tmp_path, fake_yahoo, stdin="quote SPCX\nexit\n")
    assert done.returncode == 0
    assert "Yahoo" in done.stdout  # the answer explains the failure...
    assert "WARNING" not in done.stdout + done.stderr  # ...so the warnings stay in the log
    assert "INFO" not in done.stdout + done.stderr
    assert "Yahoo request failed" in (tmp_path / "data" / "orbitdesk.log").read_text()


def test_make_run_without_tokens_opens_a_console_that_keeps_log_lines_off_the_screen(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    fake_yahoo.fail("all", "500")
    done = run(["run", "--or-console"], tmp_path, fake_yahoo, stdin="quote SPCX\nexit\n")
    assert done.returncode == 0
    assert "opening the local console instead" in done.stdout
    assert "Yahoo" in done.stdout  # the answer explains the failure...
    assert "WARNING" not in done.stdout + done.stderr  # ...so the warnings stay in the log
    assert "Yahoo request failed" in (tmp_path / "data" / "orbitdesk.log").read_text()


def test_ask_with_an_unwritable_out_directory_is_one_clear_line(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    done = run(["ask", "--out", "/proc/nope", "chart AMZN"], tmp_path, fake_yahoo)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "orbitdesk ask: cannot save the attachment in /proc/nope (No such file or directory): "
        "choose a writable directory with --out"
    ]


def test_ask_exits_within_a_second_and_a_half_of_its_answer_when_yahoo_hangs(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    """Worker threads stuck in a hanging Yahoo call must not hold the process open.

    Measures the gap between the answer line appearing and the process ending (not absolute
    durations, which depend on the machine): it was 2-3 s when exit joined those threads.
    """
    fake_yahoo.fail("all", "hang")
    process = subprocess.Popen(
        [*ORBITDESK, "ask", "quote SPCX"],
        env=env_for(tmp_path, fake_yahoo),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        answer = process.stdout.readline()
        answered = time.monotonic()
        process.wait(timeout=30)
        gap = time.monotonic() - answered
    finally:
        if process.returncode is None:
            process.kill()
            process.wait()
    assert answer == "Yahoo Finance did not answer in time; try again in a moment.\n"
    assert process.returncode == 1
    assert gap < 1.5, f"exited {gap:.2f} s after its answer"


def test_ask_reads_a_question_in_plain_words(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    done = run(["ask", "did the cursor deal close?"], tmp_path, fake_yahoo)
    assert done.returncode == 0, done.stderr
    assert "Read as: `acquisition cursor`" in done.stdout
    assert "SpaceX → Cursor" in done.stdout
    as_json = run(["ask", "--json", "did", "the", "cursor", "deal", "close?"], tmp_path, fake_yahoo)
    payload = json.loads(as_json.stdout)
    assert payload["data"]["read_as"] == "acquisition cursor"
    assert payload["text"].startswith("Read as: `acquisition cursor`\n")
