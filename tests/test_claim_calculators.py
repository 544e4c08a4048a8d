"""One declaration per calculator: the claims' table is read off the `orbital` commands."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any, cast

import pytest
from pydantic import ValidationError

from bot.context import Context
from bot.registry import SPEC_ATTR, CommandSpec, Computes, Registry, command
from bot.response import Response
from commands import build_registry, orbital
from commands._shared import units as u
from commands.orbital import assumptions as d
from commands.orbital import calc_commands
from commands.orbital.calc_commands import Fraction, Temp
from commands.orbital.claims import ENERGY_COST, Check, calculators, checkable, run_check


def calculator_commands() -> list[CommandSpec]:
    return [s for s in build_registry().subcommands("orbital") if s.computes is not None]


def test_every_calculator_command_is_a_claim_calculator_with_its_inputs_kinds_and_defaults() -> (
    None
):
    table = calculators()
    specs = calculator_commands()
    names = {s.path[-1] for s in specs}
    assert names == {"radiator", "solar", "orbit", "launch", "learning", "link", "datacenter"}
    assert set(table) == names | {"energy_cost"}  # the one calculator without a command
    for spec in specs:
        entry = table[spec.path[-1]]
        assert spec.computes is not None
        assert entry.func is spec.computes.func
        for param in spec.params:
            keyword = spec.computes.keywords.get(param.name)
            assert keyword is not None or param.name not in entry.inputs, param.name
            if keyword is None:
                continue
            if isinstance(param.parse, u.UnitParser):
                assert entry.inputs[param.name] == (keyword, param.parse.kind), param.name
            if not param.required:
                default = (
                    param.default.si if isinstance(param.default, u.Measure) else param.default
                )
                assert entry.defaults[keyword] == default, param.name
            else:
                assert param.name in entry.required
        # Every unit parameter the command sends to its calculator is a claim input.
        units = {p.name for p in spec.params if isinstance(p.parse, u.UnitParser)}
        assert set(entry.inputs) == units & set(spec.computes.keywords)


def test_outputs_are_the_result_fields_that_carry_a_kind() -> None:
    table = calculators()
    assert table["orbit"].outputs["delay_down_s"] is u.TIME
    assert table["radiator"].outputs["net_flux"] is u.FLUX
    assert table["learning"].outputs["additional_mass_kg"] is u.MASS
    assert "near_field" not in table["link"].outputs  # a flag, not a figure
    assert "altitude_m" not in table["orbit"].outputs  # an input echoed back
    assert ENERGY_COST.outputs == {"energy_kwh": u.RATIO, "cost_per_kwh": u.PRICE_PER_ENERGY}


@dataclass(frozen=True)
class Toy:
    net: Annotated[float, u.FLUX]
    echoed: float


def toy(*, temperature_k: float, emissivity: float = 1.0) -> Toy:
    return Toy(net=emissivity * temperature_k, echoed=temperature_k)


def toy_spec(with_emissivity: bool) -> CommandSpec:
    keywords = {"temp": "temperature_k"} | ({"emissivity": "emissivity"} if with_emissivity else {})

    if with_emissivity:

        async def grown(
            ctx: Context, *, temp: Temp, emissivity: Fraction = d.EMISSIVITY
        ) -> Response:
            """Toy."""
            return Response(text="")

        func: Any = grown
    else:

        async def small(ctx: Context, *, temp: Temp) -> Response:
            """Toy."""
            return Response(text="")

        func = small
    command("orbital toy", computes=Computes(toy, keywords))(func)
    return cast(CommandSpec, getattr(func, SPEC_ATTR))


def test_adding_a_parameter_to_a_command_makes_it_a_claim_input() -> None:
    before = checkable(toy_spec(with_emissivity=False))
    after = checkable(toy_spec(with_emissivity=True))
    assert before is not None and after is not None
    assert set(before.inputs) == {"temp"} and before.required == {"temp"}
    assert after.inputs["emissivity"] == ("emissivity", u.FRACTION)
    assert after.defaults["emissivity"] == d.EMISSIVITY.si
    assert after.outputs == {"net": u.FLUX}
    result = after.func(**after.defaults, temperature_k=u.parse("20C", u.TEMPERATURE))
    assert result.net == pytest.approx(0.92 * 293.15)


def test_a_command_cannot_compute_from_a_parameter_it_does_not_have() -> None:
    async def bad(ctx: Context, *, temp: Temp) -> Response:
        """Toy."""
        return Response(text="")

    with pytest.raises(TypeError, match="unknown"):
        command("orbital bad", computes=Computes(toy, {"tmp": "temperature_k"}))(bad)
    with pytest.raises(TypeError, match="missing"):
        Computes(toy, {"temp": "temperature_k", "emissivity": "emissivity"}).arguments({"temp": 1})


def check(**fields: Any) -> Check:
    return Check.model_validate({"says": "a check", "stated": "1", **fields})


def test_claims_parse_by_kind_without_the_commands_limits() -> None:
    flux = cast(CommandSpec, getattr(calc_commands.radiator, SPEC_ATTR)).param("solar_flux")
    assert flux is not None and flux.parse is not None
    with pytest.raises(ValueError, match="more than 0"):
        flux.parse("0W/m2")  # /orbital radiator refuses it
    c = check(
        calculator="radiator",
        inputs={"solar_flux": "0W/m2", "view_factor": "0"},
        output="net_flux",
        stated="770.5W/m2",  # two faces at ε 0.92, nothing absorbed
    )
    assert run_check(c).ok


def test_a_check_must_give_what_the_command_requires_and_name_a_known_output() -> None:
    with pytest.raises(ValidationError, match="launch needs mass"):
        check(calculator="launch", inputs={"price": "30$/kg"}, output="cost", stated="$5M")
    with pytest.raises(ValidationError, match="output: orbit gives period_s"):
        check(calculator="orbit", inputs={}, output="altitude_m", stated="1s")
    with pytest.raises(ValidationError, match=r"inputs.sides: radiator takes temp"):
        check(calculator="radiator", inputs={"sides": "1"}, output="net_flux", stated="1W/m2")


def test_a_check_computes_what_the_command_answers() -> None:
    answer = asyncio.run(calc_commands.orbit(cast(Context, None)))
    assert answer.data is not None
    c = check(calculator="orbit", inputs={}, output="delay_down_s", stated="1.8ms")
    assert run_check(c).computed * 1000 == pytest.approx(answer.data["results"]["delay_down_ms"])
    answer = asyncio.run(calc_commands.launch(cast(Context, None), mass=u.measure("100t", u.MASS)))
    c = check(calculator="launch", inputs={"mass": "100t"}, output="launches", stated="6")
    assert answer.data is not None
    assert run_check(c).computed == answer.data["results"]["launches"]


def test_the_table_comes_from_the_registry_of_the_orbital_package() -> None:
    registry = Registry()
    registry.add_module(orbital)
    assert {s.path[-1] for s in registry.subcommands("orbital") if s.computes} == {
        s.path[-1] for s in calculator_commands()
    }
