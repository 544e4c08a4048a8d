"""Logs never print secrets, in plain or JSON form."""

from __future__ import annotations

import json
import logging

from bot.logs import ScrubbingFormatter, scrub


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("bot.x", logging.WARNING, __file__, 1, message, None, None)


def test_known_token_shapes_are_scrubbed() -> None:
    text = (
        "slack xoxb-1234-5678-abcdef app xapp-1-A0-123-abc "
        "discord MTA4NzY1NDMyMTA5ODc2NTQzMg.GabcDE.abcdefghijklmnopqrstuvwxyz0123 "
        "url https://x/?token=hunter2&x=1"
    )
    cleaned = scrub(text)
    for secret in ("xoxb-1234", "xapp-1-A0", "MTA4NzY1", "hunter2"):
        assert secret not in cleaned
    assert "token=***" in cleaned


def test_configured_secrets_are_scrubbed_in_json_lines() -> None:
    formatter = ScrubbingFormatter("%(message)s", ["s3cr3t-signing"], as_json=True)
    line = formatter.format(record("verifying with s3cr3t-signing"))
    payload = json.loads(line)
    assert payload["message"] == "verifying with ***"
    assert payload["level"] == "WARNING" and payload["logger"] == "bot.x"
