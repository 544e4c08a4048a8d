"""A fake Slack on 127.0.0.1 that the real slack_sdk / slack-bolt talk to.

- Web API under `/api/`: auth.test, chat.postMessage (replies in threads keep `thread_ts`),
  conversations.history (what was posted, newest first, with message metadata when asked for
  it), users.info, users.conversations (the channels in `memberships`), chat.unfurl,
  views.publish (the last view per user in `home_views`), files.getUploadURLExternal,
  files.completeUploadExternal, apps.connections.open. Parameters are read from the query
  string, a form body or a JSON body (the async client uses all three).
- `/upload/{file_id}`: the raw upload URL of files_upload_v2's second step.
- `/response/{token}`: a response_url receiver (`response_url(token)` builds one).
- `/link`: the Socket Mode websocket: sends `hello`, then every envelope given to `deliver()`,
  and records the acks it gets back.

Distribution (OAuth): `grant(code, team_id, bot_token)` makes `oauth.v2.access` exchange that
code for that workspace's bot token (checking the client id and secret sent with HTTP Basic
auth), and auth.test then answers for the workspace the token belongs to.

Every call is recorded in order in `calls`, with the token it carried (`Call.token`, from the
Authorization header). Failures are set by hand: `channel_errors` maps a
channel to a Slack error code for chat.postMessage and uploads; `rate_limit(method, n)` makes
the next n calls of a method answer 429 with `Retry-After: 0`; `history_error` makes
conversations.history fail with that code (e.g. "missing_scope").
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import WSMsgType, web


@dataclass
class Call:
    """One request the fake received."""

    method: str  # Web API method, "upload", "response" or "ws"
    params: dict[str, Any]
    body: bytes = b""
    path: str = ""
    at: float = field(default_factory=time.perf_counter)  # when it arrived (benchmarks)
    authorization: str = ""  # the Authorization header as sent
    peer: str = ""  # the sender's address and port ("host:port"): which connection it used

    @property
    def token(self) -> str | None:
        """The bearer token the call was made with (None: no token, or Basic auth)."""
        scheme, _, value = self.authorization.partition(" ")
        return value if scheme.lower() == "bearer" and value else None


@dataclass
class FakeUser:
    id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False


@dataclass
class FakeSlack:
    """The fake; `async with FakeSlack() as slack:` serves it on a free loopback port."""

    users: dict[str, FakeUser] = field(default_factory=dict)
    channel_errors: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # newest first
    history_error: str | None = None
    memberships: dict[str, list[str]] = field(default_factory=dict)  # user -> channel ids
    home_views: dict[str, dict[str, Any]] = field(default_factory=dict)  # user -> published view
    port: int = 0
    client_id: str = "1111.2222"  # the app's credentials oauth.v2.access accepts
    client_secret: str = "fake-client-secret"
    # code -> (team_id, team_name, bot token): what oauth.v2.access hands out, once per code
    grants: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # bot token -> team
    revoked: set[str] = field(default_factory=set)  # tokens answered with token_revoked

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._sockets: list[web.WebSocketResponse] = []
        self._rate_limited: Counter[str] = Counter()
        self._file_ids = itertools.count(1)
        self._ts = itertools.count(1)
        self.uploads: dict[str, bytes] = {}

    # Lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{token}", self._response)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app, shutdown_timeout=0.05)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What ORBITDESK_SLACK_API_BASE is set to."""
        return f"{self.base_url}/api"

    def response_url(self, token: str) -> str:
        return f"{self.base_url}/response/{token}"

    # Inspection ----------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def answers(self, token: str | None = None) -> list[dict[str, Any]]:
        """Messages posted to response URLs (all, or one token's)."""
        return [
            c.params
            for c in self.calls
            if c.method == "response" and (token is None or c.path.endswith(f"/{token}"))
        ]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until `count` calls of `method` arrived; returns them."""

        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.calls_to(method)) >= count)

        await asyncio.wait_for(enough(), timeout)
        return self.calls_to(method)

    async def wait_for_answer(self, token: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for the first message posted to response URL `token`; returns it."""

        async def arrived() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(self.answers(token)))

        await asyncio.wait_for(arrived(), timeout)
        return self.answers(token)[0]

    async def wait_for_acks(self, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.acks) >= count)

        await asyncio.wait_for(enough(), timeout)
        return self.acks

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # Failure switches ----------------------------------------------------------------------

    def rate_limit(self, method: str, times: int = 1) -> None:
        self._rate_limited[method] += times

    # Distribution --------------------------------------------------------------------------

    def grant(self, code: str, team_id: str, bot_token: str, team_name: str = "") -> None:
        """Let oauth.v2.access exchange `code` for `bot_token` of workspace `team_id`."""
        self.grants[code] = (team_id, team_name or f"Team {team_id}", bot_token)

    # Socket Mode ---------------------------------------------------------------------------

    def deliver(self, envelope: dict[str, Any]) -> None:
        """Queue an envelope for the connected Socket Mode client."""
        self._outbox.put_nowait(envelope)

    @property
    def socket_count(self) -> int:
        return sum(1 for ws in self._sockets if not ws.closed)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await self._record(Call("ws", {"event": "connected"}, path=request.path))
        await ws.send_json({"type": "hello", "num_connections": 1})
        sender = asyncio.create_task(self._send_envelopes(ws))
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    async with self._changed:
                        self.acks.append(json.loads(msg.data))
                        self._changed.notify_all()
        finally:
            sender.cancel()
            await self._record(Call("ws", {"event": "closed"}, path=request.path))
        return ws

    async def _send_envelopes(self, ws: web.WebSocketResponse) -> None:
        while not ws.closed:
            envelope = await self._outbox.get()
            await ws.send_json(envelope)

    # HTTP handlers -------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], bytes]:
        body = await request.read()
        params: dict[str, Any] = dict(request.query)
        ctype = request.content_type
        if ctype == "application/json" and body:
            params.update(json.loads(body))
        elif ctype == "application/x-www-form-urlencoded" and body:
            params.update(parse_qsl(body.decode()))
        return params, body

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, body = await self._params(request)
        authorization = request.headers.get("Authorization", "")
        if method == "oauth.v2.access":
            # The exchange answers by the caller's credentials, which only it can check.
            await self._record(
                Call(method, params, body, request.path, authorization=authorization)
            )
            return web.json_response(self._oauth_v2_access(params, request))
        await self._record(Call(method, params, body, request.path, authorization=authorization))
        if self._rate_limited[method] > 0:
            self._rate_limited[method] -= 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"}
            )
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        token = Call(method, {}, authorization=authorization).token or params.get("token")
        if token in self.revoked:
            return web.json_response({"ok": False, "error": "token_revoked"})
        answer = handler(params)
        if method == "auth.test" and token in self.tokens:
            team_id, team_name = self.tokens[str(token)]
            answer = {**answer, "team_id": team_id, "team": team_name}
        return web.json_response(answer)

    def _oauth_v2_access(self, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        try:
            auth = aiohttp.BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            return {"ok": False, "error": "invalid_client_id"}
        if (auth.login, auth.password) != (self.client_id, self.client_secret):
            return {"ok": False, "error": "invalid_client_id"}
        grant = self.grants.pop(str(params.get("code")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        team_id, team_name, token = grant
        self.tokens[token] = (team_id, team_name)
        return {
            "ok": True,
            "app_id": "A0ORBIT",
            "authed_user": {"id": "U0INSTALLER"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": "U0BOT",
            "team": {"id": team_id, "name": team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _m_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://orbit-test.slack.com/",
            "team": "Orbit Test",
            "user": "orbitdesk",
            "team_id": "T0TEST",
            "user_id": "U0BOT",
            "bot_id": "B0BOT",
        }

    def _m_apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}

    def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": user.id,
                "name": user.name,
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "is_primary_owner": False,
            },
        }

    def _m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        ts = f"1700000000.{next(self._ts):06d}"
        message: dict[str, Any] = {"type": "message", "ts": ts, "text": params.get("text", "")}
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        metadata = params.get("metadata")
        if metadata:
            message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        self.history.setdefault(channel, []).insert(0, message)
        return {"ok": True, "channel": channel, "ts": ts}

    def _m_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.history_error:
            return {"ok": False, "error": self.history_error}
        limit = int(params.get("limit") or 100)
        with_metadata = str(params.get("include_all_metadata")).lower() in ("true", "1")
        messages = [
            m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
            for m in self.history.get(str(params.get("channel")), [])[:limit]
        ]
        return {"ok": True, "messages": messages, "has_more": False}

    def _m_users_conversations(self, params: dict[str, Any]) -> dict[str, Any]:
        channels = self.memberships.get(str(params.get("user")), [])
        return {
            "ok": True,
            "channels": [{"id": c, "name": c.lower(), "is_member": True} for c in channels],
            "response_metadata": {"next_cursor": ""},
        }

    def _m_chat_unfurl(self, params: dict[str, Any]) -> dict[str, Any]:
        unfurls = params.get("unfurls")
        if isinstance(unfurls, str):
            unfurls = json.loads(unfurls)
        if not isinstance(unfurls, dict) or not unfurls:
            return {"ok": False, "error": "invalid_unfurls"}
        if not (params.get("channel") and params.get("ts")) and not (
            params.get("unfurl_id") and params.get("source")
        ):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True}

    def _m_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") != "home" or not params.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        if len(view.get("blocks") or []) > 100:
            return {"ok": False, "error": "invalid_blocks"}
        self.home_views[str(params["user_id"])] = view
        return {"ok": True, "view": {"id": "V0HOME", "type": "home", **view}}

    def _m_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._file_ids):06d}"
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel_id"))
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        files = params.get("files")
        items = json.loads(files) if isinstance(files, str) else files or []
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in items]}

    async def _upload(self, request: web.Request) -> web.Response:
        body = await request.read()
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = body
        await self._record(Call("upload", {"file_id": file_id}, body, request.path))
        return web.Response(text=f"OK - {len(body)}")

    async def _response(self, request: web.Request) -> web.Response:
        params, body = await self._params(request)
        host, port = (request.transport.get_extra_info("peername") or ("", 0))[:2]
        await self._record(Call("response", params, body, request.path, peer=f"{host}:{port}"))
        return web.Response(text="ok")
