"""deploy/compose.yaml and deploy/Caddyfile agree with each other and with the settings.

No container engine is needed: the compose file is parsed as YAML (`make image-test` also
validates it against the Compose Specification); the profile `scale` must run the bot's
replicas in Slack HTTP mode on PostgreSQL and Redis behind Caddy, and every ORBITDESK_*
variable it sets must be a real setting.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.config import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def test_the_scale_profile_runs_replicas_on_postgres_and_redis_behind_caddy() -> None:
    services = compose()["services"]
    scale, redis, proxy, postgres = (
        services[n] for n in ("orbitdesk-scale", "redis", "proxy", "postgres")
    )
    assert scale["profiles"] == redis["profiles"] == proxy["profiles"] == ["scale"]
    assert "scale" in postgres["profiles"]
    assert "scale" not in services["orbitdesk"].get("profiles", [])  # the single bot stays out
    assert scale["deploy"]["replicas"] == 3 and scale["command"] == ["run", "slack"]
    assert "ports" not in scale and "volumes" not in scale  # reached through the proxy only
    assert {n: d["condition"] for n, d in scale["depends_on"].items()} == {
        "postgres": "service_healthy",
        "redis": "service_healthy",
    }
    env = scale["environment"]
    assert env["ORBITDESK_SLACK_MODE"] == "http" and env["ORBITDESK_HTTP_HOST"] == "0.0.0.0"
    assert re.fullmatch(r"postgresql\+asyncpg://orbitdesk:.+@postgres:5432/orbitdesk",
                        env["ORBITDESK_DATABASE_URL"])  # fmt: skip
    assert env["ORBITDESK_REDIS_URL"] == "redis://redis:6379/0"
    assert "--save" in redis["command"] and redis["healthcheck"]["test"][-1] == "ping"
    assert proxy["image"].startswith("caddy:2")
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]


def test_every_orbitdesk_variable_compose_sets_is_a_setting() -> None:
    known = {f"ORBITDESK_{name.upper()}" for name in Settings.model_fields}
    for name, service in compose()["services"].items():
        for variable in service.get("environment") or {}:
            if variable.startswith("ORBITDESK_"):
                assert variable in known, (name, variable)


def test_the_caddyfile_proxies_slack_to_the_replicas_port() -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    port = compose()["services"]["orbitdesk-scale"]["environment"]["ORBITDESK_HTTP_PORT"]
    assert re.search(r"dynamic a \{\s*name orbitdesk-scale\s*port " + port + r"\b", caddyfile)
    assert "@slack path /slack/*" in caddyfile  # events, install and oauth_redirect
    assert "{$SLACK_PUBLIC_HOST" in caddyfile  # the public host name from deploy/.env
