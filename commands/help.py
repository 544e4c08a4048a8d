"""/help: the command list, or one command in full, generated from the registry."""

from __future__ import annotations

from typing import Annotated

from bot.context import Context
from bot.errors import UsageError
from bot.registry import CommandSpec, Param, ParamKind, ParamSpec, command
from bot.response import Card, Field, Response
from bot.text import safe_echo

Topic = Annotated[
    list[str] | None,
    Param("a command, e.g. quote or orbital radiator", max_items=3, max_length=30),
]


@command("help", examples=("help", "help quote", "help orbital radiator"))
async def help_(ctx: Context, command: Topic = None) -> Response:
    """List every command, or explain one (help quote)."""
    registry = ctx.services.registry
    slash = "" if ctx.platform == "console" else "/"
    if not command:
        return _overview(ctx, slash)
    path = tuple(w.lower().lstrip("/") for w in command)
    spec = registry.get(path)
    if spec is not None:
        return _command_help(spec, slash)
    if len(path) == 1 and path[0] in registry.groups:
        group = registry.groups[path[0]]
        subs = registry.subcommands(path[0])
        fields = tuple(Field(f"{slash}{s.name}", s.help, inline=False) for s in subs)
        text = "\n".join(
            [f"{slash}{group.name}: {group.help}", *(f"  {slash}{s.name}: {s.help}" for s in subs)]
        )
        return Response(
            text=text,
            cards=(Card(title=f"{slash}{group.name}", description=group.help, fields=fields),),
        )
    raise UsageError(f"No command '{safe_echo(' '.join(command))}'; `help` lists them all.")


def _overview(ctx: Context, slash: str) -> Response:
    registry = ctx.services.registry
    fields: list[Field] = []
    for name in registry.top_level_names():
        if name in registry.groups:
            subs = ", ".join(s.path[1] for s in registry.subcommands(name) if not s.hidden)
            fields.append(
                Field(f"{slash}{name}", f"{registry.groups[name].help} ({subs})", inline=False)
            )
        else:
            spec = registry.get((name,))
            if spec is not None and not spec.hidden:
                fields.append(Field(f"{slash}{spec.name}", spec.help, inline=False))
    card = Card(
        title="OrbitDesk commands",
        description=f"Type {slash}help <command> for its options and examples.",
        fields=tuple(fields),
        footer="Prices: Yahoo Finance. Deals and claims: sourced data files.",
    )
    text = "\n".join([card.title, *(f"  {f.name}: {f.value}" for f in fields), card.description])
    return Response(text=text, cards=(card,), data={"commands": [f.name for f in fields]})


def _param_line(param: ParamSpec) -> str:
    boolean = param.kind is ParamKind.BOOLEAN
    bits = [param.help or ("yes or no" if boolean else param.kind.value)]
    if param.choices:
        bits.append("one of " + ", ".join(param.choices))
    if param.min is not None or param.max is not None:
        low = f"{param.min:g}" if param.min is not None else ""
        high = f"{param.max:g}" if param.max is not None else ""
        bits.append(f"range {low}..{high}")
    if not param.required and param.default not in (None, [], ()):
        default = getattr(param.default, "value", param.default)
        if boolean:
            default = "yes" if default else "no"
        bits.append(f"default {default}")
    return "; ".join(bits)


def _command_help(spec: CommandSpec, slash: str) -> Response:
    fields = [Field(p.usage_token().strip("[]"), _param_line(p), inline=False) for p in spec.params]
    if spec.examples:
        fields.append(
            Field("Examples", "\n".join(f"{slash}{e}" for e in spec.examples), inline=False)
        )
    if spec.manage_channel:
        fields.append(
            Field(
                "Permission", "Manage Channels (Discord) or workspace admin (Slack)", inline=False
            )
        )
    description = spec.help + (f"\n{spec.description}" if spec.description else "")
    card = Card(title=f"{slash}{spec.usage}", description=description, fields=tuple(fields))
    lines = [card.title, description, *(f"  {f.name}: {f.value}" for f in fields)]
    return Response(
        text="\n".join(lines), cards=(card,), data={"command": spec.name, "usage": spec.usage}
    )
