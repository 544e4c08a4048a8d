"""From the command registry to Discord application-command JSON, and back from interactions.

Pure functions, no discord.py: `command_payloads(registry)` is what gets PUT to Discord,
`schema_hash()` decides whether a sync is needed, and `read_call()` turns an interaction's
`data` back into a command path plus options keyed by the registry's parameter names.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.identity_memo import IdentityMemo
from bot.registry import CommandSpec, ParamKind, ParamSpec, Registry
from bot.text import MAX_INPUT_CHARS

# Discord's application-command option types.
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN = 1, 2, 3, 4, 5
NUMBER = 10
CHAT_INPUT = 1
MANAGE_CHANNELS = str(1 << 4)  # default_member_permissions is a string bit set
# Interaction contexts: a server channel, the bot's DM, other DMs and group DMs (user installs).
GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2
# Installation contexts: added to a server, or to a user's account (usable everywhere they are).
GUILD_INSTALL, USER_INSTALL = 0, 1

MAX_NAME = 32
MAX_DESCRIPTION = 100
MAX_CHOICES = 25
MAX_OPTIONS = 25
MAX_STRING_OPTION = 6000
MAX_SAFE_INTEGER = 2**53  # Discord refuses integer bounds outside +-2^53
_NAME = re.compile(r"^[-_\w]{1,32}$")

TYPE_OF_KIND = {
    ParamKind.STRING: STRING,
    ParamKind.CHOICE: STRING,
    ParamKind.INTEGER: INTEGER,
    ParamKind.NUMBER: NUMBER,
    ParamKind.BOOLEAN: BOOLEAN,
}


def option_name(name: str) -> str:
    """The Discord option or command name for a registry name (lowercase, at most 32 chars)."""
    lowered = name.lower()
    if not _NAME.match(lowered):
        raise ValueError(f"{name!r} cannot be a Discord name (1-32 letters, digits, - or _)")
    return lowered


def short_description(text: str, fallback: str) -> str:
    """A description Discord accepts: first line, 1 to 100 characters."""
    line = (text or "").strip().splitlines()[0].strip() if (text or "").strip() else ""
    line = line or fallback
    return line if len(line) <= MAX_DESCRIPTION else line[: MAX_DESCRIPTION - 1] + "…"


def completes(param: ParamSpec) -> bool:
    """True when the option asks the bot for choices while the user types."""
    if param.complete is not None:
        return True
    # Native choices hold at most 25 single values; longer or multi-value lists are completed.
    return bool(param.choices) and (param.many or len(param.choices) > MAX_CHOICES)


def option_payload(param: ParamSpec) -> dict[str, Any]:
    """One typed option. A `many` parameter is one text option the core splits into items."""
    kind = STRING if param.many else TYPE_OF_KIND[param.kind]
    option: dict[str, Any] = {
        "type": kind,
        "name": option_name(param.name),
        "description": short_description(param.help, param.name),
        "required": param.required,
    }
    if kind == STRING:
        limit = MAX_INPUT_CHARS if param.many else param.max_length
        option["max_length"] = max(1, min(limit, MAX_STRING_OPTION))
    if kind in (INTEGER, NUMBER):
        for key, bound in (("min_value", param.min), ("max_value", param.max)):
            if bound is not None:
                bound = max(-MAX_SAFE_INTEGER, min(MAX_SAFE_INTEGER, bound))
                option[key] = int(bound) if kind == INTEGER else float(bound)
    if completes(param):
        option["autocomplete"] = True
    elif param.choices:
        option["choices"] = [{"name": c[:100], "value": c[:100]} for c in param.choices]
    return option


def _options(params: Sequence[ParamSpec], where: str) -> list[dict[str, Any]]:
    if len(params) > MAX_OPTIONS:
        raise ValueError(f"{where}: Discord allows at most {MAX_OPTIONS} options")
    # Discord wants required options before optional ones; the core binds by name anyway.
    ordered = sorted(params, key=lambda p: not p.required)
    return [option_payload(p) for p in ordered]


def reads_only(specs: Sequence[CommandSpec]) -> bool:
    """True when no command of a top-level name changes a channel's (or anyone's) state.

    Such commands are user-installable: usable in DMs, group DMs and servers the bot is not
    in. Anything that changes a channel, or decides per call whether it does, needs the bot
    installed in the server (its schedules and alerts post there).
    """
    return not any(s.manage_channel or s.keeps_state for s in specs)


def _permissions(specs: Sequence[CommandSpec]) -> dict[str, Any]:
    # Discord sets permissions per top-level command only, so one subcommand that changes a
    # channel hides the whole group from members without Manage Channels; the core still
    # checks every call at run time.
    manage = any(s.manage_channel for s in specs)
    if manage:
        contexts, installs = [GUILD], [GUILD_INSTALL]
    elif reads_only(specs):
        contexts, installs = [GUILD, BOT_DM, PRIVATE_CHANNEL], [GUILD_INSTALL, USER_INSTALL]
    else:  # keeps per-user state (a personal watchlist): the server install, and its DM
        contexts, installs = [GUILD, BOT_DM], [GUILD_INSTALL]
    return {
        "default_member_permissions": MANAGE_CHANNELS if manage else None,
        "contexts": contexts,
        "integration_types": installs,
    }


def command_payloads(registry: Registry) -> list[dict[str, Any]]:
    """Every registered command as a CHAT_INPUT application command, sorted by name."""
    payloads: list[dict[str, Any]] = []
    for name in registry.top_level_names():
        spec = registry.get((name,))
        if spec is not None:
            payloads.append(
                {
                    "type": CHAT_INPUT,
                    "name": option_name(name),
                    "description": short_description(spec.help, name),
                    "options": _options(spec.params, name),
                    "nsfw": False,
                    **_permissions([spec]),
                }
            )
            continue
        subs = registry.subcommands(name)
        group = registry.groups.get(name)
        payloads.append(
            {
                "type": CHAT_INPUT,
                "name": option_name(name),
                "description": short_description(group.help if group else "", name),
                "options": _subcommand_tree(subs, depth=1),
                "nsfw": False,
                **_permissions(subs),
            }
        )
    return payloads


def _subcommand_tree(specs: Sequence[CommandSpec], depth: int) -> list[dict[str, Any]]:
    """SUB_COMMAND options, nested in SUB_COMMAND_GROUPs for three-word paths."""
    out: list[dict[str, Any]] = []
    nested: dict[str, list[CommandSpec]] = {}
    for spec in specs:
        if len(spec.path) == depth + 1:
            out.append(
                {
                    "type": SUB_COMMAND,
                    "name": option_name(spec.path[depth]),
                    "description": short_description(spec.help, spec.path[depth]),
                    "options": _options(spec.params, spec.name),
                }
            )
        elif depth == 1 and len(spec.path) == 3:
            nested.setdefault(spec.path[1], []).append(spec)
        else:
            raise ValueError(f"{spec.name!r}: Discord nests commands at most three words deep")
    for name, members in nested.items():
        out.append(
            {
                "type": SUB_COMMAND_GROUP,
                "name": option_name(name),
                "description": short_description("", name),
                "options": _subcommand_tree(members, depth=2),
            }
        )
    if len(out) > MAX_OPTIONS:
        raise ValueError(f"{specs[0].path[0]!r}: Discord allows at most {MAX_OPTIONS} subcommands")
    return out


def schema_hash(payloads: Sequence[Mapping[str, Any]], application_id: int | str) -> str:
    """sha256 of the canonical JSON; the application id is part of it (a new bot re-syncs)."""
    canonical = json.dumps(
        {"application_id": str(application_id), "commands": list(payloads)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Call:
    """An interaction's command, in registry terms."""

    spec: CommandSpec
    options: dict[str, Any]  # parameter name -> value as Discord sent it
    focused: str | None = None  # autocomplete: the parameter being typed


def read_call(registry: Registry, data: Mapping[str, Any]) -> Call | None:
    """The command and options an interaction's `data` names; None if not (or no longer) ours."""
    path = [str(data.get("name", ""))]
    options: Sequence[Mapping[str, Any]] = data.get("options") or []
    # Walk down subcommand groups and subcommands; their options hold the real values.
    while len(options) == 1 and options[0].get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
        path.append(str(options[0].get("name", "")))
        options = options[0].get("options") or []
    spec = _find(registry, path)
    if spec is None:
        return None
    by_option = _option_names(spec)
    values: dict[str, Any] = {}
    focused: str | None = None
    for option in options:
        name = by_option.get(str(option.get("name", "")))
        if name is None:
            return None  # the synced schema is older than this registry
        values[name] = option.get("value")
        if option.get("focused"):
            focused = name
    return Call(spec=spec, options=values, focused=focused)


# Discord option name -> parameter name, per command (bot.identity_memo).
_OPTION_NAMES: IdentityMemo[CommandSpec, dict[str, str]] = IdentityMemo(4096)


def _option_names(spec: CommandSpec) -> dict[str, str]:
    return _OPTION_NAMES.get(spec, lambda s: {option_name(p.name): p.name for p in s.params})


def _find(registry: Registry, path: Sequence[str]) -> CommandSpec | None:
    direct = registry.get(tuple(path))
    if direct is not None:
        return direct
    for spec in registry.commands.values():
        if len(spec.path) == len(path) and all(
            option_name(part) == given for part, given in zip(spec.path, path, strict=True)
        ):
            return spec
    return None
