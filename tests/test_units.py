"""Unit parsing and conversion for calculator parameters (commands/_shared/units.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands._shared import units as u


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("40MW", u.POWER, 40e6),
        ("40 MW", u.POWER, 40e6),
        ("28kW", u.POWER, 28e3),
        ("1e3W", u.POWER, 1e3),
        ("40000", u.POWER, 40e3),  # a bare number is in watts
        ("20C", u.TEMPERATURE, 293.15),
        ("20°C", u.TEMPERATURE, 293.15),
        ("-20C", u.TEMPERATURE, 253.15),
        ("293.15K", u.TEMPERATURE, 293.15),
        ("68F", u.TEMPERATURE, 293.15),
        ("20", u.TEMPERATURE, 293.15),  # a bare temperature is in °C
        ("550km", u.LENGTH, 550e3),
        ("1.55um", u.LENGTH, 1.55e-6),
        ("1.55µm", u.LENGTH, 1.55e-6),
        ("10cm", u.LENGTH, 0.1),
        ("100t", u.MASS, 100e3),
        ("575kg", u.MASS, 575.0),
        ("16km2", u.AREA, 16e6),
        ("105 m²", u.AREA, 105.0),
        ("105m^2", u.AREA, 105.0),
        ("5y", u.DURATION, 5.0),
        ("10yr", u.DURATION, 10.0),
        ("18mo", u.DURATION, 1.5),
        ("92%", u.FRACTION, 0.92),
        ("0.92", u.FRACTION, 0.92),
        ("105.1dB", u.DECIBEL, 105.1),
        ("30deg", u.ANGLE, 30.0),
        ("633W/m2", u.FLUX, 633.0),
        ("5kg/m2", u.AREAL_MASS, 5.0),
        ("150W/kg", u.SPECIFIC_POWER, 150.0),
        ("11.3kg/kW", u.MASS_PER_POWER, 11.3),
        ("200$/kg", u.PRICE_PER_MASS, 200.0),
        ("$3,600/kg", u.PRICE_PER_MASS, 3600.0),
        ("200$/t", u.PRICE_PER_MASS, 0.2),
        ("200", u.PRICE_PER_MASS, 200.0),
        ("0.05$/kWh", u.PRICE_PER_ENERGY, 0.05),
        ("9.77c/kWh", u.PRICE_PER_ENERGY, 0.0977),
        ("50$/MWh", u.PRICE_PER_ENERGY, 0.05),
        ("22$/W", u.PRICE_PER_POWER, 22.0),
        ("22000$/kW", u.PRICE_PER_POWER, 22.0),
        ("$5M", u.MONEY, 5e6),
        ("2.5B$", u.MONEY, 2.5e9),
        ("$1.25T", u.MONEY, 1.25e12),
        ("$10bn", u.MONEY, 10e9),
    ],
)
def test_parses_to_canonical_units(text: str, kind: u.Kind, expected: float) -> None:
    assert u.parse(text, kind) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("40bananas", u.POWER, "unknown unit 'bananas'"),
        ("40kg", u.POWER, "'kg' is not a unit of power"),
        ("20kg", u.TEMPERATURE, "not a unit of temperature"),
        ("abc", u.POWER, "not a number with a unit"),
        ("", u.POWER, "empty"),
        ("1e999", u.POWER, "finite"),
        ("10**10**10", u.POWER, "not a unit"),
        ("5m^999", u.AREA, "not a unit"),
        ("$5/kg", u.MONEY, "is a rate"),
        ("5$/m", u.PRICE_PER_MASS, "does not fit a price per mass"),
        ("3 apples", u.DECIBEL, "not decibels"),
    ],
)
def test_bad_text_gives_a_short_reason(text: str, kind: u.Kind, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        u.parse(text, kind)


def test_parser_checks_ranges_in_canonical_units() -> None:
    emissivity = u.parser(u.FRACTION, minimum=0, maximum=1)
    assert emissivity("92%").si == pytest.approx(0.92)
    with pytest.raises(ValueError, match="at most 1"):
        emissivity("1.5")
    power = u.parser(u.POWER, above=0)
    with pytest.raises(ValueError, match="more than 0"):
        power("-40MW")
    hot = u.parser(u.TEMPERATURE, above=0)
    # Below absolute zero in the scale typed: it used to say "must be more than 0".
    with pytest.raises(ValueError, match=r"^-300C is below absolute zero \(-273\.15 °C\)$"):
        hot("-300C")
    with pytest.raises(ValueError, match=r"^-10K is below absolute zero \(0 K\)$"):
        hot("-10K")


def test_values_are_shown_with_fitting_units() -> None:
    assert u.format_value(40e6, u.POWER) == "40 MW"
    assert u.format_value(293.15, u.TEMPERATURE) == "20 °C (293.15 K)"
    assert u.format_value(63_183.3, u.AREA) == "63,183 m²"
    assert u.format_value(16e6, u.AREA) == "16 km²"
    assert u.format_value(200.0, u.PRICE_PER_MASS) == "$200/kg"
    assert u.format_value(5e6, u.MONEY) == "$5M"
    assert u.format_value(0.92, u.FRACTION) == "92%"
    assert u.format_value(1.55e-6, u.LENGTH) == "1.55 µm"


def test_a_default_keeps_its_source() -> None:
    value = u.measure("20C", u.TEMPERATURE, "Starcloud wp p. 9")
    assert value.si == pytest.approx(293.15)
    assert str(value) == "20 °C (293.15 K)"
    assert value.source == "Starcloud wp p. 9"


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=50), kind=st.sampled_from(sorted(u.KINDS.values(), key=str)))
def test_parsing_never_raises_anything_but_value_error(text: str, kind: u.Kind) -> None:
    try:
        value = u.parse(text, kind)
    except ValueError as exc:
        assert str(exc)
    else:
        assert isinstance(value, float) and math.isfinite(value)


@settings(max_examples=200, deadline=None)
@given(
    number=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    unit=st.sampled_from(["W", "kW", "MW", "GW", "C", "K", "km", "t", "$/kg", "%", "dB", "m2"]),
    kind=st.sampled_from(sorted(u.KINDS.values(), key=str)),
)
def test_number_and_unit_pairs_never_raise_anything_but_value_error(
    number: float, unit: str, kind: u.Kind
) -> None:
    try:
        value = u.parse(f"{number}{unit}", kind)
    except ValueError as exc:
        assert str(exc)  # a reason the user can read
    else:
        assert math.isfinite(value)
