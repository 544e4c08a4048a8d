"""Orbital data-center claims: schema, loading, and self-consistency checks by the calculators.

A claim may list `checks`: a calculator run on the claim's own inputs and the figure the claim
states for the output. When the calculator's answer is further from the stated figure than
the tolerance, the claim is flagged "contradicted by its own numbers", whatever status the
file gives it (a user file cannot hide an arithmetic error).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from bot.context import Context, DataKey
from bot.registry import CommandSpec, Registry
from commands._shared import units as u
from commands._shared.dates import Precision, date_text
from commands._shared.yaml_entries import (
    DataProblem,
    EntryProblem,
    load_entries,
    load_merged,
    normalise,
)
from commands.orbital import calculators as calc
from commands.orbital.report import plain

log = logging.getLogger(__name__)

BUNDLED_CLAIMS = "orbital_claims.yaml"
USER_GLOB = "orbital_claims*.yaml"


class ClaimStatus(StrEnum):
    CLAIMED = "claimed"
    CONTESTED = "contested"
    DEMONSTRATED = "demonstrated"
    CONTRADICTED = "contradicted"  # by its own numbers

    @property
    def label(self) -> str:
        return "contradicted by its own numbers" if self is ClaimStatus.CONTRADICTED else self.value


VERIFICATION = {
    "V": "verified in a primary or near-primary text",
    "S": "secondary source only",
    "U": "unverified or conflicting",
    "D": "derived: arithmetic recomputed from the stated inputs",
}


@dataclass(frozen=True, slots=True)
class Checkable:
    """A calculator a claim check may run: its inputs (name -> keyword, kind) and outputs."""

    func: Callable[..., Any]
    inputs: Mapping[str, tuple[str, u.Kind]]
    defaults: Mapping[str, Any]  # keyword -> value when the claim does not give it
    outputs: Mapping[str, u.Kind]
    required: frozenset[str] = frozenset()  # inputs every check must give


def outputs_of(func: Callable[..., Any]) -> dict[str, u.Kind]:
    """The fields of `func`'s result dataclass that carry a units.Kind (calculators.py)."""
    result_type = typing.get_type_hints(func)["return"]
    hints = typing.get_type_hints(result_type, include_extras=True)
    outputs = {}
    for item in dataclasses.fields(result_type):
        hint = hints[item.name]
        if typing.get_origin(hint) is typing.Annotated:
            kind = next((m for m in hint.__metadata__ if isinstance(m, u.Kind)), None)
            if kind is not None:
                outputs[item.name] = kind
    return outputs


def checkable(spec: CommandSpec) -> Checkable | None:
    """What a claim may run through a calculator command, read off its one declaration.

    Inputs are the command's unit parameters, by name and kind (a claim's text is parsed by
    kind without the command's range limits: a claim may state `solar_flux: 0W/m2`, which
    `/orbital radiator` refuses); defaults are the command's, so a check computes what the
    command would answer; outputs are the result fields that carry a kind.
    """
    computes = spec.computes
    if computes is None:
        return None
    inputs: dict[str, tuple[str, u.Kind]] = {}
    defaults: dict[str, Any] = dict(computes.fixed)
    required = set()
    for param in spec.params:
        keyword = computes.keywords.get(param.name)
        if keyword is None:
            continue
        if isinstance(param.parse, u.UnitParser):
            inputs[param.name] = (keyword, param.parse.kind)
            if param.required:
                required.add(param.name)
        if not param.required:
            defaults[keyword] = plain(param.default)
    return Checkable(
        computes.func, inputs, defaults, outputs_of(computes.func), frozenset(required)
    )


# The one calculator without a command: a claim's "$/kWh over a lifetime" is a one-off cost
# spread over the energy a power delivers, which /orbital datacenter computes inside a whole
# sizing but no command takes on its own (a `cost=` would only repeat a claim's arithmetic).
ENERGY_COST = Checkable(
    calc.energy_cost,
    {"cost": ("cost", u.MONEY), "power": ("power_w", u.POWER), "lifetime": ("years", u.DURATION)},
    {},
    outputs_of(calc.energy_cost),
    frozenset({"cost", "power", "lifetime"}),
)


def calculator_table(commands: Iterable[CommandSpec]) -> dict[str, Checkable]:
    """Claim calculators by name: every command that `computes`, by its last word."""
    table = {spec.path[-1]: c for spec in commands if (c := checkable(spec)) is not None}
    return table | {"energy_cost": ENERGY_COST}


@cache
def calculators() -> dict[str, Checkable]:
    """The claims' calculators, derived from the `orbital` commands once they are all loaded."""
    from commands import orbital  # the package imports this module: read it when complete

    registry = Registry()
    registry.add_module(orbital)
    return calculator_table(registry.subcommands("orbital"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(_Strict):
    """Where a claim was made or reported: a citation, a URL when one is known, a date."""

    cite: str = Field(min_length=3, max_length=300)
    url: HttpUrl | None = None
    date: dt.date | None = None


class Check(_Strict):
    """Run a calculator on the claim's own inputs and compare with the figure it states."""

    calculator: str
    inputs: dict[str, str]
    output: str
    stated: str  # the claim's figure for the output, with its unit ("5GW", "$30/kg")
    tolerance: float = Field(0.05, gt=0, lt=1)  # relative
    says: str = Field(min_length=3, max_length=200)  # what the check tests, in words

    @model_validator(mode="after")
    def _known(self) -> Check:
        table = calculators()
        spec = table.get(self.calculator)
        if spec is None:
            raise ValueError(f"calculator: unknown {self.calculator!r} ({', '.join(table)})")
        for name, text in self.inputs.items():
            if name not in spec.inputs:
                raise ValueError(f"inputs.{name}: {self.calculator} takes {', '.join(spec.inputs)}")
            u.parse(text, spec.inputs[name][1])  # ValueError names the unit problem
        missing = sorted(spec.required - set(self.inputs))
        if missing:
            raise ValueError(f"inputs: {self.calculator} needs {', '.join(missing)}")
        if self.output not in spec.outputs:
            raise ValueError(f"output: {self.calculator} gives {', '.join(spec.outputs)}")
        u.parse(self.stated, spec.outputs[self.output])
        return self


class Claim(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,60}$")
    statement: str = Field(min_length=10, max_length=600)
    who: str = Field(min_length=2, max_length=200)
    date: dt.date
    date_precision: Precision = "day"
    date_text: str | None = Field(None, max_length=120)
    topics: tuple[str, ...] = ()
    sources: tuple[Source, ...] = Field(min_length=1)
    figures: tuple[str, ...] = ()
    counterpoints: tuple[str, ...] = ()
    status: ClaimStatus
    verification: Literal["V", "S", "U", "D"]
    verification_note: str | None = Field(None, max_length=200)
    checks: tuple[Check, ...] = ()
    research_ref: str | None = None  # row of the research table it came from, e.g. "C4"
    as_of: dt.date | None = None  # when the claims file was last checked (the file's as_of)

    @property
    def when(self) -> str:
        if self.date_text:
            return self.date_text
        return date_text(self.date, self.date_precision)

    @property
    def unsourced(self) -> bool:
        """True when no source of the claim has a web address the research recorded."""
        return not any(s.url for s in self.sources)


@dataclass(frozen=True, slots=True)
class CheckResult:
    says: str
    calculator: str
    inputs: Mapping[str, str]
    computed: float
    stated: float
    kind: u.Kind
    tolerance: float
    ok: bool

    @property
    def off_by(self) -> float:
        return (self.computed - self.stated) / self.stated if self.stated else float("inf")

    def text(self) -> str:
        args = " ".join(f"{k}={v}" for k, v in self.inputs.items())
        verdict = (
            "adds up"
            if self.ok
            else f"does NOT add up ({self.off_by:+.0%}, tolerance ±{self.tolerance:.0%})"
        )
        return (
            f"{self.says}: stated {u.format_value(self.stated, self.kind)}, "
            f"/orbital {self.calculator} {args} gives "
            f"{u.format_value(self.computed, self.kind)}: {verdict}"
        )


def run_check(check: Check) -> CheckResult:
    """Run one check's calculator on its inputs (defaults from research/orbital.md)."""
    spec = calculators()[check.calculator]
    kwargs: dict[str, Any] = dict(spec.defaults)
    for name, text in check.inputs.items():
        keyword, kind = spec.inputs[name]
        kwargs[keyword] = u.parse(text, kind)
    result = spec.func(**kwargs)
    kind = spec.outputs[check.output]
    value = getattr(result, check.output)
    if value is None:
        raise calc.InputError(
            check.output, f"{check.calculator} gives none from these inputs; add the one it needs"
        )
    computed = float(value)
    stated = u.parse(check.stated, kind)
    ok = abs(computed - stated) <= check.tolerance * abs(stated)
    return CheckResult(
        says=check.says,
        calculator=check.calculator,
        inputs=dict(check.inputs),
        computed=computed,
        stated=stated,
        kind=kind,
        tolerance=check.tolerance,
        ok=ok,
    )


@dataclass(frozen=True, slots=True)
class CheckedClaim:
    """A claim with its checks run, and the status that follows from them."""

    claim: Claim
    results: tuple[CheckResult, ...]

    @property
    def own_numbers_fail(self) -> bool:
        return any(not r.ok for r in self.results)

    @property
    def status(self) -> ClaimStatus:
        return ClaimStatus.CONTRADICTED if self.own_numbers_fail else self.claim.status


class ClaimFile(_Strict):
    as_of: dt.date
    claims: list[dict[str, Any]]


def _checked(content: ClaimFile, item: dict[str, Any]) -> CheckedClaim:
    claim = Claim.model_validate({"as_of": content.as_of, **item})
    try:
        return CheckedClaim(claim, tuple(run_check(c) for c in claim.checks))
    except calc.InputError as exc:
        raise EntryProblem(f"checks.{exc.param}", exc.message) from None


def load_claim_file(path: Path) -> list[CheckedClaim]:
    """Every claim in one file with its checks run, or a DataFileError naming each problem."""
    return load_entries(
        path,
        ClaimFile,
        "claim",
        entries=lambda content: content.claims,
        build=_checked,
        key=lambda checked: checked.claim.id,
    )


@dataclass(frozen=True)
class ClaimBook:
    claims: tuple[CheckedClaim, ...]
    problems: tuple[DataProblem, ...] = ()
    _by_id: Mapping[str, CheckedClaim] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, claims: list[CheckedClaim], problems: list[DataProblem]) -> ClaimBook:
        ordered = tuple(sorted(claims, key=lambda c: (c.claim.date, c.claim.id), reverse=True))
        return cls(ordered, tuple(problems), {c.claim.id: c for c in ordered})

    def get(self, claim_id: str) -> CheckedClaim | None:
        return self._by_id.get(claim_id.strip().lower())

    def search(self, text: str | None) -> list[CheckedClaim]:
        """Claims whose maker, topics, status or statement mention every word of `text`."""
        if not text:
            return list(self.claims)
        words = normalise(text).split()
        out = []
        for item in self.claims:
            c = item.claim
            haystack = normalise(
                " ".join(
                    [c.id, c.who, c.statement, item.status.value, *c.topics, c.research_ref or ""]
                )
            )
            if all(word in haystack.split() or word in haystack for word in words):
                out.append(item)
        return out


def load_claim_book(bundled: Path, user_dir: Path | None) -> ClaimBook:
    """Bundled claims with every valid user file merged over them (same id replaces)."""
    claims, problems, _ = load_merged(
        bundled, user_dir, USER_GLOB, load_claim_file, key=lambda checked: checked.claim.id
    )
    return ClaimBook.of(claims, problems)


CLAIM_BOOK: DataKey[ClaimBook] = DataKey("the orbital claims")


def claim_book(ctx: Context) -> ClaimBook:
    """The claims the app loaded when it was built (commands.knowledge.install)."""
    return ctx.services.data.get(CLAIM_BOOK)
