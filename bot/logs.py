"""Logging: plain or JSON lines, with secrets scrubbed from every message."""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

# `ask` and `console` log here, under the data directory, instead of into their answers.
LOG_FILE = "orbitdesk.log"
LOG_FILE_BYTES = 1_000_000  # then rotated once to orbitdesk.log.1

# Slack tokens, Discord bot tokens, and anything after token=/secret=.
_SECRET_PATTERNS = [
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}"),
    re.compile(r"(?i)((?:token|secret|password)=)[^\s&]+"),
]


def scrub(text: str, extra: Iterable[str] = ()) -> str:
    for secret in extra:
        if secret:
            text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


class ScrubbingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: Iterable[str], as_json: bool) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        if self.as_json:
            payload = {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            if record.exc_info:
                payload["traceback"] = self.formatException(record.exc_info)
            return scrub(json.dumps(payload), self.secrets)
        return scrub(super().format(record), self.secrets)


def setup_logging(
    level: str,
    fmt: str,
    secrets: Iterable[str] = (),
    *,
    log_file: Path | None = None,
    stderr_level: str | None = None,
) -> None:
    """Log at `level` to stderr; or, with `log_file`, to that file at `level` and to stderr
    only from `stderr_level` up. Nothing is ever logged to stdout."""
    formatter = ScrubbingFormatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s", list(secrets), fmt == "json"
    )
    stderr = logging.StreamHandler(sys.stderr)
    handlers: list[logging.Handler] = [stderr]
    if log_file is not None:
        quiet_from = logging.getLevelName(stderr_level or "WARNING")
        stderr.setLevel(max(logging.getLevelName(level), quiet_from))
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            to_file = logging.handlers.RotatingFileHandler(
                log_file, maxBytes=LOG_FILE_BYTES, backupCount=1, encoding="utf-8"
            )
        except OSError:
            pass  # no writable data directory: the command itself will say so, once
        else:
            to_file.setLevel(level)
            handlers.append(to_file)
    for handler in handlers:
        handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level)
    for noisy in ("yfinance", "peewee", "discord.gateway", "slack_bolt", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
