"""The Slack adapter: slash commands in through slack-bolt, Block Kit answers out.

Socket Mode (default, no public URL) or HTTP mode (`/slack/events`, every request checked
against the signing secret by Bolt). Each command runs through the core at once; an answer
ready within ORBITDESK_SLACK_ACK_GRACE is the acknowledgement itself, a slower one is acked
empty and follows through the command's `response_url`; charts go up with files_upload_v2.
Only translation lives here: parsing is the core's, layout is slack_render's.

One workspace (ORBITDESK_SLACK_BOT_TOKEN) or many (distribution, HTTP mode: the OAuth settings,
see slack_oauth): then `/slack/install` and `/slack/oauth_redirect` are served too, every
request is answered with the token of its workspace, scheduled posts use the token of the
schedule's workspace, and a workspace that uninstalls the app loses its schedules and alerts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
import yarl
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.actions import ActionIdError, decode, refusal
from bot.adapters.base import PostError, PostKey
from bot.adapters.slack_home import (
    MAX_OPTION_VALUE,
    MAX_OPTIONS,
    PICK_PREFIX,
    home_view,
    picked_value,
    read_pick_action_id,
    suggestion_options,
    unfurls,
)
from bot.adapters.slack_manifest import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, UMBRELLA
from bot.adapters.slack_oauth import installation_store, oauth_problem, oauth_settings
from bot.adapters.slack_render import render
from bot.adapters.slack_respond import PooledRespond
from bot.context import Channel, Invocation, User
from bot.glance import CashtagDesk, Viewer, quote_link_symbol
from bot.response import Attachment, Response
from bot.router import ask
from bot.startup import StartupError, host_of, unreachable, why_unreachable

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Settings
    from bot.registry import Registry

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 300.0
DRAIN_SECONDS = 5.0  # how long stop() waits for answers already being worked on
RATE_LIMIT_RETRIES = 2
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
POST_EVENT = "orbitdesk_scheduled_post"  # message metadata naming the slot a post is for
HISTORY_LOOKBACK = 100  # recent messages searched for a slot that may have been posted
MAX_UNFURLS = 5  # quote links previewed in one message; Slack sends at most 5 links anyway
MEMBERSHIP_CACHE_SECONDS = 300.0  # how long a user's channel list is reused for their home
MAX_HOME_CHANNELS = 1000  # channels looked at for one home (users.conversations pages of 200)

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

ACTION_IDS = re.compile(r"(?s)^od.*$")  # buttons and selects OrbitDesk made (bot.actions)
Ack = Callable[..., Awaitable[None]]
Respond = Callable[..., Awaitable[Any]]
_PENDING = "orbitdesk_pending"  # Bolt context key: (the command's task, files left to share)


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


_MENTION_TOKEN = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


async def _direct_message(event: dict[str, Any]) -> bool:
    """A listener matcher: a message in a DM with the bot (message.im)."""
    return event.get("channel_type") == "im"


def question_text(registry: Registry, text: str) -> str:
    """What a mention or DM says, as a command when it starts with one, else as a question."""
    return ask.question_or_command(registry, text) if text else "ask"


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
        # A command runs in the listener middleware, which acks with the answer when it is
        # ready within the grace (see _ack_command); the listener posts slower answers.
        self.ack_grace = settings.slack_ack_grace
        for name in self.commands:
            self.bolt.command(f"/{name}", middleware=[self._ack_command])(self._on_command)
        # Questions in plain words (bot.router): @mentions, and messages in the bot's DMs.
        self.bolt.event("app_mention")(self._on_mention)
        self.bolt.event("message", matchers=[_direct_message])(self._on_direct_message)
        # Bolt runs the first listener that matches: DMs above, every other message here.
        picks = re.compile("^" + re.escape(PICK_PREFIX))
        self.bolt.options(picks)(self._on_suggestion)
        self.bolt.action(picks)(self._on_pick)
        self.bolt.event("app_home_opened")(self._on_home_opened)
        self.bolt.event("link_shared")(self._on_link_shared)
        self.bolt.event("message")(self._on_message)
        self.cashtags = CashtagDesk(app.services, "slack")
        self.bolt.action(ACTION_IDS)(self._on_action)  # buttons and selects (bot.actions)
        self._handler: AsyncSocketModeHandler | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ready = False
        self._admin_cache: dict[tuple[str, str], tuple[float, bool]] = {}  # (team, user)
        self._memberships: dict[str, tuple[float, tuple[str, ...]]] = {}
        # Commands and events already taken by this or another replica (trigger_id, event_id)
        self._seen = app.deliveries
        self.bolt.middleware(self._skip_repeated_events)
        self.bolt.middleware(self._respond_on_our_session)
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

    async def _ack_command(
        self,
        ack: Ack,
        command: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        """Run a slash command and ack it: with the answer itself when it is ready within
        `ack_grace` (the HTTP response body, or the Socket Mode ack's payload), else empty at
        once, so Slack's 3 s window holds whatever the data source does.

        A listener middleware rather than the listener: Bolt answers the request as soon as a
        middleware has acked, while a listener's ack is polled for every 10 ms. The listener
        (_on_command), which Bolt starts right after, posts what the ack did not carry.
        """
        trigger = str(command.get("trigger_id") or "")
        if trigger and not await self._seen.claim("slack:trigger:" + trigger):
            # The same signed request again (replayed within Slack's 5-minute window, or
            # delivered twice): it ran once already, so it must not change anything again.
            log.warning("slack: request %s arrived again; not run twice", trigger)
            return BoltResponse(status=200, body="")  # acked; the listener does not run
        work = asyncio.create_task(self._run_command(command, client))
        if self.ack_grace > 0:
            await asyncio.wait((work,), timeout=self.ack_grace)
        message: dict[str, Any] | None = None
        answered: list[Attachment] | None = None  # the files still to share, when answered
        if work.done() and not work.cancelled() and work.exception() is None:
            try:
                message, answered = self._slash_message(work.result())
            except Exception:  # not in the ack, then: the listener tries again (and logs it)
                log.exception("slack: rendering the answer to %s failed", command.get("command"))
                message, answered = None, None
        if message is None:
            await ack()
        else:
            await ack(message)
        context[_PENDING] = (work, answered)
        await next()
        return None

    async def _run_command(self, command: dict[str, Any], client: AsyncWebClient) -> Response:
        """The core's answer to a slash command (errors included, as short Responses).

        `client` is Bolt's, holding the token of the workspace the command came from.
        """
        async with self._busy():
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
            return await self.app.core.dispatch(
                invocation, authorize=lambda inv, spec: self._authorize(client, inv)
            )

    def _slash_message(self, response: Response) -> tuple[dict[str, Any], list[Attachment]]:
        """An answer as a slash command's ack body, and the files to share after it."""
        ephemeral = response.ephemeral or self.settings.slack_answer_visibility == "ephemeral"
        # Files are always visible to the whole channel, so private answers carry none.
        files = [] if ephemeral else list(response.attachments)
        message = render(response, uploaded=[a.filename for a in files])
        body: dict[str, Any] = {
            "response_type": "ephemeral" if ephemeral else "in_channel",
            "text": message["text"],
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if message["blocks"]:
            body["blocks"] = message["blocks"]
        return body, files

    async def _on_command(
        self,
        command: dict[str, Any],
        context: AsyncBoltContext,
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        """After the ack (_ack_command): share the files of an answer the ack carried, or
        post the answer that was not ready in time to response_url when it is."""
        work, answered = context[_PENDING]
        async with self._busy():
            channel_id = str(command.get("channel_id", ""))
            try:
                if answered is None:
                    await self._answer(client, channel_id, await work, respond)
                elif answered:
                    await self._share(client, channel_id, answered, respond)
            except Exception:
                log.exception("slack: answering %s failed", command.get("command"))

    async def _share(
        self,
        client: AsyncWebClient,
        channel_id: str,
        files: Sequence[Attachment],
        respond: Respond,
    ) -> None:
        """Upload an answer's files; when Slack refuses, say so to the person who asked."""
        try:
            await self._upload(client, channel_id, files)
        except SlackApiError as exc:
            error = post_error(exc)
            log.warning("slack: chart upload failed: %s", error.reason)
            await respond(
                text=f"The chart could not be attached: {error.message}.",
                response_type="ephemeral",
            )

    # Questions: @mentions and direct messages ---------------------------------------------

    async def _on_mention(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """`@OrbitDesk did the cursor deal close?`: answered in a thread under the mention."""
        thread = str(event.get("thread_ts") or event.get("ts") or "")
        await self._on_question(event, body, client, thread_ts=thread or None)

    async def _on_direct_message(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A message in the bot's DM: answered in the DM (in its thread, if it was in one)."""
        await self._on_question(event, body, client, thread_ts=event.get("thread_ts"))

    async def _on_question(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        client: AsyncWebClient,
        *,
        thread_ts: str | None,
    ) -> None:
        """Listeners get Bolt's `client`: it holds the token of the event's workspace."""
        if event.get("bot_id") or event.get("subtype"):
            return  # our own answers, edits and joins are no questions
        # (a retried delivery never gets here: _skip_repeated_events takes event ids)
        self._in_flight += 1
        self._idle.clear()
        try:
            text = _MENTION_TOKEN.sub(" ", str(event.get("text") or "")).strip()
            invocation = Invocation(
                text=question_text(self.app.services.registry, text),
                platform="slack",
                user=User(id=str(event.get("user") or "")),
                channel=Channel(id=str(event.get("channel") or ""), guild_id=body.get("team_id")),
            )
            response = await self.app.core.dispatch(
                invocation, authorize=lambda inv, _spec: self._authorize(client, inv)
            )
            files = list(response.attachments)
            message = render(response, uploaded=[a.filename for a in files])
            await client.chat_postMessage(
                channel=invocation.channel.id,
                text=message["text"],
                blocks=message["blocks"] or None,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
            if files:
                await self._upload(client, invocation.channel.id, files)
        except Exception:
            log.exception("slack: answering a question failed")
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _skip_repeated_events(
        self, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """An Events API delivery some replica already took (Slack retries one that was not
        acknowledged within 3 s, with X-Slack-Retry-Num) is acknowledged and not run again."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await self._seen.claim(f"slack:event:{event_id}"):
            log.info("slack: event %s delivered again; acknowledged, not run twice", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None

    async def _respond_on_our_session(
        self, context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        """A request with a response_url gets a `respond` that uses the adapter's kept-alive
        session (Bolt's opens a new connection per call: see slack_respond)."""
        if context.response_url and self._session is not None:
            context["respond"] = PooledRespond(
                response_url=context.response_url, session=self._session
            )
        await next()

    async def _answer(
        self,
        client: AsyncWebClient,
        channel_id: str,
        response: Response,
        respond: Respond,
        *,
        replace: bool = False,
    ) -> None:
        """Answer through response_url; `replace`: in place of the message a button is on."""
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
            **({"replace_original": True} if replace else {}),
        )
        status = getattr(result, "status_code", 200)
        if status != 200:
            log.warning("slack: response_url answered %s", status)
        if files:
            await self._share(client, channel_id, files, respond)

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

    @contextlib.asynccontextmanager
    async def _busy(self) -> AsyncIterator[None]:
        """Count work under way, so that stop() lets it finish."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    # Actions (buttons, selects) ------------------------------------------------------------
    # A press runs the command line its id holds (bot.actions) through Core.dispatch, like a
    # typed command; the answer replaces the message through response_url.

    async def _on_action(
        self,
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        """Ack at once, then run the action and replace the message it came from."""
        await ack()
        trigger = str(body.get("trigger_id") or "")
        if trigger and not await self._seen.claim(f"slack:trigger:{trigger}"):
            log.warning("slack: action %s arrived again; not run twice", trigger)
            return
        async with self._busy():
            try:
                await self._action(body, action, respond, client)
            except Exception:
                log.exception("slack: action %r failed", str(action.get("action_id"))[:120])

    async def _action(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        try:
            parsed = decode(str(action.get("action_id") or ""))
            if parsed.menu:  # a select: the picked option's value is the action
                picked = action.get("selected_option") or {}
                parsed = decode(str(picked.get("value") or ""))
                if parsed.menu:
                    raise ActionIdError("a menu inside a menu")
        except ActionIdError as exc:
            log.info("slack: refused action id %r: %s", str(action.get("action_id"))[:120], exc)
            await respond(text=refusal(), response_type="ephemeral", replace_original=False)
            return
        user = body.get("user") or {}
        channel = body.get("channel") or {}
        team = body.get("team") or {}
        invocation = Invocation(
            text=parsed.command,
            platform="slack",
            user=User(id=str(user.get("id", "")), name=str(user.get("username") or "")),
            channel=Channel(
                id=str(channel.get("id", "")),
                name=str(channel.get("name") or ""),
                guild_id=team.get("id"),
            ),
            source="action",
        )
        response = await self.app.core.dispatch(
            invocation, authorize=lambda inv, _spec: self._authorize(client, inv)
        )
        if response.ephemeral:  # an error or a private answer: the message stays as it was
            message = render(response)
            await respond(
                text=message["text"],
                blocks=message["blocks"] or None,
                response_type="ephemeral",
                replace_original=False,
            )
            return
        await self._answer(client, invocation.channel.id, response, respond, replace=True)

    # Cashtags ------------------------------------------------------------------------------

    async def _on_message(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """A person's new message in a channel: a threaded compact quote for its cashtags.

        Edits, deletions, joins and bot posts all carry a subtype or a bot_id: none is answered.
        """
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return
        if event.get("channel_type") not in ("channel", "group") or not self._ready:
            return
        channel, ts = str(event.get("channel") or ""), str(event.get("ts") or "")
        text = str(event.get("text") or "")
        if "$" not in text or not channel or not ts:
            return
        async with self._busy():
            try:
                response = await self.cashtags.answer(channel, ts, text)
                if response is None:
                    return
                message = render(response)
                await client.chat_postMessage(
                    channel=channel,
                    thread_ts=str(event.get("thread_ts") or ts),
                    text=message["text"],
                    blocks=message["blocks"] or None,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
                log.warning("slack: cashtag answer in %s failed: %s", channel, exc)
            except Exception:
                log.exception("slack: cashtag answer in %s failed", channel)

    # Link unfurls --------------------------------------------------------------------------

    async def _on_link_shared(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """Yahoo Finance quote links in a message get a compact quote card as their preview."""
        symbol_of_url: dict[str, str] = {}
        for link in (event.get("links") or [])[:MAX_UNFURLS]:
            url = str(link.get("url") or "")
            symbol = quote_link_symbol(url)
            if symbol is not None:
                symbol_of_url[url] = symbol
        if not symbol_of_url or not self._ready:
            return
        async with self._busy():
            try:
                services = self.app.services
                async with asyncio.timeout(self.settings.command_timeout):
                    response = await services.glances.brief_quotes(
                        services, list(dict.fromkeys(symbol_of_url.values()))
                    )
                previews = unfurls(response, symbol_of_url) if response is not None else {}
                if not previews:
                    return
                where: dict[str, Any] = (
                    {"unfurl_id": event.get("unfurl_id"), "source": event.get("source")}
                    if event.get("source") == "composer"
                    else {"channel": event.get("channel"), "ts": event.get("message_ts")}
                )
                await client.chat_unfurl(unfurls=previews, **where)
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
                log.warning("slack: unfurling %s failed: %s", list(symbol_of_url), exc)
            except Exception:
                log.exception("slack: unfurling %s failed", list(symbol_of_url))

    # App Home ------------------------------------------------------------------------------

    async def _on_home_opened(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The Home tab opened: publish the user's home, fresh (prices from one batched call)."""
        if event.get("tab") != "home" or not event.get("user") or not self._ready:
            return
        async with self._busy():
            await self._publish_home(client, str(event["user"]), body.get("team_id"))

    async def _publish_home(
        self,
        client: AsyncWebClient,
        user_id: str,
        team_id: str | None,
        notice: Response | None = None,
    ) -> None:
        try:
            services = self.app.services
            viewer = Viewer(
                platform="slack",
                user_id=user_id,
                guild_id=team_id,
                channel_ids=await self._channels_of(client, user_id),
            )
            async with asyncio.timeout(self.settings.command_timeout + 2):
                home = await services.glances.home(services, viewer)
            if notice is not None:
                home = dataclasses.replace(home, notice=notice)
            await client.views_publish(user_id=user_id, view=home_view(home))
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("slack: publishing %s's home failed: %s", user_id, exc)
        except Exception:
            log.exception("slack: publishing %s's home failed", user_id)

    async def _channels_of(self, client: AsyncWebClient, user_id: str) -> tuple[str, ...]:
        """The public and private channels a user is in (users.conversations, cached)."""
        now = time.monotonic()
        cached = self._memberships.get(user_id)
        if cached is not None and now - cached[0] < MEMBERSHIP_CACHE_SECONDS:
            return cached[1]
        found: list[str] = []
        cursor: str | None = None
        while len(found) < MAX_HOME_CHANNELS:
            answer = await client.users_conversations(
                user=user_id,
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            found.extend(str(c.get("id")) for c in answer.get("channels") or [] if c.get("id"))
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        channels = tuple(found[:MAX_HOME_CHANNELS])
        self._memberships[user_id] = (now, channels)
        return channels

    async def _on_pick(
        self,
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: Respond,
    ) -> None:
        """A value picked in a typeahead: run its command with it. On the Home tab the answer
        shows at the top of the refreshed home; under a message (a Lookup action) it replaces
        that message through response_url, as a button's answer does."""
        await ack()
        named = read_pick_action_id(str(action.get("action_id") or ""))
        value = picked_value(action)
        user = str((body.get("user") or {}).get("id") or "")
        if named is None or not value or not user:
            return
        in_home = (body.get("container") or {}).get("type") == "view"
        trigger = str(body.get("trigger_id") or "")
        if not in_home and trigger and not await self._seen.claim(f"slack:trigger:{trigger}"):
            log.warning("slack: pick %s arrived again; not run twice", trigger)
            return
        path, param = named
        async with self._busy():
            invocation = self._invocation_of(body, path=path, options={param: value})
            if not in_home:
                invocation = dataclasses.replace(invocation, source="action")
            response = await self.app.core.dispatch(
                invocation, authorize=lambda inv, _spec: self._authorize(client, inv)
            )
            if in_home:
                team = (body.get("team") or {}).get("id")
                await self._publish_home(client, user, team, notice=response)
            elif body.get("response_url"):
                await self._pick_answer(client, invocation, response, respond)

    async def _pick_answer(
        self,
        client: AsyncWebClient,
        invocation: Invocation,
        response: Response,
        respond: Respond,
    ) -> None:
        """A message typeahead's answer: in place of the message, or privately for an error."""
        try:
            if response.ephemeral:  # an error: the message stays as it was
                message = render(response)
                await respond(
                    text=message["text"],
                    blocks=message["blocks"] or None,
                    response_type="ephemeral",
                    replace_original=False,
                )
                return
            await self._answer(client, invocation.channel.id, response, respond, replace=True)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("slack: answering a pick failed: %s", exc)

    # Typeahead ---------------------------------------------------------------------------

    async def _on_suggestion(self, ack: Ack, body: dict[str, Any]) -> None:
        """An external_select asks for suggestions: the core's, for the parameter it names.

        Answered in the ack itself (Slack shows nothing after 3 s; `Core.complete` gives up
        after 2), never with an error: an odd action_id or a failing source gives no options.
        """
        options: list[dict[str, Any]] = []
        try:
            named = read_pick_action_id(str(body.get("action_id") or ""))
            if named is not None:
                path, param = named
                choices = await self.app.core.complete(
                    self._invocation_of(body, path=path),
                    param,
                    str(body.get("value") or ""),
                    limit=MAX_OPTIONS,
                    max_length=MAX_OPTION_VALUE,
                )
                options = suggestion_options(choices)
        except Exception:
            log.exception("slack: suggestions for %s failed", body.get("action_id"))
        await ack(options=options)

    def _invocation_of(
        self,
        body: dict[str, Any],
        *,
        path: tuple[str, ...] = (),
        options: dict[str, Any] | None = None,
    ) -> Invocation:
        """An Invocation for an interaction payload (block_suggestion, block_actions)."""
        user = body.get("user") or {}
        team = body.get("team") or {}
        channel = body.get("channel") or {}
        return Invocation(
            path=path,
            options=options or {},
            platform="slack",
            user=User(id=str(user.get("id") or ""), name=str(user.get("name") or "")),
            channel=Channel(
                id=str(channel.get("id") or ""),
                name=str(channel.get("name") or ""),
                guild_id=team.get("id") or user.get("team_id"),
            ),
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
