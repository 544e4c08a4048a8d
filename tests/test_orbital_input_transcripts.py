"""Orbital calculators given awkward input: totals for prices, out-of-range values, zeros.

Each case is a chat transcript through the console; the comment says what it used to answer.
"""

from __future__ import annotations

import pytest

from tests.conftest import Chat


@pytest.mark.parametrize(
    ("command", "message"),
    [
        # Was "Launch: $500B for 100 t at $5M/kg".
        (
            "orbital launch mass=100t price=$5M",
            "price: give a price per kg, like 200$/kg; '$5M' is a total amount",
        ),
        # Was "Orbital data center, 40 MW: $114,157/kWh ...".
        (
            "orbital datacenter build=$5M",
            "build: give a price per W, like 22$/W; '$5M' is a total amount",
        ),
        (
            "orbital datacenter electricity=5k",
            "electricity: give a price per kWh, like 0.05$/kWh; '5k' is a total amount",
        ),
        (
            "orbital learning target=$2.5B",
            "target: give a price per kg, like 200$/kg; '$2.5B' is a total amount",
        ),
    ],
)
async def test_a_total_where_a_unit_price_is_wanted_is_refused(
    chat: Chat, command: str, message: str
) -> None:
    answer = await chat(command)
    assert answer.kind == "usage", answer.text
    assert answer.data["message"].startswith(message)
    assert "Usage: orbital" in answer.text


@pytest.mark.parametrize(
    ("command", "key", "value"),
    [
        # A bare number is $/kg (help says so); a unit price keeps working in every spelling.
        ("orbital launch mass=100t price=50", "cost", 5e6),
        ("orbital launch mass=100t price=$50/kg", "cost", 5e6),
        ("orbital launch mass=100t price=50$/kg", "cost", 5e6),
        ("orbital launch mass=100t price=$5k/t", "cost", 5e5),
    ],
)
async def test_unit_prices_still_work(chat: Chat, command: str, key: str, value: float) -> None:
    answer = await chat(command)
    assert answer.kind == "ok", answer.text
    assert answer.data["results"][key] == pytest.approx(value)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        # Was "rate: must be at most 99%" although 20 was read as 2,000%.
        (
            "orbital learning rate=20",
            "rate: must be at most 0.99; a bare number is a fraction, so 20 means 2,000% "
            "(write 20% for 20 percent)",
        ),
        # Was "efficiency: must be at most 1" for a value typed in percent.
        ("orbital solar power=1MW efficiency=150%", "efficiency: must be at most 100%; got 150%"),
        ("orbital learning rate=100%", "rate: must be at most 99%; got 100%"),
        ("orbital learning rate=0%", "rate: must be more than 0%; got 0%"),
        (
            "orbital radiator emissivity=1.5",
            "emissivity: must be at most 1; a bare number is a fraction, so 1.5 means 150% "
            "(write 1.5% for 1.5 percent)",
        ),
        # Was "temp: must be more than 0".
        ("orbital radiator temp=-300C", "temp: -300C is below absolute zero (-273.15 °C)"),
        ("orbital radiator temp=-500F", "temp: -500F is below absolute zero (-459.67 °F)"),
        ("orbital radiator temp=0K", "temp: 0K is absolute zero; give a temperature above it"),
        (
            "orbital radiator earth_temp=-280",
            "earth_temp: -280 is below absolute zero (-273.15 °C)",
        ),
        ("orbital solar power=-40MW", "power: must be more than 0; got -40MW"),
        ("orbital orbit altitude=50km", "altitude: must be at least 100 km; got 50km"),
    ],
)
async def test_range_errors_speak_the_unit_that_was_typed(
    chat: Chat, command: str, message: str
) -> None:
    answer = await chat(command)
    assert answer.kind == "usage", answer.text
    assert answer.data["message"].startswith(message), answer.data["message"]


async def test_percentages_and_fractions_in_range_are_accepted(chat: Chat) -> None:
    as_percent = await chat("orbital learning rate=20%")
    as_fraction = await chat("orbital learning rate=0.2")
    assert as_percent.kind == as_fraction.kind == "ok"
    assert as_percent.data["results"] == as_fraction.data["results"]


async def test_free_ground_power_gives_no_ratio_instead_of_infinity(chat: Chat) -> None:
    # Was "Space ÷ ground: inf".
    answer = await chat("orbital datacenter electricity=0")
    assert answer.kind == "ok", answer.text
    assert "inf" not in answer.text
    assert answer.data["results"]["ratio"] is None
    assert "Space ÷ ground: n/a" in answer.text
    assert "ground power costs nothing" in answer.text
    launch = await chat("orbital launch mass=575kg power=28kW electricity=0")
    assert launch.kind == "ok" and "inf" not in launch.text
    assert launch.data["results"]["ratio"] is None


async def test_radiator_faces_are_counted_in_words(chat: Chat) -> None:
    one = await chat("orbital radiator sides=1")
    assert "  Emitted (1 face): " in one.text  # was "Emitted (1 faces)"
    two = await chat("orbital radiator")
    assert "Emitted (2 faces)" in two.text


@pytest.mark.parametrize(
    "command",
    [
        "orbital solar power=@everyone",
        "orbital solar power=40@here",
        "orbital launch mass=100t price=@channel",
        "orbital launch mass=100t price=5$/@here",
        "orbital solar power=<@123>",
    ],
)
async def test_unit_errors_never_echo_a_mention(chat: Chat, command: str) -> None:
    answer = await chat(command)
    assert answer.kind == "usage", answer.text
    message = answer.data["message"]
    for raw in ("@everyone", "@here", "@channel", "<@"):
        assert raw not in message, message
    assert "\\u200b" not in message  # a repr() of the neutralised text would show this
