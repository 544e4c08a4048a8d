"""Commands declared once, as typed async functions; every platform reads the same specs.

    @command("quote", examples=("quote SPCX AMZN",))
    async def quote(ctx: Context, symbols: Annotated[list[str], Param("tickers or names",
                    min_items=1, max_items=10, complete=complete_symbols)]) -> Response:
        '''Price, change and day range for 1 to 10 symbols.'''

The signature gives the parameters (type, default, positional or keyword-only), `Param` gives
help text and limits, the docstring's first line is the command's help. From that one
declaration come text parsing (bot.params), help, validation, and Discord option schemas.
A command that fronts a pure function says so with `computes=Computes(func, {param: keyword})`,
so other code can run that function from the same parameters, kinds and defaults.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Generic,
    Literal,
    TypeVar,
    Union,
    get_args,
    get_origin,
)

if TYPE_CHECKING:
    from bot.completion import CompletionSource

SPEC_ATTR = "__orbitdesk_spec__"
R = TypeVar("R")


class ParamKind(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class Param:
    """Metadata for one parameter, given as `Annotated[type, Param(...)]`."""

    help: str = ""
    min: float | None = None
    max: float | None = None
    min_items: int = 0
    max_items: int | None = None
    max_length: int = 100
    complete: CompletionSource | None = None  # suggests values while the user types
    # Converts one token of text to a value; raise ValueError with a short reason.
    parse: Callable[[str], Any] | None = None
    metavar: str | None = None  # how usage lines name the value, e.g. "40MW"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    name: str
    kind: ParamKind
    help: str
    required: bool
    default: Any
    positional: bool
    many: bool = False
    choices: tuple[str, ...] = ()
    choice_values: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    min_items: int = 0
    max_items: int | None = None
    max_length: int = 100
    complete: CompletionSource | None = None
    parse: Callable[[str], Any] | None = None
    metavar: str | None = None

    def usage_token(self) -> str:
        if self.kind is ParamKind.BOOLEAN:
            value = "yes|no"
        else:
            value = "|".join(self.choices) if self.choices else self.metavar or self.name
        if self.many:
            value += "..."
        bare = bool(self.choices) or self.kind is ParamKind.BOOLEAN  # a list of words, no <>
        if self.positional:
            token = value if bare else f"<{value}>"
        else:
            token = f"{self.name}={value}" if bare else f"{self.name}=<{value}>"
        return token if self.required else f"[{token}]"


@dataclass(frozen=True, slots=True)
class Computes(Generic[R]):
    """The pure function a command fronts, and which parameter feeds which of its keywords.

    Given as `@command(..., computes=Computes(calc.radiator, {"temp": "temperature_k"}))`, it
    lets code other than the command run the same computation from the same parameters (their
    kinds and defaults come from the ParamSpecs): the orbital claims check their figures so.
    """

    func: Callable[..., R]
    keywords: Mapping[str, str]  # parameter name -> keyword of `func`
    fixed: Mapping[str, Any] = field(default_factory=dict)  # keywords no parameter sets

    def arguments(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """`func`'s keyword arguments from a value for every parameter in `keywords`."""
        if set(values) != set(self.keywords):
            missing = sorted(set(self.keywords) - set(values))
            extra = sorted(set(values) - set(self.keywords))
            raise TypeError(f"{self.func.__name__}: missing {missing}, not declared {extra}")
        return {**self.fixed, **{self.keywords[name]: v for name, v in values.items()}}


@dataclass(frozen=True, slots=True)
class CommandSpec:
    path: tuple[str, ...]
    help: str
    description: str
    params: tuple[ParamSpec, ...]
    func: Callable[..., Awaitable[Any]]
    examples: tuple[str, ...] = ()
    manage_channel: bool = False  # changes a channel's state: needs the platform's permission
    deadline: float | None = None  # seconds; None = the core's default
    hidden: bool = False
    computes: Computes[Any] | None = None  # the function it fronts, for use outside chat

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def usage(self) -> str:
        return " ".join([self.name, *(p.usage_token() for p in self.params)])

    def param(self, name: str) -> ParamSpec | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A command with subcommands, e.g. `orbital` holding `orbital radiator`."""

    name: str
    help: str
    # The subcommand a bare `name` runs on text platforms (`watchlist` = `watchlist quote`).
    default: str | None = None


@dataclass
class Registry:
    """All commands by path, plus group descriptions."""

    commands: dict[tuple[str, ...], CommandSpec] = field(default_factory=dict)
    groups: dict[str, GroupSpec] = field(default_factory=dict)

    def add(self, spec: CommandSpec) -> None:
        if spec.path in self.commands:
            raise ValueError(f"command {spec.name!r} registered twice")
        if len(spec.path) > 1 and spec.path[0] not in self.groups:
            raise ValueError(f"command {spec.name!r} needs group {spec.path[0]!r} defined first")
        if len(spec.path) == 1 and spec.path[0] in self.groups:
            raise ValueError(f"{spec.name!r} is already a group")
        self.commands[spec.path] = spec

    def add_group(self, group: GroupSpec) -> None:
        if (group.name,) in self.commands:
            raise ValueError(f"{group.name!r} is already a command")
        self.groups.setdefault(group.name, group)

    def add_module(self, module: types.ModuleType) -> None:
        """Register every group and command a feature module defines, in source order."""
        members = list(vars(module).values())
        for obj in members:
            if isinstance(obj, GroupSpec):
                self.add_group(obj)
        for obj in members:
            spec = getattr(obj, SPEC_ATTR, None)
            if isinstance(spec, CommandSpec):
                self.add(spec)

    def get(self, path: Sequence[str]) -> CommandSpec | None:
        return self.commands.get(tuple(path))

    def top_level_names(self) -> list[str]:
        names = {p[0] for p in self.commands}
        return sorted(names)

    def subcommands(self, group: str) -> list[CommandSpec]:
        return [s for p, s in self.commands.items() if len(p) > 1 and p[0] == group]

    def visible(self) -> Iterable[CommandSpec]:
        return (s for s in self.commands.values() if not s.hidden)


def group(name: str, help: str, *, default: str | None = None) -> GroupSpec:
    """Declare a command group in a feature module: `orbital = group("orbital", "...")`."""
    return GroupSpec(name=name, help=help, default=default)


def command(
    name: str,
    *,
    examples: Sequence[str] = (),
    manage_channel: bool = False,
    deadline: float | None = None,
    hidden: bool = False,
    computes: Computes[Any] | None = None,
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Mark an async function as a command; `name` may hold a subcommand ("orbital radiator")."""

    def decorate(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        setattr(
            func,
            SPEC_ATTR,
            build_spec(
                func,
                tuple(name.split()),
                examples=tuple(examples),
                manage_channel=manage_channel,
                deadline=deadline,
                hidden=hidden,
                computes=computes,
            ),
        )
        return func

    return decorate


def build_spec(
    func: Callable[..., Awaitable[Any]],
    path: tuple[str, ...],
    **options: Any,
) -> CommandSpec:
    if not inspect.iscoroutinefunction(func):
        raise TypeError(f"command {' '.join(path)!r} must be an async function")
    doc = inspect.getdoc(func) or ""
    if not doc:
        raise TypeError(f"command {' '.join(path)!r} needs a docstring (its first line is help)")
    first, _, rest = doc.partition("\n")
    hints = typing.get_type_hints(func, include_extras=True)
    signature = inspect.signature(func)
    params = [
        _param_spec(p, hints.get(p.name, str)) for p in list(signature.parameters.values())[1:]
    ]
    computes = options.get("computes")
    if computes is not None:
        unknown = set(computes.keywords) - {p.name for p in params}
        if unknown:
            raise TypeError(f"command {' '.join(path)!r}: computes from unknown {sorted(unknown)}")
    return CommandSpec(
        path=path,
        help=first.strip(),
        description=rest.strip(),
        params=tuple(params),
        func=func,
        **options,
    )


def _param_spec(parameter: inspect.Parameter, hint: Any) -> ParamSpec:
    meta = Param()
    if get_origin(hint) is Annotated:
        base, *extras = get_args(hint)
        meta = next((e for e in extras if isinstance(e, Param)), meta)
        hint = base
    has_default = parameter.default is not inspect.Parameter.empty
    optional = False
    if _is_union(hint):
        args = [a for a in get_args(hint) if a is not type(None)]
        optional = len(args) < len(get_args(hint))
        if len(args) != 1:
            raise TypeError(f"parameter {parameter.name!r}: unions other than X | None")
        hint = args[0]
    many = False
    if get_origin(hint) in (list, Sequence, tuple):
        many = True
        hint = get_args(hint)[0]
    choices: tuple[str, ...] = ()
    choice_values: tuple[Any, ...] = ()
    if get_origin(hint) is Literal:
        choice_values = get_args(hint)
        choices = tuple(str(v) for v in choice_values)
        kind = ParamKind.CHOICE
    elif isinstance(hint, type) and issubclass(hint, enum.Enum):
        choice_values = tuple(hint)
        choices = tuple(str(m.value) for m in hint)
        kind = ParamKind.CHOICE
    elif hint is bool:
        kind = ParamKind.BOOLEAN
    elif hint is int:
        kind = ParamKind.INTEGER
    elif hint is float:
        kind = ParamKind.NUMBER
    else:
        kind = ParamKind.STRING  # str, or any type with a Param(parse=...)
    if kind is ParamKind.STRING and hint is not str and meta.parse is None:
        raise TypeError(f"parameter {parameter.name!r}: type {hint!r} needs Param(parse=...)")
    default = parameter.default if has_default else ([] if many else None)
    return ParamSpec(
        name=parameter.name,
        kind=kind,
        help=meta.help,
        required=not has_default and not optional,
        default=default,
        positional=parameter.kind
        in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD),
        many=many,
        choices=choices,
        choice_values=choice_values,
        min=meta.min,
        max=meta.max,
        min_items=meta.min_items or (1 if many and not has_default else 0),
        max_items=meta.max_items,
        max_length=meta.max_length,
        complete=meta.complete,
        parse=meta.parse,
        metavar=meta.metavar,
    )


def _is_union(hint: Any) -> bool:
    return get_origin(hint) in (Union, types.UnionType)
