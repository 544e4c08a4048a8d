"""The bot's HTTP listener: /healthz, /metrics, and Slack's /slack/events in HTTP mode."""

from __future__ import annotations

import errno
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.metrics import Metrics
from bot.startup import StartupError, one_line

log = logging.getLogger(__name__)

# A readiness check: returns (name, ok). Adapters and the database each add one.
ReadinessCheck = Callable[[], Awaitable[tuple[str, bool]]]


@dataclass
class HttpServer:
    host: str
    port: int
    metrics: Metrics
    checks: list[ReadinessCheck] = field(default_factory=list)
    app: web.Application = field(default_factory=web.Application)

    def __post_init__(self) -> None:
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/metrics", self._metrics)
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            log.debug("HTTP listener failed to start", exc_info=exc)
            raise StartupError(self._bind_problem(exc)) from None
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        log.info("HTTP listening on %s:%s (/healthz, /metrics)", self.host, self.bound_port)

    def _bind_problem(self, exc: OSError) -> str:
        where = f"{self.host}:{self.port}"
        if exc.errno == errno.EADDRINUSE:
            return (
                f"HTTP listener: cannot listen on {where} (address already in use): stop what "
                "uses it or change ORBITDESK_HTTP_PORT"
            )
        reason = os.strerror(exc.errno).lower() if exc.errno else one_line(exc)
        return (
            f"HTTP listener: cannot listen on {where} ({reason}): check ORBITDESK_HTTP_HOST "
            "and ORBITDESK_HTTP_PORT"
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def readiness(self) -> tuple[bool, dict[str, bool]]:
        results: dict[str, bool] = {}
        for check in self.checks:
            try:
                name, ok = await check()
            except Exception:
                log.exception("readiness check failed")
                name, ok = getattr(check, "__name__", "check"), False
            results[name] = ok
        return all(results.values()), results

    async def _healthz(self, request: web.Request) -> web.Response:
        ready, results = await self.readiness()
        body = {"status": "ok" if ready else "unavailable", "checks": results}
        return web.Response(
            status=200 if ready else 503, text=json.dumps(body), content_type="application/json"
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self.metrics.render(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )
