"""Registry -> Discord application-command JSON, and interaction data back to registry terms."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest

from bot.adapters.discord_schema import (
    command_payloads,
    read_call,
    schema_hash,
    short_description,
)
from bot.context import Context
from bot.registry import Param, Registry, command, group
from bot.response import Response
from commands import build_registry

Month = Literal[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    "q1", "q2", "q3", "q4", "h1", "h2", "ytd", "1y", "2y", "3y", "5y", "10y", "max", "all",
]  # fmt: skip

orbital = group("orbital", "Check orbital data-center claims")


@command("orbital radiator")
async def radiator(
    ctx: Context,
    power: Annotated[float, Param("heat to reject, MW", min=0.001)],
    Period: Annotated[Month, Param("x" * 150)] = "ytd",
    months: Annotated[list[Literal["jan", "feb"]] | None, Param("months")] = None,
) -> Response:
    """Radiator area needed to reject a heat load in orbit."""
    return Response(text="ok")


@command("orbital power budget")
async def budget(ctx: Context) -> Response:
    """Power budget of a constellation."""
    return Response(text="ok")


@pytest.fixture
def registry() -> Registry:
    built = Registry()
    built.add_group(orbital)
    built.add(radiator.__orbitdesk_spec__)  # type: ignore[attr-defined]
    built.add(budget.__orbitdesk_spec__)  # type: ignore[attr-defined]
    return built


def test_names_are_lowercase_and_descriptions_fit(registry: Registry) -> None:
    [payload] = command_payloads(registry)
    radiator_cmd, power_group = payload["options"]
    names = [o["name"] for o in radiator_cmd["options"]]
    assert names == ["power", "period", "months"]  # required first, lowercased
    period = radiator_cmd["options"][1]
    assert len(period["description"]) == 100 and period["description"].endswith("…")
    assert short_description("", "fallback") == "fallback"
    # Three-word paths nest in a subcommand group.
    assert (power_group["type"], power_group["name"]) == (2, "power")
    assert power_group["options"][0]["name"] == "budget"


def test_long_or_multi_value_choice_lists_become_autocomplete(registry: Registry) -> None:
    [payload] = command_payloads(registry)
    power, period, months = payload["options"][0]["options"]
    assert power["type"] == 10 and power["min_value"] == 0.001 and "max_value" not in power
    assert period["autocomplete"] is True and "choices" not in period  # 26 > 25 choices
    assert months["autocomplete"] is True and months["type"] == 3  # a list is one text option


def test_interaction_data_reads_back_by_parameter_name(registry: Registry) -> None:
    data = {
        "name": "orbital",
        "options": [
            {
                "type": 1,
                "name": "radiator",
                "options": [
                    {"name": "power", "type": 10, "value": 40.0},
                    {"name": "period", "type": 3, "value": "q", "focused": True},
                ],
            }
        ],
    }
    call = read_call(registry, data)
    assert call is not None
    assert call.spec.path == ("orbital", "radiator")
    assert call.options == {"power": 40.0, "Period": "q"}
    assert call.focused == "Period"
    nested = {
        "name": "orbital",
        "options": [{"type": 2, "name": "power", "options": [{"type": 1, "name": "budget"}]}],
    }
    assert read_call(registry, nested).spec.path == ("orbital", "power", "budget")  # type: ignore[union-attr]
    # Commands or options Discord still has from an older schema are not guessed at.
    assert read_call(registry, {"name": "gone"}) is None
    stale = {"name": "orbital", "options": [{"type": 1, "name": "radiator", "options": [
        {"name": "watts", "type": 4, "value": 1}]}]}  # fmt: skip
    assert read_call(registry, stale) is None


def test_schema_hash_changes_with_the_commands_and_the_application() -> None:
    payloads = command_payloads(build_registry())
    assert schema_hash(payloads, 1) == schema_hash(command_payloads(build_registry()), 1)
    assert schema_hash(payloads, 1) != schema_hash(payloads, 2)
    assert schema_hash(payloads, 1) != schema_hash(payloads[:1], 1)


def test_reading_commands_are_user_installable_and_channel_changers_are_not() -> None:
    by_name = {p["name"]: p for p in command_payloads(build_registry())}
    readers = ["quote", "chart", "news", "earnings", "profile", "movers", "options", "acquisitions"]
    for name in [*readers, "orbital", "help"]:
        assert by_name[name]["integration_types"] == [0, 1], name  # server and user installs
        assert by_name[name]["contexts"] == [0, 1, 2], name  # servers, bot DM, any DM
        assert by_name[name]["default_member_permissions"] is None, name
    for name in ("schedule", "alert"):
        changer = by_name[name]
        assert changer["integration_types"] == [0]  # only where the bot is installed
        assert changer["contexts"] == [0]
        assert changer["default_member_permissions"] == "16"
    # Personal state (a watchlist): any member, in the server and the bot's DM; no user install.
    assert by_name["watchlist"]["integration_types"] == [0]
    assert by_name["watchlist"]["contexts"] == [0, 1]
    assert by_name["watchlist"]["default_member_permissions"] is None
