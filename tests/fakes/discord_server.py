"""A fake Discord on 127.0.0.1 that the real discord.py client logs into.

REST (aiohttp) and the gateway (a websocket) share one port. The bot reaches it through
ORBITDESK_DISCORD_API_BASE (`api_base`) and ORBITDESK_DISCORD_GATEWAY_URL (`gateway_url`).
The fake answers login, application info, `/gateway/bot`, command sync (bulk PUT, global and
guild), interaction callbacks, webhook follow-ups (JSON or multipart with files), edits and
deletes of the original response, and channel posts. Every message the bot sends is recorded
as a `Sent`; tests wait for them per interaction token. A channel post with `enforce_nonce`
whose nonce was used before returns the earlier message and creates none, as Discord does;
`hold_posts = True` makes channel posts be recorded but not answered until `release_posts()`
(a bot killed after Discord received its message, before it heard back); `on_channel_post`
runs after a channel post is recorded and before it is answered.

Gateway: HELLO, heartbeat ACKs, IDENTIFY -> READY + GUILD_CREATE (per shard), RESUME ->
RESUMED. `disconnect(code)` closes the live sockets to test reconnects; `interact()` dispatches
INTERACTION_CREATE on the shard that owns the guild. Every REST reply with a body carries
`Content-Type: application/json` exactly, as Discord's does (discord.py checks it verbatim).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = 1_111_111_111_111_111_111
BOT_ID = 1_222_222_222_222_222_222
GUILD_ID = 1_333_333_333_333_333_333
CHANNEL_ID = 1_444_444_444_444_444_444
USER_ID = 1_555_555_555_555_555_555
DM_CHANNEL_ID = 1_666_666_666_666_666_666
# Permission bits used in member payloads.
SEND_MESSAGES = 1 << 11
MANAGE_CHANNELS = 1 << 4
GUILD_MESSAGES_INTENT = 1 << 9
MESSAGE_CONTENT_INTENT = 1 << 15
MEMBER_PERMISSIONS = (1 << 10) | SEND_MESSAGES | (1 << 14) | (1 << 15) | (1 << 31)
ARRIVED = web.RequestKey("arrived", float)


@dataclass
class Sent:
    """One thing the bot sent: a callback, follow-up, edit, delete or channel message."""

    route: str  # callback | followup | edit | delete | channel
    token: str | None  # interaction token (None for channel posts)
    # 4 message, 5 defer, 6 deferred update, 7 update message, 8 autocomplete choices
    callback_type: int | None = None
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: dict[str, Any] | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    choices: list[dict[str, Any]] = field(default_factory=list)
    channel_id: str | None = None
    reference: dict[str, Any] | None = None  # message_reference: the message replied to
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] | None = None  # kept attachments, when the payload says
    message_id: str | None = None  # the message it created or changed, once answered
    at: float = field(default_factory=time.perf_counter)

    @property
    def custom_ids(self) -> list[str]:
        """Every button's and select's custom_id, in order."""
        return [c["custom_id"] for row in self.components for c in row["components"]]

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def final(self) -> bool:
        """True for what a user finally sees (not a defer or a delete)."""
        return self.route in ("followup", "edit", "channel") or self.callback_type in (4, 7, 8)


@dataclass(frozen=True)
class RestError:
    """A canned Discord error for one route: status, JSON error code and message."""

    status: int
    code: int
    message: str


class _Shard:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.seq = 0
        self.shard: tuple[int, int] = (0, 1)
        self.session_id: str | None = None

    async def send(self, op: int, data: Any, event: str | None = None) -> float:
        """Send one frame; returns when it was handed to the socket (after encoding it)."""
        frame: dict[str, Any] = {"op": op, "d": data, "s": None, "t": event}
        if op == 0:
            self.seq += 1
            frame["s"] = self.seq
        text = json.dumps(frame)
        emitted = time.perf_counter()
        await self.ws.send_str(text)
        return emitted


class FakeDiscord:
    """Discord's REST API and gateway, small enough to read, real enough for discord.py."""

    def __init__(self, *, guild_ids: tuple[int, ...] = (GUILD_ID,), shards: int = 1) -> None:
        self.guild_ids = guild_ids
        self.recommended_shards = shards
        self.sent: list[Sent] = []
        # When each interaction's frame left (token -> perf_counter), encoded: where the bot's
        # latency starts, as a Sent's `at` is where it ends (this fake's own work is not the bot's).
        self.emitted: dict[str, float] = {}
        self.command_syncs: list[tuple[int | None, list[dict[str, Any]]]] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.sessions: list[str] = []  # session ids in the order clients identified
        self.closed_sockets = 0
        self.rest_errors: dict[tuple[str, str], RestError] = {}
        self.commands: dict[str, int] = {}  # synced command name -> id
        self.channel_post_requests = 0  # every POST to a channel, repeated nonces included
        self.hold_posts = False  # True: channel posts are recorded, answered on release_posts()
        self.on_channel_post: Callable[[], Awaitable[None]] | None = None
        self._released = asyncio.Event()
        self._nonces: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, nonce) -> message
        self._shards: list[_Shard] = []
        self._sessions: dict[str, _Shard] = {}
        self._ids = itertools.count(1_900_000_000_000_000_000)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        self.release_posts()
        for shard in list(self._shards):
            await shard.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ------------------------------------------------------------------ test controls

    def fail(self, method: str, path: str, error: RestError | None) -> None:
        """Make `METHOD /path` (after /api/v10) answer with `error`; None heals it."""
        if error is None:
            self.rest_errors.pop((method, path), None)
        else:
            self.rest_errors[(method, path)] = error

    def interaction(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        kind: int = 2,
        permissions: int = MEMBER_PERMISSIONS,
        user_name: str = "ada",
        guild_id: int = GUILD_ID,
        channel_id: int = CHANNEL_ID,
        attachment_size_limit: int = 10 * 1024 * 1024,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload as Discord sends it for `/name options...`."""
        interaction_id = next(self._ids)
        user = {
            "id": str(USER_ID),
            "username": user_name,
            "global_name": user_name.title(),
            "discriminator": "0",
            "avatar": None,
        }
        data: dict[str, Any] = {
            "id": str(self.commands.get(name, 0)),
            "name": name,
            "type": 1,
            "options": options or [],
        }
        return {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"token-{interaction_id}",
            "version": 1,
            "attachment_size_limit": attachment_size_limit,
            "guild_id": str(guild_id),
            "channel_id": str(channel_id),
            "channel": _channel(channel_id, guild_id),
            "member": {
                "user": user,
                "roles": [],
                "joined_at": "2025-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "pending": False,
                "nick": None,
                "avatar": None,
                "premium_since": None,
                "permissions": str(permissions),
            },
            "data": data,
            "locale": "en-US",
            "guild_locale": "en-US",
            "app_permissions": str(MEMBER_PERMISSIONS),
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
        }

    def user_install_interaction(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        guild_id: int | None = None,
        channel_id: int = 1_666_666_666_666_666_666,
    ) -> dict[str, Any]:
        """`/name` run through a user's own install of the app: in a group DM (no guild), or in
        a server the bot is not a member of (`guild_id` of a guild it never saw)."""
        payload = self.interaction(name, options, guild_id=guild_id or GUILD_ID)
        member = payload.pop("member")
        if guild_id is None:
            del payload["guild_id"], payload["guild_locale"]
            payload["user"] = member["user"]
            payload["channel"] = {"id": str(channel_id), "type": 3, "name": None, "recipients": []}
            payload["context"] = 2  # PRIVATE_CHANNEL
        else:
            payload["member"] = member
            payload["channel"] = {**_channel(channel_id, guild_id), "name": "elsewhere"}
            payload["context"] = 0
        payload["channel_id"] = str(channel_id)
        payload["app_permissions"] = str(1 << 14 | 1 << 15)  # what a user install may do
        payload["authorizing_integration_owners"] = {"1": str(USER_ID)}  # USER_INSTALL
        return payload

    async def say(
        self,
        content: str,
        *,
        bot: bool = False,
        guild_id: int = GUILD_ID,
        channel_id: int = CHANNEL_ID,
    ) -> str:
        """Dispatch MESSAGE_CREATE: someone (or a bot) wrote `content`; returns its message id.

        Discord sends it only to clients that asked for guild messages, and with the content
        only to those with the Message Content intent; the fake checks the identify's intents
        the same way (no event, or empty content).
        """
        message_id = str(next(self._ids))
        shard = await self._shard_for(guild_id)
        intents = int((self.identifies[-1] if self.identifies else {}).get("intents", 0))
        if not intents & GUILD_MESSAGES_INTENT:
            return message_id
        author = {
            "id": str(USER_ID if not bot else USER_ID + 7),
            "username": "ada" if not bot else "otherbot",
            "global_name": None,
            "discriminator": "0",
            "avatar": None,
            **({"bot": True} if bot else {}),
        }
        payload = {
            "id": message_id,
            "channel_id": str(channel_id),
            "guild_id": str(guild_id),
            "author": author,
            "member": {
                "roles": [],
                "joined_at": "2025-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "pending": False,
            },
            "content": content if intents & MESSAGE_CONTENT_INTENT else "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }
        await shard.send(0, payload, "MESSAGE_CREATE")
        return message_id

    def press(
        self,
        message: Sent,
        custom_id: str,
        *,
        values: list[str] | None = None,
        component_type: int | None = None,
        permissions: int = MEMBER_PERMISSIONS,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE of type MESSAGE_COMPONENT (3): `custom_id` pressed on `message`.

        The message carries the components the bot sent (Discord sends the message the
        component is on); `custom_id` need not be among them (a forged or stale id).
        """
        payload = self.interaction("", permissions=permissions, kind=3)
        components = [
            {**row, "components": [dict(c) for c in row["components"]]}
            for row in message.components
        ]
        known = [c for row in components for c in row["components"]]
        kind = component_type or next(
            (c["type"] for c in known if c.get("custom_id") == custom_id), 2
        )
        if not any(c.get("custom_id") == custom_id for c in known):
            # Discord only sends ids that are on the message: put the odd one there.
            components.append(
                {
                    "type": 1,
                    "components": [{"type": 2, "style": 2, "label": "?", "custom_id": custom_id}],
                }
            )
        payload["data"] = {"custom_id": custom_id, "component_type": kind}
        if values is not None:
            payload["data"]["values"] = values
        payload["message"] = {
            **self._message({}, message, CHANNEL_ID),
            "id": message.message_id or str(next(self._ids)),
            "components": components,
        }
        return payload

    async def interact(self, payload: Mapping[str, Any], *, session: str | None = None) -> str:
        """Dispatch INTERACTION_CREATE on the shard owning its guild; returns the token.

        With two clients logged in (a benchmark), `session` (from `sessions`) picks one.
        """
        shard = await self._shard_for(int(payload.get("guild_id") or 0), session)
        token = str(payload["token"])
        self.emitted[token] = await shard.send(0, dict(payload), "INTERACTION_CREATE")
        return token

    async def message_create(
        self, content: str, *, mention_bot: bool = True, direct: bool = False
    ) -> str:
        """Dispatch MESSAGE_CREATE from a user: in the guild channel, or a DM; returns its id.

        As Discord does without the message_content intent, a guild message that does not
        mention the bot arrives with empty content.
        """
        message_id = str(next(self._ids))
        guild_id = None if direct else GUILD_ID
        payload: dict[str, Any] = {
            "id": message_id,
            "channel_id": str(DM_CHANNEL_ID if direct else CHANNEL_ID),
            "author": _user(),
            "content": content if (direct or mention_bot) else "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [_bot_user()] if mention_bot else [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
            payload["member"] = {"roles": [], "joined_at": "2024-01-01T00:00:00+00:00"}
        shard = await self._shard_for(guild_id or GUILD_ID)
        await shard.send(0, payload, "MESSAGE_CREATE")
        return message_id

    def release_posts(self) -> None:
        """Answer the channel posts held by `hold_posts`, and stop holding."""
        self.hold_posts = False
        self._released.set()

    def channel_posts(self) -> list[Sent]:
        return [s for s in self.sent if s.route == "channel"]

    async def wait_for(
        self, predicate: Callable[[FakeDiscord], bool], timeout: float = 5.0
    ) -> None:
        """Wait until `predicate(self)` holds, re-checked after every request the bot makes."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    async def replies(self, token: str, timeout: float = 5.0) -> list[Sent]:
        """Everything sent for one interaction, once its first final message arrived."""
        await self.wait_for(lambda f: any(s.token == token and s.final for s in f.sent), timeout)
        return [s for s in self.sent if s.token == token]

    async def disconnect(self, code: int = 4000) -> None:
        """Close every gateway socket the way Discord does when it restarts a node."""
        for shard in list(self._shards):
            await shard.ws.close(code=code, message=b"fake restart")

    # ------------------------------------------------------------------ gateway

    async def _shard_for(self, guild_id: int, session: str | None = None) -> _Shard:
        def owner() -> _Shard | None:
            for shard in self._shards:
                shard_id, count = shard.shard
                if session is not None and shard.session_id != session:
                    continue
                if shard.session_id and (guild_id >> 22) % count == shard_id:
                    return shard
            return None

        await self.wait_for(lambda _: owner() is not None)
        found = owner()
        assert found is not None
        return found

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        shard = _Shard(ws)
        self._shards.append(shard)
        await shard.send(10, {"heartbeat_interval": 41250})
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                op, data = frame.get("op"), frame.get("d")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    await self._identify(shard, data)
                elif op == 6:
                    await self._resume(shard, data)
        finally:
            self._shards.remove(shard)
            self.closed_sockets += 1
            await self._notify()
        return ws

    async def _identify(self, shard: _Shard, data: dict[str, Any]) -> None:
        self.identifies.append(data)
        shard_id, count = data.get("shard") or [0, 1]
        shard.shard = (shard_id, count)
        shard.session_id = f"session-{next(self._ids)}"
        self._sessions[shard.session_id] = shard
        self.sessions.append(shard.session_id)
        mine = [g for g in self.guild_ids if (g >> 22) % count == shard_id]
        await shard.send(
            0,
            {
                "v": 10,
                "user": _bot_user(),
                "guilds": [{"id": str(g), "unavailable": True} for g in mine],
                "session_id": shard.session_id,
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(APP_ID), "flags": 0},
                "shard": [shard_id, count],
                "private_channels": [],
                "relationships": [],
            },
            "READY",
        )
        for guild_id in mine:
            await shard.send(0, _guild(guild_id), "GUILD_CREATE")
        await self._notify()

    async def _resume(self, shard: _Shard, data: dict[str, Any]) -> None:
        self.resumes.append(data)
        old = self._sessions.get(data.get("session_id", ""))
        if old is None:
            await shard.send(9, False)  # invalid session: the client identifies again
            return
        shard.shard, shard.session_id, shard.seq = old.shard, old.session_id, old.seq
        self._sessions[str(shard.session_id)] = shard
        await shard.send(0, {}, "RESUMED")
        await self._notify()

    # ------------------------------------------------------------------ REST

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _rest(self, request: web.Request) -> web.Response:
        # Arrival time: what the bot's latency ends at (this fake's own parsing is not the bot's).
        request[ARRIVED] = time.perf_counter()
        path = "/" + request.match_info["tail"]
        for (method, pattern), error in self.rest_errors.items():
            if method == request.method and pattern == path:
                return _json({"code": error.code, "message": error.message}, error.status)
        parts = path.strip("/").split("/")
        method = request.method
        if method == "GET" and path == "/users/@me":
            return _json(_bot_user())
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(_application())
        if method == "GET" and path in ("/gateway/bot", "/gateway"):
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": self.recommended_shards,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 1000,
                        "reset_after": 0,
                        "max_concurrency": 16,
                    },
                }
            )
        if method == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            return await self._sync(request, int(parts[3]) if len(parts) == 5 else None)
        if method == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
            return await self._callback(request, parts[2])
        if parts[0] == "webhooks" and len(parts) >= 3:
            return await self._webhook(request, parts)
        if method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            payload, files = await _read_body(request)
            self.channel_post_requests += 1
            nonce = (parts[1], str(payload.get("nonce")))
            if payload.get("enforce_nonce") and nonce in self._nonces:
                return _json(self._nonces[nonce])  # the same message again, nothing new
            sent = self._record(request, "channel", None, payload, files, channel_id=parts[1])
            message = self._message(payload, sent, int(parts[1]))
            if payload.get("nonce") is not None:
                self._nonces[nonce] = message
            await self._notify()
            if self.on_channel_post is not None:
                await self.on_channel_post()
            if self.hold_posts:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._released.wait(), 60)
            return _json(message)
        return _json({"code": 0, "message": f"fake Discord has no {method} {path}"}, 404)

    async def _sync(self, request: web.Request, guild_id: int | None) -> web.Response:
        payload = await request.json()
        self.command_syncs.append((guild_id, payload))
        echoed = []
        for command in payload:
            command_id = self.commands.setdefault(command["name"], next(self._ids))
            echoed.append(
                {
                    **command,
                    "id": str(command_id),
                    "application_id": str(APP_ID),
                    "version": str(command_id),
                    **({"guild_id": str(guild_id)} if guild_id else {}),
                }
            )
        await self._notify()
        return _json(echoed)

    async def _callback(self, request: web.Request, token: str) -> web.Response:
        payload, files = await _read_body(request)
        kind = int(payload.get("type", 0))
        data = payload.get("data") or {}
        sent = self._record(request, "callback", token, data, files, callback_type=kind)
        interaction = {
            "id": request.match_info["tail"].split("/")[1],
            "type": 2,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": sent.ephemeral,
        }
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 7):
            message = self._message(data, sent, CHANNEL_ID)
            interaction["response_message_id"] = message["id"]
            resource["message"] = message
        await self._notify()
        return _json({"interaction": interaction, "resource": resource})

    async def _webhook(self, request: web.Request, parts: list[str]) -> web.Response:
        token = parts[2]
        if request.method == "DELETE":
            self._record(request, "delete", token, {}, [])
            await self._notify()
            return web.Response(status=204)
        payload, files = await _read_body(request)
        route = "edit" if request.method == "PATCH" else "followup"
        sent = self._record(request, route, token, payload, files)
        await self._notify()
        return _json(self._message(payload, sent, CHANNEL_ID))

    def _record(
        self,
        request: web.Request,
        route: str,
        token: str | None,
        payload: Mapping[str, Any],
        files: list[tuple[str, bytes]],
        *,
        callback_type: int | None = None,
        channel_id: str | None = None,
    ) -> Sent:
        sent = Sent(
            route=route,
            token=token,
            callback_type=callback_type,
            content=payload.get("content") or "",
            embeds=list(payload.get("embeds") or []),
            flags=int(payload.get("flags") or 0),
            allowed_mentions=payload.get("allowed_mentions"),
            files=files,
            choices=list(payload.get("choices") or []),
            channel_id=channel_id,
            reference=payload.get("message_reference"),
            components=list(payload.get("components") or []),
            attachments=payload.get("attachments"),
            at=request[ARRIVED],
        )
        self.sent.append(sent)
        return sent

    def _message(self, payload: Mapping[str, Any], sent: Sent, channel_id: int) -> dict[str, Any]:
        message_id = next(self._ids)
        sent.message_id = sent.message_id or str(message_id)
        return {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": _bot_user(),
            "content": sent.content,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": str(next(self._ids)),
                    "filename": name,
                    "size": len(content),
                    "url": f"http://127.0.0.1:{self.port}/files/{name}",
                    "proxy_url": f"http://127.0.0.1:{self.port}/files/{name}",
                }
                for name, content in sent.files
            ],
            "embeds": sent.embeds,
            "pinned": False,
            "type": 0,
            "flags": sent.flags,
            "components": sent.components,
            "webhook_id": str(APP_ID) if sent.token else None,
            "application_id": str(APP_ID),
        }


async def _read_body(request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """JSON body, or multipart with payload_json and files[n]."""
    if request.content_type.startswith("multipart/"):
        payload: dict[str, Any] = {}
        files: list[tuple[str, bytes]] = []
        reader = await request.multipart()
        async for part in reader:
            if part.name == "payload_json":  # type: ignore[union-attr]
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            else:
                name = part.filename or part.name or "file"  # type: ignore[union-attr]
                files.append((name, bytes(await part.read())))  # type: ignore[union-attr]
        return payload, files
    if not request.can_read_body:
        return {}, []
    return await request.json(), []


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": json_response() would add "; charset=utf-8".
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


def _user() -> dict[str, Any]:
    return {
        "id": str(USER_ID),
        "username": "ada",
        "discriminator": "0",
        "global_name": "Ada",
        "avatar": None,
    }


def _bot_user() -> dict[str, Any]:
    return {
        "id": str(BOT_ID),
        "username": "OrbitDesk",
        "discriminator": "0",
        "global_name": "OrbitDesk",
        "avatar": None,
        "bot": True,
        "flags": 0,
        "verified": True,
        "mfa_enabled": False,
    }


def _application() -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "OrbitDesk",
        "icon": None,
        "description": "fake",
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": {"id": str(USER_ID), "username": "ada", "discriminator": "0", "avatar": None},
        "team": None,
        "verify_key": "0" * 64,
        "flags": 0,
    }


def _channel(channel_id: int, guild_id: int) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "name": "markets",
        "guild_id": str(guild_id),
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def _guild(guild_id: int) -> dict[str, Any]:
    return {
        "id": str(guild_id),
        "name": "Orbital Traders",
        "icon": None,
        "owner_id": str(USER_ID),
        "unavailable": False,
        "member_count": 2,
        "large": False,
        "joined_at": "2025-01-01T00:00:00+00:00",
        "roles": [
            {
                "id": str(guild_id),
                "name": "@everyone",
                "permissions": str(MEMBER_PERMISSIONS),
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "channels": [_channel(CHANNEL_ID, guild_id)],
        "threads": [],
        "members": [],
        "voice_states": [],
        "presences": [],
        "emojis": [],
        "stickers": [],
        "features": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "premium_tier": 0,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "system_channel_flags": 0,
        "preferred_locale": "en-US",
        "afk_timeout": 300,
        "premium_progress_bar_enabled": False,
    }
