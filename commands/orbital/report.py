"""Turning a calculator run into an answer: inputs with sources, formula, result, data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.errors import UsageError
from bot.registry import Computes
from bot.response import Card, Field, Response
from commands._shared import units as u
from commands._shared.units import Measure
from commands.orbital.calculators import InputError

FIELD_LIMIT = 1024
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Result:
    """One output line: label, text to show, and the number for Response.data."""

    key: str
    label: str
    value: float | int | None
    text: str


@dataclass(frozen=True, slots=True)
class Report:
    calculator: str
    title: str
    inputs: Mapping[str, Measure]
    results: Sequence[Result]
    formula: Sequence[str]
    assumptions: Sequence[str] = ()  # fixed assumptions that are not parameters
    notes: Sequence[str] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


def run(func: Callable[..., T], **kwargs: Any) -> T:
    """Call a calculator; an InputError becomes a usage message naming the parameter."""
    try:
        return func(**kwargs)
    except InputError as exc:
        raise UsageError(f"{exc.param}: {exc.message}") from None


def plain(value: object) -> object:
    """A parameter value as a calculator takes it: a Measure in SI units, anything else as is."""
    return value.si if isinstance(value, Measure) else value


def compute(computes: Computes[T], **params: object) -> T:
    """Run a command's calculator on its parameters, through the keywords it declares."""
    return run(computes.func, **computes.arguments({k: plain(v) for k, v in params.items()}))


def result(
    key: str,
    label: str,
    value: float | int | None,
    kind: u.Kind | None = None,
    suffix: str = "",
) -> Result:
    """A result line; `kind` picks the unit formatting, `suffix` is appended (e.g. "ms")."""
    if value is None:
        return Result(key, label, None, "n/a")
    if kind is None:
        text = f"{value:,}" if isinstance(value, int) else u.format_number(value)
    else:
        text = u.format_value(float(value), kind)
    return Result(key, label, value, f"{text} {suffix}".strip())


def input_lines(inputs: Mapping[str, Measure]) -> list[str]:
    lines = []
    for name, value in inputs.items():
        where = f"default: {value.source}" if value.source else "you gave"
        lines.append(f"{name} = {value.text} ({where})")
    return lines


def to_response(report: Report) -> Response:
    """The Response for a report: text, one card within platform limits, and data."""
    inputs = input_lines(report.inputs)
    assumptions = [*inputs, *report.assumptions]
    text_lines = [report.title, "Result:"]
    text_lines += [f"  {r.label}: {r.text}" for r in report.results]
    text_lines.append("Inputs and assumptions:")
    text_lines += [f"  {line}" for line in assumptions]
    text_lines.append("Formula:")
    text_lines += [f"  {line}" for line in report.formula]
    if report.notes:
        text_lines.append("Notes:")
        text_lines += [f"  {line}" for line in report.notes]
    fields = [Field(r.label[:256], r.text, inline=True) for r in report.results[:12]]
    fields += chunk_fields("Inputs and assumptions", assumptions)
    fields += chunk_fields("Formula", report.formula)
    fields += chunk_fields("Notes", report.notes)
    card = Card(
        title=report.title[:256],
        fields=tuple(fields[:25]),
        footer="Defaults: sourced constants (orbital assumptions); override any with name=value",
    )
    data: dict[str, Any] = {
        "calculator": report.calculator,
        "inputs": {
            name: {"value": m.si, "kind": m.kind, "text": m.text, "source": m.source or "given"}
            for name, m in report.inputs.items()
        },
        "results": {r.key: r.value for r in report.results},
        **report.extra,
    }
    return Response(text="\n".join(text_lines), cards=(card,), data=data)


def chunk_fields(name: str, lines: Iterable[str]) -> list[Field]:
    """Lines packed into as few fields as fit the 1,024-character limit."""
    fields: list[Field] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = line if len(line) <= FIELD_LIMIT else line[: FIELD_LIMIT - 1] + "…"
        if current and size + len(line) + 1 > FIELD_LIMIT:
            fields.append(
                Field(name if not fields else f"{name} (cont.)", "\n".join(current), False)
            )
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        fields.append(Field(name if not fields else f"{name} (cont.)", "\n".join(current), False))
    return fields
