"""The Slack adapter: slash commands in through slack-bolt, Block Kit answers out.

Socket Mode (default, no public URL) or HTTP mode (`/slack/events`, every request checked
against the signing secret by Bolt). Each command is acknowledged at once, run through the
core, and answered through the command's `response_url`; charts go up with files_upload_v2.
Only translation lives here: parsing is the core's, layout is slack_render's.

One workspace (ORBITDESK_SLACK_BOT_TOKEN) or many (distribution, HTTP mode: the OAuth settings,
see slack_oauth): then `/slack/install` and `/slack/oauth_redirect` are served too, every
request is answered with the token of its workspace, scheduled posts use the token of the
schedule's workspace, and a workspace that uninstalls the app loses its schedules and alerts.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
import yarl
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.base import PostError, PostKey
from bot.adapters.slack_manifest import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, UMBRELLA
from bot.adapters.slack_oauth import installation_store, oauth_problem, oauth_settings
from bot.adapters.slack_render import render
from bot.context import Channel, Invocation, User
from bot.dedup import SeenRecently
from bot.response import Attachment, Response
from bot.startup import StartupError, host_of, unreachable, why_unreachable

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Settings

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 300.0
DRAIN_SECONDS = 5.0  # how long stop() waits for answers already being worked on
RATE_LIMIT_RETRIES = 2
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
POST_EVENT = "orbitdesk_scheduled_post"  # message metadata naming the slot a post is for
HISTORY_LOOKBACK = 100  # recent messages searched for a slot that may have been posted

# Errors after which posting to the same channel again cannot succeed without a person acting.
PERMANENT_ERRORS = {
    "not_in_channel": "the bot is not in this channel; invite it with /invite @OrbitDesk",
    "channel_not_found": "the channel does not exist, or the bot cannot see it",
    "is_archived": "the channel is archived",
    "missing_scope": "the Slack app lacks a scope; reinstall it from the generated manifest",
    "restricted_action": "the workspace does not let the bot post there",
    "invalid_auth": "the bot token is not valid",
    "token_revoked": "the bot token was revoked",
    "account_inactive": "the bot's account is deactivated",
    "not_authed": "no bot token was sent",
}

Ack = Callable[..., Awaitable[None]]
Respond = Callable[..., Awaitable[Any]]


def settings_problem(settings: Settings) -> str | None:
    """What is missing for the configured Slack mode, as a sentence; None when complete."""
    if settings.slack_oauth:
        return oauth_problem(settings)
    if settings.slack_bot_token is None:
        return "set ORBITDESK_SLACK_BOT_TOKEN (xoxb-...)"
    if settings.slack_mode == "socket" and settings.slack_app_token is None:
        return "Socket Mode needs ORBITDESK_SLACK_APP_TOKEN (xapp-..., scope connections:write)"
    if settings.slack_mode == "http" and settings.slack_signing_secret is None:
        return (
            "HTTP mode needs ORBITDESK_SLACK_SIGNING_SECRET (Basic Information > App Credentials)"
        )
    return None


def invocation_text(command: str, text: str) -> str:
    """`/quote` + `SPCX AMZN` -> `quote SPCX AMZN`; the umbrella `/orbitdesk` takes any command."""
    name = command.lstrip("/").lower()
    text = text.strip()
    if name == UMBRELLA:
        return text or "help"
    return f"{name} {text}".strip()


def post_error(exc: SlackApiError) -> PostError:
    """A Slack API failure as a PostError whose reason is Slack's own error code."""
    status = exc.response.status_code
    error = str(exc.response.get("error") or f"http_{status}")
    if status == 429 or error == "ratelimited":
        return PostError("rate_limited", "Slack is rate-limiting posts", permanent=False)
    if error in PERMANENT_ERRORS:
        return PostError(error, PERMANENT_ERRORS[error], permanent=True)
    return PostError(error, f"Slack refused the post: {error}", permanent=False)


class SlackAdapter:
    """One Slack workspace, or many (OAuth distribution), through slack-bolt's AsyncApp."""

    name = "slack"

    def __init__(self, app: App) -> None:
        settings = app.settings
        problem = settings_problem(settings)
        if problem is not None:
            raise ValueError(f"Slack is not configured: {problem}")
        self.app = app
        self.settings = settings
        self.oauth = settings.slack_oauth  # many workspaces, a token each
        self.admins = frozenset(u.strip() for u in settings.slack_admins.split(",") if u.strip())
        base = (settings.slack_api_base or "https://slack.com/api").rstrip("/") + "/"
        token = settings.slack_bot_token
        self.client = AsyncWebClient(
            # Distribution: no token of its own; Bolt sets each request's workspace token.
            token=None if self.oauth or token is None else token.get_secret_value(),
            base_url=base,
            retry_handlers=_retry_handlers(),
        )
        http = settings.slack_mode == "http"
        secret = settings.slack_signing_secret
        self.installations = (
            installation_store(settings, app.database.engine) if self.oauth else None
        )
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=secret.get_secret_value() if secret else "",
            # Socket Mode envelopes come over an authenticated websocket: nothing to sign.
            request_verification_enabled=http,
            logger=logging.getLogger("slack_bolt.orbitdesk"),
            oauth_settings=None
            if self.installations is None
            else oauth_settings(settings, self.installations, app.database.engine),
            installation_store_bot_only=True if self.oauth else None,
            # Bolt takes an AsyncAuthorize instance here too, though typed as a callable.
            authorize=None if self.installations is None else self._workspace_tokens(),  # type: ignore[arg-type]
        )
        if self.oauth:
            self.bolt.event("app_uninstalled")(self._on_uninstalled)
            self.bolt.event("tokens_revoked")(self._on_tokens_revoked)
        self.commands = [*app.services.registry.top_level_names(), UMBRELLA]
        for name in self.commands:
            self.bolt.command(f"/{name}")(self._on_command)
        self._handler: AsyncSocketModeHandler | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ready = False
        self._admin_cache: dict[tuple[str, str], tuple[float, bool]] = {}  # (team, user)
        self._seen = SeenRecently()  # trigger ids of commands already run
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def _workspace_tokens(self) -> AsyncInstallationStoreAuthorize:
        """Each request's workspace token from the installations; auth.test asked once per
        token (cached), not once per command. Looked up afresh each time, so an uninstalled
        workspace is refused at once."""
        assert self.installations is not None and self.settings.slack_client_secret is not None
        return AsyncInstallationStoreAuthorize(
            logger=logging.getLogger("slack_bolt.orbitdesk.authorize"),
            installation_store=self.installations,
            client_id=self.settings.slack_client_id,
            client_secret=self.settings.slack_client_secret.get_secret_value(),
            bot_only=True,
            cache_enabled=True,
            client=self.client,
        )

    # ChatAdapter -------------------------------------------------------------------------

    async def start(self) -> None:
        """Check the token, then open the Socket Mode connection or take HTTP commands."""
        # One pooled session for Web API calls instead of one per call.
        self._session = aiohttp.ClientSession()
        self.client.session = self._session
        if self.oauth:
            # No token of its own to check: each workspace's was checked when it installed.
            log.info(
                "slack: HTTP mode for many workspaces: installs at %s, commands at %s",
                INSTALL_PATH,
                EVENTS_PATH,
            )
            self._ready = True
            return
        try:
            who = await self.client.auth_test()
        except SlackApiError as exc:
            await self._close_session()
            raise StartupError(
                f"Slack: refused ORBITDESK_SLACK_BOT_TOKEN ({exc.response.get('error')}): check "
                "the bot token (your app > OAuth & Permissions > Bot User OAuth Token)"
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            await self._close_session()
            raise self._unreachable(exc) from None
        log.info("slack: signed in as %s in %s", who.get("user"), who.get("team"))
        if self.settings.slack_mode == "socket":
            await self._start_socket_mode()
        else:
            log.info("slack: HTTP mode, commands at %s on the shared listener", EVENTS_PATH)
        self._ready = True

    async def stop(self) -> None:
        """Stop taking commands, let answers in progress finish (bounded), disconnect."""
        self._ready = False
        if self._handler is not None:
            await self._handler.close_async()
            self._handler = None
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=DRAIN_SECONDS)
        except TimeoutError:
            log.warning("slack: %d answer(s) still running at shutdown", self._in_flight)
        await self._close_session()

    def is_ready(self) -> bool:
        if not self._ready:
            return False
        if self._handler is not None:
            ws = self._handler.client.current_session
            return ws is not None and not ws.closed
        return True

    async def post(
        self,
        channel_id: str,
        response: Response,
        key: PostKey | None = None,
        *,
        guild_id: str | None = None,
    ) -> None:
        """Post a Response to a channel (scheduled posts) with chat.postMessage.

        With a key, the message carries it in its metadata; when an earlier attempt may have
        gone out (`maybe_sent`), the channel's recent history is searched for it first.
        Installed in many workspaces, it posts with the token of `guild_id` (the team id).
        """
        files = list(response.attachments)
        message = render(response, uploaded=[a.filename for a in files])
        try:
            client = await self._client_for(guild_id)
            if (
                key is not None
                and key.maybe_sent
                and await self._already_posted(client, channel_id, key)
            ):
                log.info("slot %s was already posted in %s; not posting again", key.id, channel_id)
                return
            await client.chat_postMessage(
                channel=channel_id,
                text=message["text"],
                blocks=message["blocks"] or None,
                unfurl_links=False,
                unfurl_media=False,
                metadata=None
                if key is None
                else {"event_type": POST_EVENT, "event_payload": {"slot": key.id}},
            )
            if files:
                await self._upload(client, channel_id, files)
        except SlackApiError as exc:
            raise post_error(exc) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise PostError(
                "unreachable", f"Slack cannot be reached: {exc}", permanent=False
            ) from None

    async def _client_for(self, team_id: str | None) -> AsyncWebClient:
        """The Web API client holding the token of workspace `team_id`.

        One workspace: the bot's client. Many: the installation's bot token; a workspace that
        has no installation (removed the app) is a permanent failure.
        """
        if self.installations is None:
            return self.client
        bot = None
        if team_id:
            bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise PostError(
                "not_installed",
                f"OrbitDesk is not installed in Slack workspace {team_id or '(none)'}; "
                f"install it again from {INSTALL_PATH}",
                permanent=True,
            )
        return AsyncWebClient(
            token=bot.bot_token,
            base_url=self.client.base_url,
            session=self._session,
            team_id=team_id,
            retry_handlers=_retry_handlers(),
        )

    async def _already_posted(self, client: AsyncWebClient, channel_id: str, key: PostKey) -> bool:
        """Whether the channel's recent messages include one carrying this key."""
        try:
            answer = await client.conversations_history(
                channel=channel_id, limit=HISTORY_LOOKBACK, include_all_metadata=True
            )
        except SlackApiError as exc:  # e.g. missing_scope: post rather than lose the slot
            log.warning(
                "cannot read %s's history to check slot %s (%s); posting it",
                channel_id,
                key.id,
                exc.response.get("error"),
            )
            return False
        for item in answer.get("messages") or []:
            metadata = item.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == POST_EVENT and payload.get("slot") == key.id:
                return True
        return False

    def routes(self) -> list[web.RouteDef]:
        """HTTP mode: /slack/events, served from the bot's shared listener beside /healthz;
        installable in many workspaces, also /slack/install and /slack/oauth_redirect."""
        if self.settings.slack_mode != "http":
            return []
        routes = [web.post(EVENTS_PATH, self._on_request)]
        if self.oauth:
            routes += [
                web.get(INSTALL_PATH, self._on_oauth),
                web.get(REDIRECT_PATH, self._on_oauth),
            ]
        return routes

    async def _on_oauth(self, request: web.Request) -> web.Response:
        """The install flow's two pages (a browser, not Slack, asks: nothing to verify)."""
        flow = self.bolt.oauth_flow
        if not self._ready or flow is None:
            return web.Response(status=503, text="OrbitDesk is starting; try again in a moment")
        bolt_request = await to_bolt_request(request)
        if request.path == INSTALL_PATH:
            response = await flow.handle_installation(bolt_request)
        else:
            response = await flow.handle_callback(bolt_request)
        return await to_aiohttp_response(response)

    async def _on_request(self, request: web.Request) -> web.Response:
        """One signed request from Slack, handed to Bolt (which checks the signature)."""
        if not _well_formed(request.headers):
            return web.Response(status=401, text="missing or malformed Slack signature headers")
        if not self._ready:
            # Not signed in yet, or stopping: Slack tells the user the app did not respond.
            return web.Response(status=503, text="OrbitDesk is not taking commands right now")
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    # Starting ----------------------------------------------------------------------------

    async def _start_socket_mode(self) -> None:
        assert self.settings.slack_app_token is not None  # checked in __init__
        handler = AsyncSocketModeHandler(
            self.bolt, self.settings.slack_app_token.get_secret_value(), web_client=self.client
        )
        # Ask for the websocket URL ourselves: a bad app token then fails here, once, with
        # Slack's reason, instead of inside the client's endless reconnect loop.
        try:
            handler.client.wss_uri = await handler.client.issue_new_wss_url()
        except SlackApiError as exc:
            await handler.client.close()
            raise StartupError(
                f"Slack: refused ORBITDESK_SLACK_APP_TOKEN ({exc.response.get('error')}): check "
                "the app-level token (Basic Information > App-Level Tokens, connections:write)"
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            await handler.client.close()
            raise self._unreachable(exc) from None
        try:
            await handler.connect_async()
        except (aiohttp.ClientError, OSError) as exc:
            await handler.client.close()
            log.debug("slack: Socket Mode connection failed", exc_info=exc)
            raise StartupError(
                f"Slack: could not open the Socket Mode connection to "
                f"{host_of(exc, 'wss-primary.slack.com')} ({why_unreachable(exc)}): check the "
                "network (outgoing websockets) or ORBITDESK_SLACK_API_BASE"
            ) from None
        self._handler = handler
        log.info("slack: Socket Mode connected")

    def _unreachable(self, exc: BaseException) -> StartupError:
        log.debug("slack: Web API unreachable at start-up", exc_info=exc)
        host = yarl.URL(self.client.base_url).host or "slack.com"
        return StartupError(
            unreachable("Slack", exc, fallback_host=host, setting="ORBITDESK_SLACK_API_BASE")
        )

    async def _close_session(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
            self.client.session = None

    # Commands ----------------------------------------------------------------------------

    async def _on_command(
        self, ack: Ack, command: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        """Ack first (Slack drops commands not acked in 3 s), then run and answer.

        `client` is Bolt's, holding the token of the workspace the command came from.
        """
        await ack()
        trigger = str(command.get("trigger_id") or "")
        if trigger and not self._seen.first_time(trigger):
            # The same signed request again (replayed within Slack's 5-minute window, or
            # delivered twice): it ran once already, so it must not change anything again.
            log.warning("slack: request %s arrived again; not run twice", trigger)
            return
        self._in_flight += 1
        self._idle.clear()
        try:
            text = invocation_text(command.get("command", ""), command.get("text", ""))
            invocation = Invocation(
                text=text,
                platform="slack",
                user=User(id=command.get("user_id", ""), name=command.get("user_name", "")),
                channel=Channel(
                    id=command.get("channel_id", ""),
                    name=command.get("channel_name", ""),
                    guild_id=command.get("team_id"),
                ),
            )
            response = await self.app.core.dispatch(
                invocation, authorize=lambda inv, spec: self._authorize(client, inv)
            )
            await self._answer(client, invocation.channel.id, response, respond)
        except Exception:
            log.exception("slack: answering %s failed", command.get("command"))
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _answer(
        self, client: AsyncWebClient, channel_id: str, response: Response, respond: Respond
    ) -> None:
        ephemeral = response.ephemeral or self.settings.slack_answer_visibility == "ephemeral"
        # Files are always visible to the whole channel, so private answers carry none.
        files = [] if ephemeral else list(response.attachments)
        message = render(response, uploaded=[a.filename for a in files])
        result = await respond(
            text=message["text"],
            blocks=message["blocks"] or None,
            response_type="ephemeral" if ephemeral else "in_channel",
            unfurl_links=False,
            unfurl_media=False,
        )
        status = getattr(result, "status_code", 200)
        if status != 200:
            log.warning("slack: response_url answered %s", status)
        if not files:
            return
        try:
            await self._upload(client, channel_id, files)
        except SlackApiError as exc:
            error = post_error(exc)
            log.warning("slack: chart upload failed: %s", error.reason)
            await respond(
                text=f"The chart could not be attached: {error.message}.",
                response_type="ephemeral",
            )

    async def _upload(
        self, client: AsyncWebClient, channel_id: str, files: Sequence[Attachment]
    ) -> None:
        """Share attachments in the channel (files.getUploadURLExternal, upload, complete)."""
        await client.files_upload_v2(
            channel=channel_id,
            file_uploads=[
                {
                    "content": a.content,
                    "filename": a.filename,
                    "title": a.description or a.filename,
                    "alt_txt": a.description or a.filename,
                }
                for a in files
            ],
        )

    # Permissions -------------------------------------------------------------------------

    async def _authorize(self, client: AsyncWebClient, invocation: Invocation) -> bool:
        """May this user change channels? Workspace admins and owners, and ORBITDESK_SLACK_ADMINS.

        The core asks only before commands that change a channel; users.info answers (asked
        with the token of the user's workspace) are cached per workspace and user.
        """
        user_id = invocation.user.id
        if user_id in self.admins:
            return True
        now = time.monotonic()
        cache_key = (invocation.channel.guild_id or "", user_id)
        cached = self._admin_cache.get(cache_key)
        if cached is not None and now - cached[0] < ADMIN_CACHE_SECONDS:
            return cached[1]
        try:
            info = await client.users_info(user=user_id)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("slack: users.info for %s failed: %s", user_id, exc)
            return False
        user = info.get("user") or {}
        allowed = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        self._admin_cache[cache_key] = (now, allowed)
        return allowed

    # Workspaces leaving (distribution) ---------------------------------------------------

    async def _on_uninstalled(self, context: AsyncBoltContext) -> None:
        """A workspace removed the app: forget its installation, schedules and alerts."""
        await self._forget(context.enterprise_id, context.team_id, "uninstalled the app")

    async def _on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """The bot token was revoked: without it nothing can be posted there any more."""
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):
            await self._forget(context.enterprise_id, context.team_id, "revoked the bot token")

    async def _forget(self, enterprise_id: str | None, team_id: str | None, why: str) -> None:
        assert self.installations is not None  # listeners exist only in distribution
        await self.installations.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
        if not team_id:
            return
        schedules, alerts = await self.app.store.delete_workspace("slack", team_id)
        log.info(
            "slack: workspace %s %s: installation, %d schedule(s) and %d alert(s) deleted",
            team_id,
            why,
            schedules,
            alerts,
        )


def _retry_handlers() -> list[Any]:
    """429s wait for Retry-After; a dropped connection is tried once more."""
    return [
        AsyncConnectionErrorRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]


def _well_formed(headers: Mapping[str, str]) -> bool:
    """Slack's signature headers are present and shaped as Slack makes them (a Unix time in
    ASCII digits, `v0=` and 64 hex digits), before Bolt does arithmetic on them."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    return bool(_TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature))
