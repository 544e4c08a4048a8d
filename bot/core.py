"""Core.dispatch: one Invocation in, one Response out, whatever happens in between.

Core.complete: suggestions for the option a user is typing, from the parameter's source.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.completion import Choice, complete_choices
from bot.context import Context, Invocation, Services
from bot.deadlines import Deadlines
from bot.errors import (
    Forbidden,
    NotFound,
    OrbitDeskError,
    Unavailable,
    UpstreamError,
    UsageError,
)
from bot.params import collect_options, collect_text, convert_all, tokenize
from bot.permissions import Authorize, granted_with_command
from bot.registry import CommandSpec, Registry
from bot.response import Response
from bot.text import safe_echo

log = logging.getLogger(__name__)

# (invocation, spec or None, response, seconds) -> None; used for metrics and logs.
DispatchListener = Callable[[Invocation, CommandSpec | None, Response, float], None]

MAX_CHOICES = 25  # Discord's limit, and more than any menu should show
COMPLETE_DEADLINE = 2.0  # s; a suggestion list later than this is of no use (Discord: 3 s)


_LINES_KEPT = 1024  # command lines remembered by Core._read


@dataclass
class Core:
    services: Services
    deadline: float = 3.0
    listeners: list[DispatchListener] = field(default_factory=list)
    accepting: bool = True
    _inflight: int = 0
    _idle: asyncio.Event = field(default_factory=asyncio.Event)
    # Command lines already read (text -> command and words per parameter): Slack, the
    # console and every button press send lines, and the same ones come back (a quote's
    # Refresh). Only lines that read without error; bounded, emptied when full.
    _lines: dict[str, tuple[CommandSpec, dict[str, list[str]]]] = field(default_factory=dict)
    # Every command's deadline, served by one timer (see bot.deadlines).
    _deadlines: Deadlines = field(default_factory=Deadlines)

    async def drain(self, timeout: float) -> bool:
        """Stop taking commands and wait up to `timeout` s for those under way; True if all ended."""
        self.accepting = False
        if self._inflight == 0:
            return True
        self._idle.clear()
        try:
            async with asyncio.timeout(timeout):
                while self._inflight:
                    await self._idle.wait()
                    self._idle.clear()
        except TimeoutError:
            log.warning("%d command(s) still running at shutdown", self._inflight)
            return False
        return True

    @property
    def registry(self) -> Registry:
        return self.services.registry

    async def dispatch(
        self, invocation: Invocation, *, authorize: Authorize = granted_with_command
    ) -> Response:
        """Route, validate and run one command; every failure becomes a short Response.

        `authorize` answers, from the platform's own permission model, whether the user may
        run a command that changes the channel; it is asked only for such commands.
        """
        if not self.accepting:
            return Response(
                text="OrbitDesk is restarting; try again in a moment.",
                kind="upstream",
                ephemeral=True,
                data={"error": "upstream", "reason": "shutting_down"},
            )
        self._inflight += 1
        try:
            return await self._dispatch(invocation, authorize)
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()

    async def _dispatch(self, invocation: Invocation, authorize: Authorize) -> Response:
        started = time.perf_counter()
        spec: CommandSpec | None = None
        try:
            spec, raw = self._read(invocation)
            kwargs = self._convert(spec, raw)
            if spec.manage_channel and not await authorize(invocation, spec):
                raise Forbidden(
                    f"`{spec.name}` changes this channel's settings; it needs the "
                    "Manage Channels permission (Discord) or a workspace admin (Slack)."
                )
            ctx = Context(
                invocation=invocation,
                services=self.services,
                spec=spec,
                now=self.services.clock.now(),
                arguments=raw,
                authorize=authorize,
            )
            deadline = self._deadlines.start(spec.deadline or self.deadline)
            try:
                response = await spec.func(ctx, **kwargs)
            except asyncio.CancelledError:
                if self._deadlines.timed_out(deadline):
                    raise TimeoutError from None
                raise
            finally:
                self._deadlines.end(deadline)
            if not isinstance(response, Response):
                raise TypeError(f"command {spec.name!r} returned {type(response).__name__}")
        except UsageError as exc:
            response = _usage_response(exc, spec)
        except NotFound as exc:
            text = exc.message
            if exc.suggestions:
                text += " Did you mean: " + ", ".join(exc.suggestions) + "?"
            response = _error_response(exc, text, {"suggestions": list(exc.suggestions)})
        except UpstreamError as exc:
            response = _error_response(exc, exc.message, {"reason": exc.reason})
        except (Forbidden, Unavailable) as exc:
            response = _error_response(exc, exc.message)
        except TimeoutError:
            limit = spec.deadline if spec and spec.deadline else self.deadline
            response = Response(
                text=f"That took longer than {limit:g} s, so I stopped waiting. "
                "Try again in a moment.",
                kind="upstream",
                ephemeral=True,
                data={"error": "upstream", "reason": "timeout"},
            )
        except Exception:
            log.exception("command failed: %r", invocation.text or invocation.path)
            response = Response(
                text="Something went wrong on our side; it has been logged.",
                kind="error",
                ephemeral=True,
                data={"error": "error"},
            )
        elapsed = time.perf_counter() - started
        for listener in self.listeners:
            try:
                listener(invocation, spec, response, elapsed)
            except Exception:  # a metrics bug must not break answers
                log.exception("dispatch listener failed")
        return response

    async def complete(
        self,
        invocation: Invocation,
        param: str,
        typed: str,
        *,
        limit: int = MAX_CHOICES,
        max_length: int | None = None,
    ) -> list[Choice]:
        """Up to `limit` suggestions for `typed` in option `param`; never raises.

        The invocation names the command (by `path`, or by `text` on text platforms) and who
        is typing where; the parameter's declared source answers (`Param(complete=...)`), or
        its own choices. A list option ("SPCX AMZN go") completes its last word and keeps the
        words before it. Choices whose value is longer than `max_length` (a platform's limit)
        are left out.
        """
        try:
            spec, _ = self._lookup(invocation)
        except UsageError:  # no such command (any more): nothing to suggest
            return []
        target = spec.param(param)
        if target is None:
            return []
        head, _, prefix = typed.rpartition(" ") if target.many else ("", "", typed)
        head = f"{head} " if head else ""
        try:
            if target.complete is not None:
                ctx = Context(
                    invocation=invocation,
                    services=self.services,
                    spec=spec,
                    now=self.services.clock.now(),
                )
                async with asyncio.timeout(COMPLETE_DEADLINE):
                    found = await target.complete(ctx, prefix, limit)
            else:
                found = complete_choices(target, prefix)
        except TimeoutError:
            log.warning("completing %r took over %g s; no suggestions", param, COMPLETE_DEADLINE)
            return []
        except Exception:
            log.exception("completing %r of %r failed", param, invocation.text or invocation.path)
            return []
        out: list[Choice] = []
        for choice in found:
            value = head + choice.value
            if max_length is not None and len(value) > max_length:
                continue
            out.append(Choice(head + choice.label, value))
            if len(out) == limit:
                break
        return out

    def _read(self, invocation: Invocation) -> tuple[CommandSpec, dict[str, list[str]]]:
        """The command asked for and the words given per parameter (see _lookup, _collect)."""
        if invocation.path:
            spec, words = self._lookup(invocation)
            return spec, self._collect(spec, invocation, words)
        held = self._lines.get(invocation.text)
        if held is not None and self.registry.commands.get(held[0].path) is held[0]:
            spec, raw = held
        else:
            spec, words = self._lookup(invocation)
            raw = self._collect(spec, invocation, words)
            if len(self._lines) >= _LINES_KEPT:
                self._lines.clear()
            self._lines[invocation.text] = (spec, raw)
        return spec, {name: list(given) for name, given in raw.items()}  # the caller's own

    def _lookup(self, invocation: Invocation) -> tuple[CommandSpec, list[str]]:
        """The command asked for, and the words left for its parameters (text platforms)."""
        registry = self.registry
        if invocation.path:
            spec = registry.get(invocation.path)
            if spec is None:
                raise UsageError(f"Unknown command '{safe_echo(' '.join(invocation.path))}'.")
            return spec, []
        head = invocation.text.split(maxsplit=1)
        line_spec = registry.get((head[0].lstrip("/").lower(),)) if head else None
        if line_spec is not None and line_spec.takes_line:  # `ask what's SpaceX at?`
            line = head[1].strip() if len(head) > 1 else ""
            tokenize(line.replace('"', "").replace("'", "").replace("\\", ""))  # same limits
            return line_spec, [line] if line else []
        words = tokenize(invocation.text)
        if not words:
            raise UsageError("Type a command, for example `quote SPCX`; `help` lists them all.")
        name = words[0].lstrip("/").lower()
        rest = words[1:]
        if name not in registry.groups:
            spec = registry.get((name,))
            if spec is None:
                known = registry.top_level_names()
                raise UsageError(
                    f"Unknown command '{safe_echo(name)}'{_did_you_mean(name, known)} "
                    "`help` lists every command."
                )
            return spec, rest
        subs = sorted(s.path[1] for s in registry.subcommands(name))
        usage = f"{name} <{'|'.join(subs)}> ..."
        default = registry.groups[name].default
        if not rest and default is not None and (spec := registry.get((name, default))):
            return spec, rest  # a bare group runs its default: `watchlist` = `watchlist quote`
        if not rest:
            raise UsageError(f"`{name}` needs a subcommand: {', '.join(subs)}.", usage=usage)
        sub = rest[0].lower()
        spec = registry.get((name, sub))
        if spec is None:
            raise UsageError(
                f"`{name}` has no subcommand '{safe_echo(sub)}'{_did_you_mean(sub, subs)}",
                usage=usage,
            )
        return spec, rest[1:]

    @staticmethod
    def _collect(
        spec: CommandSpec, invocation: Invocation, words: list[str]
    ) -> dict[str, list[str]]:
        """The words given per parameter (kept in the Context for `again`)."""
        try:
            if invocation.path:
                return collect_options(spec, invocation.options)
            return collect_text(spec, words)
        except UsageError as exc:
            exc.usage = exc.usage or spec.usage
            raise

    @staticmethod
    def _convert(spec: CommandSpec, raw: dict[str, list[str]]) -> dict[str, Any]:
        try:
            return convert_all(spec, raw)
        except UsageError as exc:
            exc.usage = exc.usage or spec.usage
            raise


# Words people type for a command or subcommand that is spelt differently here.
_SYNONYMS = {
    "delete": "remove",
    "del": "remove",
    "rm": "remove",
    "ls": "list",
    "show": "list",
    "new": "add",
    "create": "add",
    "stop": "pause",
    "start": "resume",
    "price": "quote",
    "stock": "quote",
    "deals": "acquisitions",
}


def _did_you_mean(word: str, options: list[str]) -> str:
    synonym = _SYNONYMS.get(word)
    close = [synonym] if synonym in options else difflib.get_close_matches(word, options, n=1)
    return f"; did you mean `{close[0]}`?" if close else "."


def _usage_response(exc: UsageError, spec: CommandSpec | None) -> Response:
    usage = exc.usage or (spec.usage if spec else None)
    text = exc.message if not usage else f"{exc.message}\nUsage: {usage}"
    data: dict[str, Any] = {"error": "usage", "message": exc.message}
    if usage:
        data["usage"] = usage
    return Response(text=text, kind="usage", ephemeral=True, data=data)


def _error_response(
    exc: OrbitDeskError, text: str, extra: dict[str, Any] | None = None
) -> Response:
    data: dict[str, Any] = {"error": exc.kind, "message": exc.message, **(extra or {})}
    return Response(text=text, kind=exc.kind, ephemeral=True, data=data)
