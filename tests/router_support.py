"""A router built from the real vocabulary (aliases, deal book, claims, registry), offline."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from bot.app import App
from bot.router.router import Router
from tests.conftest import make_settings


@cache
def real_app() -> App:
    """Built, never started: the router needs no network, no database."""
    return App.build(make_settings(Path(tempfile.mkdtemp()), "http://127.0.0.1:9"))


def real_router() -> Router:
    return real_app().services.asker.router
