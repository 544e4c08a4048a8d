"""Slack distribution: OrbitDesk installed (OAuth v2) in many workspaces, one token each.

slack-bolt runs the install flow (`/slack/install` -> Slack's authorize page ->
`/slack/oauth_redirect`, which calls `oauth.v2.access`) and authorizes every request with the
token of the workspace it came from. Installations and OAuth states live in the bot's own
database through slack_sdk's SQLAlchemy stores, over the bot's async engine; the tables are
made by the project's migrations (0004_slack_oauth), never by the stores themselves.

ORBITDESK_SLACK_STATE_SECRET signs every state handed out, so a forged or altered state is
turned away before it reaches the database; the state is still single-use and expires there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.slack_manifest import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

STATE_SECONDS = 600  # an install started and not finished within 10 minutes starts again


def oauth_problem(settings: Settings) -> str | None:
    """What is wrong with the distribution (OAuth) settings, as a sentence; None when fine."""
    names = {
        "ORBITDESK_SLACK_CLIENT_ID": settings.slack_client_id,
        "ORBITDESK_SLACK_CLIENT_SECRET": settings.slack_client_secret,
        "ORBITDESK_SLACK_STATE_SECRET": settings.slack_state_secret,
    }
    missing = [name for name, value in names.items() if value is None]
    if missing:
        return f"installing in many workspaces (OAuth) also needs {' and '.join(missing)}"
    if settings.slack_mode != "http":
        return (
            "installing in many workspaces (ORBITDESK_SLACK_CLIENT_ID...) needs "
            "ORBITDESK_SLACK_MODE=http: Slack sends installs, commands and events to the bot's "
            "public URL (Socket Mode serves one workspace, with ORBITDESK_SLACK_BOT_TOKEN)"
        )
    if settings.slack_signing_secret is None:
        return (
            "HTTP mode needs ORBITDESK_SLACK_SIGNING_SECRET (Basic Information > App Credentials)"
        )
    if settings.slack_bot_token is not None:
        return (
            "set either ORBITDESK_SLACK_BOT_TOKEN (one workspace) or ORBITDESK_SLACK_CLIENT_ID, "
            "_CLIENT_SECRET and _STATE_SECRET (many workspaces, each with its own token), not both"
        )
    return None


class SignedStateStore(AsyncOAuthStateStore):
    """OAuth states `<stored>.<HMAC>`: the signature is checked before the database is asked."""

    def __init__(self, inner: AsyncOAuthStateStore, secret: str) -> None:
        self.inner = inner
        self._key = secret.encode()

    @property
    def logger(self) -> logging.Logger:
        return log

    def _sign(self, state: str) -> str:
        digest = hmac.new(self._key, state.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = await self.inner.async_issue(*args, **kwargs)
        return f"{state}.{self._sign(state)}"

    async def async_consume(self, state: str) -> bool:
        stored, _, signature = (state or "").rpartition(".")
        if not stored or not hmac.compare_digest(signature, self._sign(stored)):
            log.warning("slack: an install came back with a state this bot did not sign")
            return False
        return await self.inner.async_consume(stored)


def installation_store(settings: Settings, engine: AsyncEngine) -> AsyncSQLAlchemyInstallationStore:
    """Installations and bot tokens per workspace, in the slack_installations/slack_bots tables."""
    assert settings.slack_client_id is not None  # checked by oauth_problem
    return AsyncSQLAlchemyInstallationStore(
        client_id=settings.slack_client_id,
        engine=engine,
        logger=logging.getLogger("slack_sdk.orbitdesk.installations"),
    )


def oauth_settings(
    settings: Settings, installations: AsyncSQLAlchemyInstallationStore, engine: AsyncEngine
) -> AsyncOAuthSettings:
    """Bolt's install flow: our scopes and paths, our stores, a redirect (no install page)."""
    assert settings.slack_client_secret is not None and settings.slack_state_secret is not None
    states = AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_SECONDS,
        engine=engine,
        logger=logging.getLogger("slack_sdk.orbitdesk.states"),
    )
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        # /slack/install sends the browser straight on to Slack's "Allow" page.
        install_page_rendering_enabled=False,
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=SignedStateStore(states, settings.slack_state_secret.get_secret_value()),
        state_expiration_seconds=STATE_SECONDS,
        logger=logging.getLogger("slack_bolt.orbitdesk.oauth"),
    )
