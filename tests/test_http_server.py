"""/healthz and /metrics over real HTTP."""

from __future__ import annotations

import aiohttp
from prometheus_client import CollectorRegistry, generate_latest

from bot.app import App
from bot.http_server import HttpServer
from bot.metrics import _CommandTally
from tests.conftest import Chat


async def test_metrics_count_commands_yahoo_and_cache(app: App, chat: Chat) -> None:
    server = HttpServer("127.0.0.1", 0, app.metrics)
    await server.start()
    try:
        await chat("quote SPCX AMZN")
        await chat("quote SPCX")
        await chat("quote")
        url = f"http://127.0.0.1:{server.bound_port}/metrics"
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            assert resp.status == 200
            text = await resp.text()
    finally:
        await server.stop()
    assert (
        'orbitdesk_commands_total{command="quote",outcome="ok",platform="console",source="typed"} 2.0'
        in text
    )
    assert (
        'orbitdesk_commands_total{command="quote",outcome="usage",platform="console",source="typed"} 1.0'
        in text
    )
    assert 'orbitdesk_yahoo_requests_total{endpoint="v7/quote"} 1.0' in text
    assert 'orbitdesk_cache_lookups_total{result="hit"} 1.0' in text
    assert "orbitdesk_cache_hit_ratio 0.333" in text
    assert 'orbitdesk_command_seconds_bucket{command="quote",le="+Inf"} 3.0' in text


async def test_healthz_reports_each_check(app: App) -> None:
    state = {"discord": True}

    async def discord_ready() -> tuple[str, bool]:
        return "discord", state["discord"]

    server = HttpServer("127.0.0.1", 0, app.metrics, checks=[discord_ready])
    await server.start()
    url = f"http://127.0.0.1:{server.bound_port}/healthz"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as resp:
                assert resp.status == 200
                assert await resp.json() == {"status": "ok", "checks": {"discord": True}}
            state["discord"] = False
            async with http.get(url) as resp:
                assert resp.status == 503
                assert await resp.json() == {"status": "unavailable", "checks": {"discord": False}}
    finally:
        await server.stop()


def test_latency_buckets_count_each_answer_under_every_bound_it_fits() -> None:
    """Prometheus' `le`: an answer of exactly a bound's seconds counts in that bucket."""
    tally = _CommandTally()
    registry = CollectorRegistry()
    registry.register(tally)
    for seconds in (0.0004, 0.001, 0.001, 3.0, 60.0):
        tally.count(("chart", "slack", "ok", "action"), seconds)
    text = generate_latest(registry).decode()
    assert 'command="chart",outcome="ok",platform="slack",source="action"} 5.0' in text
    for bound, count in (("0.0005", 1), ("0.001", 3), ("2.5", 3), ("5.0", 4), ("+Inf", 5)):
        assert f'orbitdesk_command_seconds_bucket{{command="chart",le="{bound}"}} {count}.0' in text
    assert 'orbitdesk_command_seconds_count{command="chart"} 5.0' in text
    assert 'orbitdesk_command_seconds_sum{command="chart"} 63.0024' in text
