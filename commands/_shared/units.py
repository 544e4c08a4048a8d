"""Parsing and showing physical quantities typed in chat: `40MW`, `20C`, `550km`, `200$/kg`.

Each calculator parameter has a `Kind` (power, temperature, price per kg ...). Text is checked
against a small grammar *before* pint sees it, so chat input never reaches pint's expression
evaluator with exponents or operators it could choke on; anything that does not fit raises
`ValueError` with a short reason, which the command layer turns into a usage message naming
the parameter.

A bare number takes the kind's default unit (shown in each parameter's help), so `temp=20`
means 20 °C and `power=40000` means 40,000 W.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.text import safe_echo

if TYPE_CHECKING:
    import pint  # ~30 MB: loaded by registry(), on the first unit to convert, not at start


@dataclass(frozen=True, slots=True)
class Kind:
    """A physical quantity a parameter takes: its canonical unit and how it is written."""

    name: str
    canonical: str  # pint unit every value is converted to ("" = dimensionless)
    bare: str  # unit assumed for a bare number
    examples: str  # shown when the unit does not fit
    money: bool = False  # value or numerator is in US dollars


POWER = Kind("power", "W", "W", "W, kW, MW, GW")
TEMPERATURE = Kind("temperature", "K", "degC", "20C, 293.15K, 68F")
LENGTH = Kind("length", "m", "m", "m, km, cm, um")
MASS = Kind("mass", "kg", "kg", "kg, t")
AREA = Kind("area", "m^2", "m^2", "m2, km2")
DURATION = Kind("duration", "year", "year", "5y, 10yr, 18mo")
TIME = Kind("time", "s", "s", "1.8ms, 95min")
ANGLE = Kind("angle", "deg", "deg", "30deg, 0.5rad")
FRACTION = Kind("fraction", "", "", "0.92, 92%")
RATIO = Kind("ratio", "", "", "1.56")
DECIBEL = Kind("decibel", "dB", "dB", "105.1dB, 3dB")
FLUX = Kind("heat flux", "W/m^2", "W/m^2", "633W/m2")
IRRADIANCE = Kind("irradiance", "W/m^2", "W/m^2", "1361W/m2")
SPECIFIC_POWER = Kind("specific power", "W/kg", "W/kg", "150W/kg")
AREAL_MASS = Kind("areal mass", "kg/m^2", "kg/m^2", "5kg/m2")
MASS_PER_POWER = Kind("mass per power", "kg/kW", "kg/kW", "11.3kg/kW")
MONEY = Kind("money", "", "", "$5M, 2.5B$, 1e9", money=True)
PRICE_PER_MASS = Kind("price per mass", "1/kg", "1/kg", "200$/kg, $3600/kg", money=True)
PRICE_PER_ENERGY = Kind("price per energy", "1/kWh", "1/kWh", "0.05$/kWh, 9.77c/kWh", money=True)
PRICE_PER_POWER = Kind("price per power", "1/W", "1/W", "22$/W", money=True)

KINDS = {
    k.name: k
    for k in (
        POWER,
        TEMPERATURE,
        LENGTH,
        MASS,
        AREA,
        DURATION,
        TIME,
        ANGLE,
        FRACTION,
        RATIO,
        DECIBEL,
        FLUX,
        IRRADIANCE,
        SPECIFIC_POWER,
        AREAL_MASS,
        MASS_PER_POWER,
        MONEY,
        PRICE_PER_MASS,
        PRICE_PER_ENERGY,
        PRICE_PER_POWER,
    )
}

MAX_TEXT = 40
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?"
# A unit: words (letters, µ, °, %) with an optional small power, joined by / or *.
_WORD = r"[A-Za-zµμ°%Ω]+(?:\^[1-4])?"
_UNIT = re.compile(rf"^{_WORD}(?:[/*]{_WORD})*$")
_QUANTITY = re.compile(rf"^({_NUMBER})\s*(.*)$")
_SCALE = {"k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "mn": 1e6, "b": 1e9, "B": 1e9, "bn": 1e9}
_SCALE.update({"t": 1e12, "T": 1e12, "tn": 1e12})
# Spellings pint does not know, or knows as something else (C is coulomb, y is a yocto-prefix).
_ALIASES = {
    "C": "degC",
    "°C": "degC",
    "ºC": "degC",
    "F": "degF",
    "°F": "degF",
    "°": "deg",
    "y": "year",
    "yrs": "year",
    "mo": "month",
    "%": "percent",
}


@cache
def registry() -> pint.UnitRegistry:
    """The one pint registry OrbitDesk uses (built once; pint registries are expensive)."""
    import pint

    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


@dataclass(frozen=True, slots=True)
class Measure:
    """A parsed value: `si` in the kind's canonical unit, plus the text to show for it."""

    si: float
    kind: str
    text: str
    source: str = ""  # where a default comes from; empty when the user typed it

    def __str__(self) -> str:
        return self.text


def parse(text: str, kind: Kind) -> float:
    """The value of `text` in `kind.canonical` units; ValueError with a short reason."""
    cleaned = _normalise(text)
    if not cleaned:
        raise ValueError("empty; give a number with a unit, e.g. " + kind.examples.split(",")[0])
    if len(cleaned) > MAX_TEXT:
        raise ValueError(f"at most {MAX_TEXT} characters")
    try:
        value = _money(cleaned, kind) if kind.money else _physical(cleaned, kind)
    except ValueError:
        raise
    except Exception:  # pint has many error types; to the user they all mean "bad unit"
        raise ValueError(f"{_quoted(text)} is not a {kind.name} (use {kind.examples})") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


@dataclass(frozen=True, slots=True)
class UnitParser:
    """A `Param(parse=...)` for `kind` with range checks in canonical units.

    A value out of range is refused in the words and unit the user typed it in: `150%` is
    told "at most 100%", a bare `20` for a fraction is told it means 2,000%, and a
    temperature below 0 K is "below absolute zero" in °C, °F or K as typed.

    It carries its `kind`, so code reading a command's parameters (the orbital claims) can
    parse text for them by kind, with or without the limits.
    """

    kind: Kind
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None

    def __call__(self, text: str) -> Measure:
        value = parse(text, self.kind)
        if self.above is not None and value <= self.above:
            raise ValueError(_range_error(text, self.kind, "more than", self.above))
        if self.minimum is not None and value < self.minimum:
            raise ValueError(_range_error(text, self.kind, "at least", self.minimum))
        if self.maximum is not None and value > self.maximum:
            raise ValueError(_range_error(text, self.kind, "at most", self.maximum))
        return Measure(si=value, kind=self.kind.name, text=format_value(value, self.kind))


def parser(
    kind: Kind,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
) -> UnitParser:
    """A `Param(parse=...)` for `kind` with range checks in canonical units (`UnitParser`)."""
    return UnitParser(kind, minimum=minimum, maximum=maximum, above=above)


def _range_error(text: str, kind: Kind, relation: str, bound: float) -> str:
    """Why `text` is out of range, in the unit it was typed in (no trailing period)."""
    typed = _echo(_normalise(text))
    if kind is TEMPERATURE and bound == 0:
        if parse(text, kind) == 0:
            return f"{typed} is absolute zero; give a temperature above it"
        return f"{typed} is below absolute zero ({_absolute_zero(text)})"
    if kind is FRACTION:
        percent = text.strip().endswith("%")
        limit = f"{format_number(bound * 100)}%" if percent else format_number(bound)
        number = parse(text, kind)
        if not percent and relation == "at most" and 1 < number <= 100:
            return (
                f"must be {relation} {limit}; a bare number is a fraction, so {typed} means "
                f"{format_number(number * 100)}% (write {typed}% for {typed} percent)"
            )
        return f"must be {relation} {limit}; got {typed}"
    limit = "0" if bound == 0 else format_value(bound, kind)
    return f"must be {relation} {limit}; got {typed}"


def _absolute_zero(text: str) -> str:
    """Absolute zero in the scale `text` was typed in: °F, K or (by default) °C."""
    unit = _normalise(text).lstrip("+-.0123456789eE")
    if unit in ("F", "°F", "degF", "degreeF", "fahrenheit"):
        return "-459.67 °F"
    if unit in ("K", "kelvin"):
        return "0 K"
    return "-273.15 °C"


def measure(text: str, kind: Kind, source: str = "") -> Measure:
    """A Measure from text, for defaults written the way users type them, with their source.

    Parsed on first use, not here: the defaults are module constants, and parsing them at
    import would build pint's registry (~0.8 s, ~30 MB) in every process, `orbitdesk ask help`
    and a bot nobody asked for a calculation included.
    """
    return _Deferred(text, kind, source)


class _Deferred(Measure):
    """A Measure whose `si` and `text` are filled from its typed text on first read."""

    __slots__ = ("_typed",)

    def __init__(self, text: str, kind: Kind, source: str) -> None:
        object.__setattr__(self, "_typed", (text, kind))
        object.__setattr__(self, "kind", kind.name)
        object.__setattr__(self, "source", source)

    def __getattr__(self, name: str) -> Any:
        # Only called for slots not filled yet: `si` and `text` before the first read.
        if name not in ("si", "text"):
            raise AttributeError(name)
        text, kind = self._typed
        value = parse(text, kind)
        object.__setattr__(self, "si", value)
        object.__setattr__(self, "text", format_value(value, kind))
        return getattr(self, name)


def _normalise(text: str) -> str:
    cleaned = text.strip().replace(" ", "").replace(",", "").replace("_", "")
    return cleaned.replace("²", "^2").replace("³", "^3").replace("**", "^").replace("·", "*")


def _physical(text: str, kind: Kind) -> float:
    match = _QUANTITY.match(text)
    if match is None:
        raise ValueError(f"{_quoted(text)} is not a number with a unit (e.g. {kind.examples})")
    number = float(match.group(1))
    unit = match.group(2) or kind.bare
    if kind is DECIBEL:
        if unit.lower() != "db":
            raise ValueError(f"{_quoted(unit)} is not decibels (use {kind.examples})")
        return number
    if kind in (FRACTION, RATIO) and unit == "":
        return number
    import pint

    units = _units(unit, kind)
    ureg = registry()
    quantity = ureg.Quantity(number, units)
    try:
        converted = quantity.to(kind.canonical) if kind.canonical else quantity.to("")
    except pint.DimensionalityError:
        raise ValueError(
            f"{_quoted(unit)} is not a unit of {kind.name} (use {kind.examples})"
        ) from None
    return float(converted.magnitude)


def _units(unit: str, kind: Kind) -> pint.Unit:
    # m2 -> m^2, km2 -> km^2: a digit right after letters is a power.
    unit = re.sub(r"(?<=[A-Za-zµμ])([1-4])$", r"^\1", unit)
    unit = re.sub(r"(?<=[A-Za-zµμ])([1-4])(?=[/*])", r"^\1", unit)
    if not _UNIT.match(unit):
        raise ValueError(f"{_quoted(unit)} is not a unit (use {kind.examples})")
    words = re.split(r"([/*])", unit)
    fixed = []
    for word in words:
        base, _, power = word.partition("^")
        base = _ALIASES.get(base, base)
        fixed.append(base + (f"**{power}" if power else ""))
    import pint

    try:
        return registry().parse_units("".join(fixed))
    except pint.UndefinedUnitError:
        raise ValueError(f"unknown unit {_quoted(unit)} (use {kind.examples})") from None


_MONEY = re.compile(
    rf"^(?:\$|USD)?({_NUMBER})(k|K|m|M|mn|b|B|bn|t|T|tn)?(?:\$|USD|¢|c)?(?:/({_WORD}))?$"
)


def _money(text: str, kind: Kind) -> float:
    cents = "¢" in text or re.search(r"\dc/", text) is not None
    match = _MONEY.match(text)
    if match is None:
        raise ValueError(f"{_quoted(text)} is not an amount in dollars (use {kind.examples})")
    number = float(match.group(1)) * _SCALE.get(match.group(2) or "", 1.0)
    if cents:
        number /= 100
    per = match.group(3)
    if kind is MONEY:
        if per:
            raise ValueError(f"{_quoted(text)} is a rate; give an amount like {kind.examples}")
        return number
    if not per:
        if text[-1].isdigit() and not text.startswith(("$", "USD")):
            return number  # a bare number is per the canonical unit: 200 means $200/kg
        # `$5M`, `5k`, `9.77c`: written as an amount of money, so a total, not a unit price
        # (it used to become $5M/kg).
        unit = kind.canonical.removeprefix("1/")
        raise ValueError(
            f"give a price per {unit}, like {kind.examples.split(',')[0]}; "
            f"{_quoted(text)} is a total amount"
        )
    import pint

    denominator = ureg_quantity(1.0, _units(per, kind))
    try:
        # $ per (1 unit) -> $ per canonical unit: divide by how many canonical units one is.
        size = denominator.to(kind.canonical.removeprefix("1/")).magnitude
    except pint.DimensionalityError:
        raise ValueError(
            f"'/{_echo(per)}' does not fit a {kind.name} (use {kind.examples})"
        ) from None
    return number / float(size)


def ureg_quantity(value: float, units: pint.Unit) -> pint.Quantity:
    return registry().Quantity(value, units)


def _echo(text: str) -> str:
    """User text fit for an error message: short, printable, and unable to ping."""
    return safe_echo(text, 30)


def _quoted(text: str) -> str:
    """`_echo` in quotes (not repr(), which would show the zero-width space that stops a ping)."""
    return f"'{_echo(text)}'"


# ------------------------------------------------------------------------------ formatting

_PREFIXED = {
    "W": ((1e9, "GW"), (1e6, "MW"), (1e3, "kW"), (1.0, "W"), (1e-3, "mW"), (1e-6, "µW")),
    "m": ((1e3, "km"), (1.0, "m"), (1e-2, "cm"), (1e-3, "mm"), (1e-6, "µm"), (1e-9, "nm")),
    "kg": ((1e3, "t"), (1.0, "kg"), (1e-3, "g")),
    "m^2": ((1e6, "km²"), (1.0, "m²"), (1e-4, "cm²")),
    "s": ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")),
}


def format_number(value: float, digits: int = 4) -> str:
    """A number with thousands separators and about `digits` significant figures."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 15 or magnitude < -4:
        return f"{value:.{digits - 1}e}"
    decimals = max(0, digits - 1 - magnitude)
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_money(value: float) -> str:
    """Dollars the way people read them: $5.00M, $2.20B, $810, $0.0020."""
    sign = "-" if value < 0 else ""
    amount = abs(value)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if amount >= size:
            return f"{sign}${format_number(amount / size, 3)}{suffix}"
    if amount >= 100:
        return f"{sign}${amount:,.0f}"
    return f"{sign}${format_number(amount, 3)}"


def format_value(value: float, kind: Kind) -> str:
    """`value` (canonical units of `kind`) as text with a fitting unit: 40 MW, 20 °C, $200/kg."""
    if kind is TEMPERATURE:
        return f"{format_number(value - 273.15)} °C ({format_number(value, 5)} K)"
    if kind is DECIBEL:
        return f"{format_number(value)} dB"
    if kind is FRACTION:
        return f"{format_number(value * 100, 3)}%" if 0 < abs(value) < 1 else format_number(value)
    if kind is MONEY:
        return format_money(value)
    if kind.money:
        return f"{format_money(value)}/{kind.canonical.removeprefix('1/')}"
    if kind is DURATION:
        return f"{format_number(value, 3)} years" if value != 1 else "1 year"
    if kind is ANGLE:
        return f"{format_number(value, 3)}°"
    scales = _PREFIXED.get(kind.canonical)
    if scales and value == 0:
        return f"0 {next(unit for size, unit in scales if size == 1.0)}"  # "0 t" would be "0 g"
    if scales:
        for size, unit in scales:
            if abs(value) >= size:
                return f"{format_number(value / size)} {unit}"
        size, unit = scales[-1]
        return f"{format_number(value / size)} {unit}"
    unit = kind.canonical.replace("^2", "²")
    return f"{format_number(value)} {unit}".strip()
