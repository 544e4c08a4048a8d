"""`orbitdesk healthcheck`: one GET to the running bot's /healthz, on the standard library only.

Docker runs it every 30 s, so it must not import the app (pydantic, SQLAlchemy, pandas...).
It reads the two settings it needs, ORBITDESK_HTTP_HOST and ORBITDESK_HTTP_PORT, the way
bot.config.Settings does: the environment first (names in any case), then `.env` in the
working directory, then the defaults. A value it cannot read returns None, and the caller
falls back to the full settings, which explain the problem as every other command does.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

EXIT_OK, EXIT_UPSTREAM = 0, 1
DEFAULT_HOST = "127.0.0.1"  # bot.config.Settings.http_host
DEFAULT_PORT = 8080  # bot.config.Settings.http_port
ENV_FILE = Path(".env")  # bot.config.Settings.model_config["env_file"]
NAMES = ("ORBITDESK_HTTP_HOST", "ORBITDESK_HTTP_PORT")


def dotenv_values(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (keys upper-cased), as python-dotenv reads the simple ones.

    Blank lines and `#` comments are skipped, `export ` is allowed, quotes around a value are
    removed, and an unquoted value ends at ` #`.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key.strip().upper()] = value
    return values


def http_address(
    environ: dict[str, str] | None = None, env_file: Path = ENV_FILE
) -> tuple[str, int] | None:
    """(host, port) the bot listens on, or None when a value is not one Settings accepts."""
    env = {k.upper(): v for k, v in (os.environ if environ is None else environ).items()}
    found = {name: env[name] for name in NAMES if name in env}
    if len(found) < len(NAMES):
        from_file = dotenv_values(env_file)
        found = {name: from_file[name] for name in NAMES if name in from_file} | found
    host = found.get("ORBITDESK_HTTP_HOST", DEFAULT_HOST)
    port_text = found.get("ORBITDESK_HTTP_PORT")
    if port_text is None:
        return host, DEFAULT_PORT
    try:
        port = int(port_text.strip())
    except ValueError:
        return None
    return (host, port) if 0 <= port <= 65535 else None


def healthz_url(host: str, port: int) -> str:
    """Where to ask: a wildcard listen address is asked on the loopback."""
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{host}:{port}/healthz"


def healthcheck(host: str, port: int) -> int:
    """Ask the running bot's /healthz (for Docker's HEALTHCHECK); 0 when ready."""
    url = healthz_url(host, port)
    try:
        with urllib.request.urlopen(url, timeout=4) as reply:
            print(reply.read().decode())
            return EXIT_OK
    except urllib.error.HTTPError as exc:
        print(exc.read().decode(), file=sys.stderr)
    except OSError as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
    return EXIT_UPSTREAM
