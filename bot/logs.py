"""Logging: plain or JSON lines, with secrets scrubbed from every message."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

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


def setup_logging(level: str, fmt: str, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        ScrubbingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s", secrets, fmt == "json"
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("yfinance", "peewee", "discord.gateway", "slack_bolt", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
