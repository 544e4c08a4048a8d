"""The `orbitdesk` command line: console, ask, run, db, doctor, healthcheck, slack manifest."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from bot.logs import LOG_FILE, setup_logging

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.response import Response

# Only the standard library above: `orbitdesk --help` and `orbitdesk healthcheck` (Docker runs
# it every 30 s) must not pay for pydantic, SQLAlchemy, pandas or matplotlib. Each command
# imports what it needs when it runs.

EXIT_OK, EXIT_UPSTREAM, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("bot.cli")


def load_settings() -> Settings:
    """Settings from the environment and .env; a bad value stops here, with its name."""
    from pydantic import ValidationError

    from bot.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = "ORBITDESK_" + "_".join(str(p) for p in error["loc"]).upper()
            print(f"orbitdesk: setting {name}: {error['msg']}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _secrets(settings: Settings) -> list[str]:
    values = [
        settings.discord_token,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.slack_client_secret,
        settings.slack_state_secret,
    ]
    return [v.get_secret_value() for v in values if v is not None]


def _print_to_pipe(text: str) -> None:
    """Print; a reader that stopped early (`| head -1`) is not an error worth a traceback."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


async def _ask(settings: Settings, text: str, as_json: bool, out_dir: Path) -> int:
    from bot.adapters import console
    from bot.app import App, registry_core

    # `help` answers from the registry alone, through a core built with nothing else
    # (bot.app.registry_core): no feature data (deal book, orbital claims, pint), no market
    # warm-up (calendar, yfinance), no database (nor SQLAlchemy) and no migration check. Any
    # other command gets them before its deadline starts, as in a running bot.
    if _registry_only(text):
        core = registry_core(settings)
        response = await core.dispatch(console.question_or_command(core, text))
        return _answer(response, as_json, out_dir)
    app = App.build(settings)
    try:
        invocation = console.question_or_command(app.core, text)
        await app.start()
        response = await app.core.dispatch(invocation)
    finally:
        await app.close()
    return _answer(response, as_json, out_dir)


def _answer(response: Response, as_json: bool, out_dir: Path) -> int:
    """Print one answer (attachments saved under out_dir); the exit code for its kind."""
    from bot.adapters import console
    from bot.startup import one_line

    try:
        response = console.save_attachments(response, out_dir)
    except OSError as exc:
        log.debug("saving attachments failed", exc_info=exc)
        reason = exc.strerror or one_line(exc)
        print(
            f"orbitdesk ask: cannot save the attachment in {out_dir} ({reason}): "
            "choose a writable directory with --out",
            file=sys.stderr,
        )
        return EXIT_UPSTREAM
    _print_to_pipe(console.to_json(response) if as_json else console.render(response))
    if response.kind == "ok":
        return EXIT_OK
    return EXIT_USAGE if response.kind in ("usage", "not_found", "forbidden") else EXIT_UPSTREAM


# Commands answered from the command registry alone: no market data to load before them.
REGISTRY_ONLY = frozenset({"help"})


def _registry_only(text: str) -> bool:
    words = text.split(maxsplit=1)
    return bool(words) and words[0].lower() in REGISTRY_ONLY


async def _console(settings: Settings) -> int:
    from prompt_toolkit.patch_stdout import patch_stdout

    from bot.adapters import console
    from bot.adapters.console_poster import ConsolePoster
    from bot.app import App

    app = App.build(settings)
    # Schedules and alerts made in the console post here while the console runs.
    app.services.adapters = {"console": ConsolePoster()}
    try:
        await app.start()
        app.start_scheduler()
        with patch_stdout():  # posts print above the prompt instead of through it
            await console.run_console(
                app.core, settings.data_dir / "console_history", settings.data_dir / "out"
            )
    finally:
        await app.close()
    return EXIT_OK


async def _db(settings: Settings, action: str) -> int:
    """`orbitdesk db upgrade|current`: migrate the database, or show its revision."""
    from bot.store.db import Database, head_revision

    database = Database(settings.resolved_database_url)
    try:
        if action == "upgrade":
            await database.upgrade()
            print(f"database at revision {await database.current_revision()} (head)")
        else:
            current = await database.current_revision()
            head = head_revision()
            state = "up to date" if current == head else f"behind: head is {head}"
            print(f"database at revision {current or 'none (empty)'}, {state}")
            return EXIT_OK if current == head else EXIT_UPSTREAM
    except Exception as exc:
        print(f"orbitdesk db {action}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_UPSTREAM
    finally:
        await database.dispose()
    return EXIT_OK


async def _doctor(settings: Settings) -> int:
    """Print what is configured and whether Yahoo and the data directory answer."""
    print("OrbitDesk doctor")
    print(f"  data dir        {settings.data_dir.resolve()}")
    print(f"  database        {_mask_url(settings.resolved_database_url)}")
    print(f"  yahoo base url  {settings.yahoo_base_url or 'https://*.yahoo.com (direct)'}")
    print(f"  discord         {'configured' if settings.discord_configured else 'not configured'}")
    slack = (
        f"configured ({settings.slack_mode} mode"
        + (", many workspaces (OAuth))" if settings.slack_oauth else ")")
        if settings.slack_configured
        else "not configured"
    )
    print(f"  slack           {slack}")
    from bot.app import App

    ok = True
    app = App.build(settings)
    try:
        await app.start(migrate=False)  # doctor reports the schema; it does not change it
        started = time.perf_counter()
        batch = await app.market.quotes(["AAPL"], budget=settings.quote_budget)
        took = (time.perf_counter() - started) * 1000
        if batch.quotes:
            q = batch.quotes["AAPL"]
            print(
                f"  yahoo           OK: AAPL {q.price} {q.currency} via {q.route} ({took:.0f} ms)"
            )
        else:
            ok = False
            reason = ", ".join(sorted(set(batch.failed.values()))) or "no data"
            print(f"  yahoo           FAILED: {reason} ({took:.0f} ms)")
        probe = settings.data_dir / ".doctor-probe"
        try:
            probe.write_text("ok")
            probe.unlink()
            print("  data dir        writable")
        except OSError as exc:
            ok = False
            print(f"  data dir        NOT writable: {exc}")
        for check in app.services.doctor_checks:
            line, passed = await check()
            ok = ok and passed
            print(f"  {line}")
    finally:
        await app.close()
    return EXIT_OK if ok else EXIT_UPSTREAM


def _mask_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _opens_console(settings: Settings, target: str, or_console: bool) -> bool:
    """Whether `orbitdesk run` opens the local console (asked for, or no chat token set)."""
    wants_discord = target in ("all", "discord") and settings.discord_configured
    wants_slack = target in ("all", "slack") and settings.slack_configured
    return target == "console" or (not wants_discord and not wants_slack and or_console)


async def _run(settings: Settings, target: str, or_console: bool) -> int:
    wants_discord = target in ("all", "discord") and settings.discord_configured
    wants_slack = target in ("all", "slack") and settings.slack_configured
    if _opens_console(settings, target, or_console):
        if target != "console":
            print("No chat tokens configured (ORBITDESK_DISCORD_TOKEN, ORBITDESK_SLACK_BOT_TOKEN):")
            print("opening the local console instead. See README, 'Connecting to Discord/Slack'.")
        return await _console(settings)
    if not wants_discord and not wants_slack:
        missing = {
            "all": "ORBITDESK_DISCORD_TOKEN and/or ORBITDESK_SLACK_BOT_TOKEN",
            "discord": "ORBITDESK_DISCORD_TOKEN",
            "slack": "ORBITDESK_SLACK_BOT_TOKEN (and ORBITDESK_SLACK_APP_TOKEN for Socket Mode), "
            "or ORBITDESK_SLACK_CLIENT_ID, _CLIENT_SECRET and _STATE_SECRET (many workspaces)",
        }[target]
        print(
            f"orbitdesk run: nothing to run; set {missing} (in the environment or .env).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if wants_discord:
        from bot.adapters.discord_adapter import parse_shard_ids

        try:
            parse_shard_ids(settings.discord_shard_ids, settings.discord_shard_count)
        except ValueError as exc:
            print(f"orbitdesk run: Discord: {exc}.", file=sys.stderr)
            return EXIT_USAGE
    if wants_slack:
        from bot.adapters.slack_adapter import settings_problem

        problem = settings_problem(settings)
        if problem is not None:
            print(f"orbitdesk run: Slack: {problem} (in the environment or .env).", file=sys.stderr)
            return EXIT_USAGE
    from bot.runner import run_adapters

    return await run_adapters(settings, discord=wants_discord, slack=wants_slack)


def _healthcheck() -> int:
    """Ask the running bot's /healthz (for Docker's HEALTHCHECK); 0 when ready.

    Host and port are read cheaply (bot.healthcheck); a value that needs explaining goes
    through the full settings, which stop with its name as for every other command.
    """
    from bot.healthcheck import healthcheck, http_address

    address = http_address()
    if address is None:
        settings = load_settings()
        address = (settings.http_host, settings.http_port)
    return healthcheck(*address)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orbitdesk", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("console", help="interactive prompt on this terminal")
    ask = sub.add_parser("ask", help='run one command, e.g. orbitdesk ask "quote SPCX AMZN"')
    ask.add_argument("text", nargs="+", help="the command and its arguments")
    ask.add_argument("--json", action="store_true", help="print Response.to_dict() as JSON")
    ask.add_argument(
        "--out", type=Path, default=None, help="where attachments go (default DATA_DIR/out)"
    )
    run = sub.add_parser("run", help="connect to Discord and/or Slack as configured")
    run.add_argument(
        "target", nargs="?", default="all", choices=["all", "discord", "slack", "console"]
    )
    run.add_argument(
        "--or-console", action="store_true", help="open the console when no chat token is set"
    )
    sub.add_parser("doctor", help="show the configuration and check Yahoo and storage")
    sub.add_parser("healthcheck", help="exit 0 when the running bot's /healthz says ready")
    slack = sub.add_parser("slack", help="Slack helpers")
    slack_sub = slack.add_subparsers(dest="slack_cmd", required=True)
    manifest = slack_sub.add_parser(
        "manifest", help="print the Slack app manifest (YAML) for every registered command"
    )
    manifest.add_argument(
        "--mode", choices=["socket", "http"], default=None, help="default: ORBITDESK_SLACK_MODE"
    )
    manifest.add_argument(
        "--url", default=None, help="HTTP mode: the public https:// URL Slack sends commands to"
    )
    manifest.add_argument("--name", default="OrbitDesk", help="the app's name in Slack")
    manifest.add_argument(
        "--distribution",
        action="store_true",
        default=None,
        help="installable in many workspaces (OAuth, HTTP mode): adds the redirect URL and "
        "uninstall events (default: on when ORBITDESK_SLACK_CLIENT_ID is set)",
    )
    db = sub.add_parser("db", help="database schema: upgrade (apply migrations) or current")
    db.add_argument("action", choices=["upgrade", "current"])
    return parser


def _slack_manifest(
    settings: Settings, mode: str | None, url: str | None, name: str, distribution: bool | None
) -> int:
    """Print the app manifest built from the registry; errors name the missing option."""
    from bot.adapters.slack_manifest import build_manifest, manifest_yaml
    from bot.app import build_registry

    spread = settings.slack_oauth if distribution is None else distribution
    if spread and mode == "socket":
        print(
            "orbitdesk slack manifest: --distribution (many workspaces) works in HTTP mode only.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    chosen = "http" if spread else mode or settings.slack_mode
    try:
        manifest = build_manifest(
            build_registry(),
            mode="http" if chosen == "http" else "socket",
            url=url,
            name=name,
            distribution=spread,
        )
    except ValueError as exc:
        print(f"orbitdesk slack manifest: {exc} (--url https://...).", file=sys.stderr)
        return EXIT_USAGE
    print(manifest_yaml(manifest), end="")
    return EXIT_OK


def _setup_logging(settings: Settings, cmd: str) -> None:
    """`run` and the rest log to stderr; `ask` and `console` keep logs out of their answers.

    Those two log to DATA_DIR/orbitdesk.log at ORBITDESK_LOG_LEVEL; only warnings (`ask`) or
    errors (`console`, whose stderr shares the screen with the prompt) reach stderr, and
    nothing ever reaches stdout.
    """
    if cmd not in ("ask", "console"):
        setup_logging(settings.log_level, settings.log_format, _secrets(settings))
        return
    setup_logging(
        settings.log_level,
        settings.log_format,
        _secrets(settings),
        log_file=settings.data_dir / LOG_FILE,
        stderr_level="WARNING" if cmd == "ask" else "ERROR",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.cmd == "healthcheck":  # before anything heavy: the standard library suffices
        try:
            return _healthcheck()
        except KeyboardInterrupt:
            return EXIT_OK
        except Exception as exc:  # a bug: one line, as for every other command
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())
            print(f"orbitdesk healthcheck: unexpected error: {reason}", file=sys.stderr)
            return EXIT_UPSTREAM
    from bot.startup import StartupError, one_line

    settings = load_settings()
    console = args.cmd == "run" and _opens_console(settings, args.target, args.or_console)
    _setup_logging(settings, "console" if console else args.cmd)
    try:
        if args.cmd == "ask":
            out = args.out or settings.data_dir / "out"
            return asyncio.run(_ask(settings, " ".join(args.text), args.json, out))
        if args.cmd == "console":
            return asyncio.run(_console(settings))
        if args.cmd == "doctor":
            return asyncio.run(_doctor(settings))
        if args.cmd == "slack":
            return _slack_manifest(settings, args.mode, args.url, args.name, args.distribution)
        if args.cmd == "db":
            return asyncio.run(_db(settings, args.action))
        return asyncio.run(_run(settings, args.target, args.or_console))
    except KeyboardInterrupt:
        return EXIT_OK
    except StartupError as exc:
        print(f"orbitdesk {args.cmd}: {exc}", file=sys.stderr)
        return EXIT_UPSTREAM
    except Exception as exc:
        # A bug, not a condition we know how to explain: one line here, the traceback at DEBUG.
        log.debug("orbitdesk %s failed", args.cmd, exc_info=exc)
        print(
            f"orbitdesk {args.cmd}: unexpected error: {one_line(f'{type(exc).__name__}: {exc}')} "
            "(set ORBITDESK_LOG_LEVEL=DEBUG for details)",
            file=sys.stderr,
        )
        return EXIT_UPSTREAM


def cli() -> NoReturn:
    """The `orbitdesk` program: run main(), flush, and end the process at once.

    Worker threads still blocked in a Yahoo call (a server that hangs) would otherwise be
    joined by the interpreter at exit, keeping the process alive seconds after its answer.
    By now everything that matters is done: App.close() disposed the database and stopped
    the pools, and the output is flushed here.
    """
    try:
        code = main()
    except SystemExit as exc:  # argparse and bad settings exit this way, messages printed
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away (`| head -1`) has nothing left to be told.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    cli()
