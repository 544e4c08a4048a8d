"""Processes starting together on a fresh SQLite file all come up (migrations serialised)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ORBITDESK = [sys.executable, "-m", "bot"]


def start_upgrade(data_dir: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORBITDESK_")} | {
        "ORBITDESK_DATA_DIR": str(data_dir),
    }
    return subprocess.Popen(
        [*ORBITDESK, "db", "upgrade"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_migrating_one_fresh_sqlite_file_both_succeed(tmp_path: Path) -> None:
    # Each trial is a new file; before the lock, 6 of 6 such pairs had one crash with
    # "table ... already exists".
    for trial in range(2):
        data_dir = tmp_path / f"trial{trial}"
        pair = [start_upgrade(data_dir), start_upgrade(data_dir)]
        results = [p.communicate(timeout=120) for p in pair]
        for process, (_out, err) in zip(pair, results, strict=True):
            assert process.returncode == 0, err[-2000:]
            assert "already exists" not in err
        current = subprocess.run(
            [*ORBITDESK, "db", "current"],
            env={k: v for k, v in os.environ.items() if not k.startswith("ORBITDESK_")}
            | {"ORBITDESK_DATA_DIR": str(data_dir)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert current.returncode == 0, current.stderr
        assert "up to date" in current.stdout
