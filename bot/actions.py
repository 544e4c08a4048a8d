"""Action ids: a button's whole state, the command line it runs, in a short versioned string.

    od1|quote SPCX AMZN            a button that runs `quote SPCX AMZN`
    od1|chart SPCX 1y candle       a range button under a chart
    od1|?3f9a01c2                  a menu; the picked option's value is itself an action id

`od` names OrbitDesk, `1` the format. The rest is a command line exactly as someone would type
it, so pressing a button goes through the same parser, permission check, deadline and metrics
as typing it (Core.dispatch), works after a restart and on any replica (nothing is kept on the
server), and a forged id can do no more than typing the same words could. Ids are at most
MAX_ID_LENGTH characters (Discord's custom_id limit; Slack's action_id and option values allow
more): an action whose command line does not fit is left out of the answer, never cut.

`command_line` builds the line for "this command again, with these arguments changed" from the
words the command was given, and checks that the parser reads it back the same.
"""

from __future__ import annotations

import functools
import hashlib
import re
import shlex
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.errors import UsageError
from bot.identity_memo import IdentityMemo
from bot.params import collect_text, tokenize
from bot.registry import CommandSpec
from bot.text import has_control_chars

PREFIX = "od"
VERSION = "1"
HEAD = f"{PREFIX}{VERSION}|"  # "od1|"
MAX_ID_LENGTH = 100  # Discord custom_id and select option value; Slack allows 255 / 150
MENU_MARK = "?"  # a command line never starts with "?": marks a menu's own id
# What adapters route to the action handler: every id that claims to be OrbitDesk's.
ID_PATTERN = re.compile(rf"(?s){PREFIX}.*")
# Every other id (another app's, or typed by hand): adapters refuse it in a line.
FOREIGN_ID_PATTERN = re.compile(rf"(?s)(?!{PREFIX}).*")

_NEEDS_QUOTES = re.compile(r"[\s'\"\\]")
_NAMED = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,30}[=:]")

Raw = Mapping[str, Sequence[str]]  # the words given per parameter (bot.params.collect_*)


class ActionIdError(ValueError):
    """An id that is not a well-formed OrbitDesk action of this version; `str()` says why."""


@dataclass(frozen=True, slots=True)
class ParsedId:
    """What an id holds: a command line to run, or (for a menu) nothing until one is picked."""

    command: str = ""
    menu: bool = False


@functools.lru_cache(maxsize=2048)  # the same buttons come back on every answer
def encode(command: str) -> str:
    """The action id for a command line; ActionIdError when it would be too long."""
    command = " ".join(command.split())
    if not command or command.startswith(MENU_MARK) or has_control_chars(command):
        raise ActionIdError("not a command line")
    found = HEAD + command
    if len(found) > MAX_ID_LENGTH:
        raise ActionIdError(f"{len(found)} characters, over {MAX_ID_LENGTH}")
    return found


def menu_id(commands: Iterable[str]) -> str:
    """A menu's own id: stable for the same options, distinct between menus of one message."""
    digest = hashlib.sha256("\n".join(commands).encode()).hexdigest()[:8]
    return f"{HEAD}{MENU_MARK}{digest}"


def tagged(action_id: str, n: int) -> str:
    """The same action under a distinct id ("od1.2|..."): platforms want ids unique per message
    (a chart's shown range and shown type may run the same line). Too long: unchanged."""
    found = f"{PREFIX}{VERSION}.{n}|{action_id[len(HEAD) :]}"
    return found if len(found) <= MAX_ID_LENGTH and action_id.startswith(HEAD) else action_id


def unique(ids: Iterable[str]) -> list[str]:
    """Each id, tagged where it repeats an earlier one."""
    seen: set[str] = set()
    out = []
    for action_id in ids:
        candidate, n = action_id, 1
        while candidate in seen and n < 100:
            n += 1
            candidate = tagged(action_id, n)
        seen.add(candidate)
        out.append(candidate)
    return out


def decode(action_id: str) -> ParsedId:
    """The command line an id runs. Raises ActionIdError for anything else (never more)."""
    if len(action_id) > MAX_ID_LENGTH:
        raise ActionIdError("too long")
    if not action_id.startswith(PREFIX):
        raise ActionIdError("not an OrbitDesk action")
    version, sep, body = action_id[len(PREFIX) :].partition("|")
    if not sep:
        raise ActionIdError("malformed")
    version, _, tag = version.partition(".")  # the tag only keeps ids apart
    if version != VERSION or not (tag == "" or tag.isdigit()):
        raise ActionIdError(f"version {version[:8]!r}")
    if has_control_chars(body):
        raise ActionIdError("control characters")
    if body.startswith(MENU_MARK):
        return ParsedId(menu=True)
    if not body.strip():
        raise ActionIdError("empty")
    return ParsedId(command=body)


def refusal() -> str:
    """The short private answer for an id that cannot be run (the reason goes to the log)."""
    return (
        "That button is not one this OrbitDesk can run (it may be from another version); "
        "type the command instead."
    )


# Lines already worked out, per command: a Refresh button on every quote asks for the same
# few lines over and over, and checking one by parsing it back costs more than the answer's
# own rendering. Bounded: a command's table is emptied when it fills.
_LINES: IdentityMemo[CommandSpec, dict[Hashable, str | ValueError]] = IdentityMemo(4096)
_LINES_PER_COMMAND = 512


def command_line(spec: CommandSpec, raw: Raw, changes: Mapping[str, object] | None = None) -> str:
    """`spec` run again with the words it was given, some replaced: "chart SPCX 1y candle".

    `changes` maps parameter names to new values (a word, a number, a list of words, or None
    to go back to the default). The line is checked by parsing it back; ValueError when no
    spelling of it reads back the same (then the caller offers no action).
    """
    try:
        key: Hashable = (_frozen(raw), _frozen(changes) if changes else ())
        hash(key)
    except TypeError:  # a value that cannot be a key: work it out every time
        return _command_line(spec, raw, changes)
    lines = _LINES.get(spec, lambda _: {})
    line = lines.get(key)
    if line is None:
        try:
            line = _command_line(spec, raw, changes)
        except ValueError as exc:
            line = exc
        if len(lines) >= _LINES_PER_COMMAND:
            lines.clear()
        lines[key] = line
    if isinstance(line, ValueError):
        raise ValueError(str(line))
    return line


def _frozen(values: Mapping[str, object]) -> tuple[tuple[str, object], ...]:
    return tuple(
        sorted((k, tuple(v) if isinstance(v, list | tuple) else v) for k, v in values.items())
    )


def _command_line(spec: CommandSpec, raw: Raw, changes: Mapping[str, object] | None) -> str:
    words: dict[str, list[str]] = {k: list(v) for k, v in raw.items()}
    for name, value in (changes or {}).items():
        if spec.param(name) is None:
            raise ValueError(f"{spec.name} has no parameter {name!r}")
        if value is None:
            words.pop(name, None)
        elif isinstance(value, list | tuple):
            words[name] = [_word(v) for v in value]
        else:
            words[name] = [_word(value)]
    wanted = _normal(spec, words)
    for line in (_pretty(spec, words), _named(spec, words)):
        if _reads_back(spec, line, wanted):
            return line
    raise ValueError(f"no command line for {spec.name} reads back the same")


def _word(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(getattr(value, "value", value))  # enums: their value


def _quote(word: str) -> str:
    return shlex.quote(word) if _NEEDS_QUOTES.search(word) or not word else word


def _pretty(spec: CommandSpec, words: Mapping[str, Sequence[str]]) -> str:
    """Positional parameters in order while each is given, then the rest as name=value."""
    out = [spec.name]
    named = dict(words)
    for param in spec.params:
        values = named.get(param.name)
        if not param.positional or not values or any(_NAMED.match(v) for v in values):
            break
        if param.many:
            out.extend(_quote(v) for v in _items(values))
        else:
            out.append(_quote(values[0]))
        del named[param.name]
        if param.many:
            break  # a list takes every positional word after it
    for param in spec.params:
        values = named.get(param.name)
        if values:
            out.append(_name_value(param.name, param.many, values))
    return " ".join(out)


def _named(spec: CommandSpec, words: Mapping[str, Sequence[str]]) -> str:
    """Every parameter as name=value (lists joined by commas)."""
    out = [spec.name]
    for param in spec.params:
        values = words.get(param.name)
        if values:
            out.append(_name_value(param.name, param.many, values))
    return " ".join(out)


def _name_value(name: str, many: bool, values: Sequence[str]) -> str:
    return f"{name}={_quote(','.join(_items(values)) if many else values[0])}"


def _items(values: Sequence[str]) -> list[str]:
    return [item.strip() for v in values for item in v.split(",") if item.strip()]


def _normal(spec: CommandSpec, words: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for param in spec.params:
        values = words.get(param.name)
        if values:
            out[param.name] = _items(values) if param.many else [values[0]]
    return out


def _reads_back(spec: CommandSpec, line: str, wanted: Mapping[str, list[str]]) -> bool:
    try:
        found = tokenize(line)
        return _normal(spec, collect_text(spec, found[len(spec.path) :])) == wanted
    except UsageError:
        return False
