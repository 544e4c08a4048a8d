"""Every setting the bot reads is documented in the README and in deploy/.env.example."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
NAMES = [f"ORBITDESK_{name.upper()}" for name in Settings.model_fields]


@pytest.mark.parametrize("document", ["README.md", "deploy/.env.example"])
def test_every_setting_is_documented(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    missing = [name for name in NAMES if name not in text]
    assert missing == [], f"{document} does not mention {missing}"
