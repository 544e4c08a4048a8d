"""Run the fake Yahoo and the fake Discord as one process, for the container smoke test.

    python -m tests.fakes.serve --state STATE.json

Writes the URLs the bot needs to STATE.json, then serves until SIGTERM or SIGINT. A small
control API on its own port lets a script act as a Discord user:

    GET /status              {"identifies": N, "sessions": [...], "synced": [...]}
    GET /slash?name=quote&symbols=AMZN     runs /quote symbols:AMZN, returns the final message
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.discord_server import FakeDiscord, Sent
from tests.fakes.yahoo_server import FakeYahoo


def _sent(sent: Sent) -> dict[str, Any]:
    return {
        "route": sent.route,
        "content": sent.content,
        "embeds": sent.embeds,
        "ephemeral": sent.ephemeral,
        "allowed_mentions": sent.allowed_mentions,
        "files": [name for name, _ in sent.files],
    }


def control_app(discord: FakeDiscord) -> web.Application:
    async def status(request: web.Request) -> web.Response:
        synced = sorted({c["name"] for _, payload in discord.command_syncs for c in payload})
        body = {
            "identifies": len(discord.identifies),
            "sessions": discord.sessions,
            "synced": synced,
        }
        return web.json_response(body)

    async def slash(request: web.Request) -> web.Response:
        query = dict(request.query)
        name = query.pop("name")
        options = [{"name": k, "type": 3, "value": v} for k, v in query.items()]
        token = await discord.interact(discord.interaction(name, options))
        replies = await discord.replies(token, timeout=15)
        final = [s for s in replies if s.final]
        return web.json_response(_sent(final[-1]))

    app = web.Application()
    app.router.add_get("/status", status)
    app.router.add_get("/slash", slash)
    return app


async def serve(state: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    yahoo = FakeYahoo()
    yahoo.start()
    discord = await FakeDiscord().start()
    runner = web.AppRunner(control_app(discord), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    control_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.write_text(
        json.dumps(
            {
                "yahoo_base_url": yahoo.base_url,
                "discord_api_base": discord.api_base,
                "discord_gateway_url": discord.gateway_url,
                "control_url": f"http://127.0.0.1:{control_port}",
            }
        )
    )
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await discord.close()
        yahoo.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, required=True, help="where to write the URLs")
    asyncio.run(serve(parser.parse_args().state))


if __name__ == "__main__":
    main()
