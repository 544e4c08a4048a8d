"""Back-of-envelope physics and cost calculators for orbital data centers (pure functions).

Every function takes SI-ish floats (W, K, m, kg, $/kg, years ...) as keyword arguments and
returns a frozen dataclass. Nothing here knows about chat; the formulas and the worked
examples they reproduce are in research/orbital.md section 3 (tests/test_calculators.py).
Bad inputs raise `InputError`, which names the parameter. Result fields a claim may state carry
their units.Kind (a label only: nothing here parses text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

from commands._shared import units as u

SIGMA = 5.670374419e-8  # Stefan-Boltzmann, W m^-2 K^-4 (CODATA 2018, exact)
SIGMA_ROUNDED = 5.67e-8  # what the Starcloud and McCalip models use
SPEED_OF_LIGHT = 299_792_458.0  # m/s (SI definition)
EARTH_RADIUS = 6_378_137.0  # m, WGS-84 equatorial
EARTH_GM = 3.986004418e14  # m^3/s^2, WGS-84
HOURS_PER_YEAR = 8760.0  # the sources (Starcloud, Suncatcher) use 8,760 h


# A result field annotated with a units.Kind is an output a claim may state and check
# (commands.orbital.claims): `net_flux: Annotated[float, u.FLUX]`. The kind says how the
# stated figure is written. Fields without one (inputs echoed back, flags) are not outputs.


class InputError(ValueError):
    """A calculator input outside its meaningful range; `param` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


def _positive(name: str, value: float) -> None:
    if not value > 0 or not math.isfinite(value):
        raise InputError(name, "must be more than 0")


def _non_negative(name: str, value: float) -> None:
    if not value >= 0 or not math.isfinite(value):
        raise InputError(name, "must not be negative")


def _fraction(name: str, value: float, *, allow_zero: bool = True) -> None:
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value <= 1):
        raise InputError(name, "must be between 0 and 1" + ("" if allow_zero else " (not 0)"))


# ------------------------------------------------------------------------------ radiator


@dataclass(frozen=True, slots=True)
class RadiatorResult:
    """Fluxes in W/m² of plate (one face's area); `area_m2` when a heat load was given."""

    emitted: Annotated[float, u.FLUX]
    solar_absorbed: Annotated[float, u.FLUX]
    earth_absorbed: Annotated[float, u.FLUX]
    net_flux: Annotated[float, u.FLUX]
    heat_load_w: float | None
    area_m2: Annotated[float | None, u.AREA]


def radiator(
    *,
    temperature_k: float,
    emissivity: float,
    absorptivity: float,
    solar_flux: float,
    view_factor: float,
    albedo: float,
    earth_temperature_k: float,
    ir_absorptivity: float | None = None,
    sides: int = 2,
    heat_load_w: float | None = None,
    sigma: float = SIGMA,
) -> RadiatorResult:
    """Net heat a flat plate rejects per m², and the plate area for a heat load.

    emitted = sides·ε·σ·T⁴ (both faces radiate); one face is sunlit: solar = α·S; the Earth
    view: earth = F·(α·albedo·S + α_IR·σ·T_earth⁴). α_IR (absorptivity for Earth's infrared)
    defaults to ε, as Kirchhoff's law says for a grey body; Starcloud's white paper used the
    solar α there instead (pass ir_absorptivity=α to reproduce its 633 W/m²).
    """
    _positive("temp", temperature_k)
    _fraction("emissivity", emissivity, allow_zero=False)
    _fraction("absorptivity", absorptivity)
    _non_negative("solar_flux", solar_flux)
    _fraction("view_factor", view_factor)
    _fraction("albedo", albedo)
    _positive("earth_temp", earth_temperature_k)
    if sides not in (1, 2):
        raise InputError("sides", "must be 1 or 2")
    alpha_ir = emissivity if ir_absorptivity is None else ir_absorptivity
    _fraction("ir_absorptivity", alpha_ir)
    emitted = sides * emissivity * sigma * temperature_k**4
    solar = absorptivity * solar_flux
    earth = view_factor * (
        absorptivity * albedo * solar_flux + alpha_ir * sigma * earth_temperature_k**4
    )
    net = emitted - solar - earth
    area = None
    if heat_load_w is not None:
        _positive("heat", heat_load_w)
        if net <= 0:
            raise InputError("temp", "at this temperature the plate absorbs more than it radiates")
        area = heat_load_w / net
    return RadiatorResult(emitted, solar, earth, net, heat_load_w, area)


# --------------------------------------------------------------------------------- solar


@dataclass(frozen=True, slots=True)
class SolarResult:
    """An array's power in sunlight and its orbit average, for a given area or power."""

    areal_power: Annotated[float, u.FLUX]  # W per m² of array in sunlight
    area_m2: Annotated[float, u.AREA]
    power_w: Annotated[float, u.POWER]  # in sunlight
    average_power_w: Annotated[float, u.POWER]  # times the sunlit fraction
    area_for_average_m2: Annotated[float, u.AREA]  # area whose orbit-average output equals power_w


def solar(
    *,
    irradiance: float,
    efficiency: float,
    fill_factor: float,
    sunlit_fraction: float,
    power_w: float | None = None,
    area_m2: float | None = None,
) -> SolarResult:
    """Array area for a power, or power for an area: P = A · S · η · fill."""
    _positive("irradiance", irradiance)
    _fraction("efficiency", efficiency, allow_zero=False)
    _fraction("fill", fill_factor, allow_zero=False)
    _fraction("sunlit", sunlit_fraction, allow_zero=False)
    if (power_w is None) == (area_m2 is None):
        raise InputError("power", "give either power= or area=, not both or neither")
    areal = irradiance * efficiency * fill_factor
    if power_w is not None:
        _positive("power", power_w)
        area = power_w / areal
    else:
        assert area_m2 is not None
        _positive("area", area_m2)
        area = area_m2
    power = area * areal
    return SolarResult(
        areal_power=areal,
        area_m2=area,
        power_w=power,
        average_power_w=power * sunlit_fraction,
        area_for_average_m2=area / sunlit_fraction,
    )


# --------------------------------------------------------------------------------- orbit


@dataclass(frozen=True, slots=True)
class OrbitResult:
    """A circular orbit's period, Earth-shadow time and light delays."""

    altitude_m: float
    period_s: Annotated[float, u.TIME]
    eclipse_s: Annotated[float, u.TIME]
    sunlit_fraction: Annotated[float, u.FRACTION]
    delay_down_s: Annotated[float, u.TIME]  # straight down, one way
    elevation_deg: float | None
    slant_range_m: Annotated[float | None, u.LENGTH]
    delay_slant_s: Annotated[float | None, u.TIME]  # to a ground station at that elevation, one way


def orbit(*, altitude_m: float, elevation_deg: float | None = None) -> OrbitResult:
    """Period, eclipse and light delay at an altitude (cylindrical shadow, beta angle 0).

    period = 2π·√(a³/GM) with a = R + h; the eclipse fraction is arcsin(R/a)/π (the orbit
    passes straight through a cylinder of Earth's radius behind the planet); slant range to a
    station seeing the satellite at elevation e is √(a² − R²cos²e) − R·sin e.
    """
    _positive("altitude", altitude_m)
    a = EARTH_RADIUS + altitude_m
    period = 2 * math.pi * math.sqrt(a**3 / EARTH_GM)
    eclipse_fraction = math.asin(EARTH_RADIUS / a) / math.pi
    slant = delay_slant = None
    if elevation_deg is not None:
        if not 0 <= elevation_deg <= 90:
            raise InputError("elevation", "must be between 0° and 90°")
        e = math.radians(elevation_deg)
        slant = math.sqrt(a**2 - (EARTH_RADIUS * math.cos(e)) ** 2) - EARTH_RADIUS * math.sin(e)
        delay_slant = slant / SPEED_OF_LIGHT
    return OrbitResult(
        altitude_m=altitude_m,
        period_s=period,
        eclipse_s=period * eclipse_fraction,
        sunlit_fraction=1 - eclipse_fraction,
        delay_down_s=altitude_m / SPEED_OF_LIGHT,
        elevation_deg=elevation_deg,
        slant_range_m=slant,
        delay_slant_s=delay_slant,
    )


# -------------------------------------------------------------------------------- launch


def terrestrial_power_cost(*, price_per_kwh: float, pue: float) -> float:
    """What a ground data center spends on power per kW of IT per year: $/kWh × 8,760 × PUE."""
    _non_negative("electricity", price_per_kwh)
    if not pue >= 1:
        raise InputError("pue", "must be at least 1")
    return price_per_kwh * HOURS_PER_YEAR * pue


def energy_kwh(*, power_w: float, years: float) -> float:
    """Energy delivered by a constant power over some years, in kWh (8,760 h a year)."""
    return power_w / 1000 * HOURS_PER_YEAR * years


@dataclass(frozen=True, slots=True)
class EnergyCostResult:
    energy_kwh: Annotated[float, u.RATIO]
    cost_per_kwh: Annotated[float, u.PRICE_PER_ENERGY]


def energy_cost(*, cost: float, power_w: float, years: float) -> EnergyCostResult:
    """Cost per kWh of a one-off spend spread over the energy a power delivers in some years."""
    _non_negative("cost", cost)
    _positive("power", power_w)
    _positive("lifetime", years)
    energy = energy_kwh(power_w=power_w, years=years)
    return EnergyCostResult(energy_kwh=energy, cost_per_kwh=cost / energy)


@dataclass(frozen=True, slots=True)
class LaunchResult:
    mass_kg: float
    price_per_kg: float
    cost: Annotated[float, u.MONEY]
    payload_kg: float | None
    launches: Annotated[int | None, u.RATIO]
    power_w: float | None
    lifetime_years: float | None
    launched_power_price: Annotated[float | None, u.MONEY]  # $ per kW per year
    terrestrial_power_cost: Annotated[float | None, u.MONEY]  # $ per kW per year
    ratio: Annotated[float | None, u.RATIO]  # launched / terrestrial


def launch(
    *,
    mass_kg: float,
    price_per_kg: float,
    payload_kg: float | None = None,
    power_w: float | None = None,
    lifetime_years: float | None = None,
    electricity_price_per_kwh: float | None = None,
    pue: float | None = None,
) -> LaunchResult:
    """Launch cost, launches needed, and Suncatcher's launched power price in $/kW/year.

    cost = mass × price per kg; launches = ⌈mass / payload⌉; launched power price =
    mass × price per kg / (power in kW × lifetime in years); the terrestrial comparison is
    price per kWh × 8,760 h × PUE.
    """
    _positive("mass", mass_kg)
    _non_negative("price", price_per_kg)
    cost = mass_kg * price_per_kg
    launches = None
    if payload_kg is not None:
        _positive("payload", payload_kg)
        launches = math.ceil(mass_kg / payload_kg - 1e-9)
    per_kw_year = None
    if power_w is not None:
        _positive("power", power_w)
        if lifetime_years is None:
            raise InputError("lifetime", "needed with power=")
        _positive("lifetime", lifetime_years)
        per_kw_year = cost / (power_w / 1000 * lifetime_years)
    ground = None
    if electricity_price_per_kwh is not None and pue is not None:
        ground = terrestrial_power_cost(price_per_kwh=electricity_price_per_kwh, pue=pue)
    ratio = per_kw_year / ground if per_kw_year is not None and ground else None
    return LaunchResult(
        mass_kg=mass_kg,
        price_per_kg=price_per_kg,
        cost=cost,
        payload_kg=payload_kg,
        launches=launches,
        power_w=power_w,
        lifetime_years=lifetime_years,
        launched_power_price=per_kw_year,
        terrestrial_power_cost=ground,
        ratio=ratio,
    )


# ------------------------------------------------------------------------------ learning


@dataclass(frozen=True, slots=True)
class LearningResult:
    start_price: float  # $/kg at start_mass
    start_mass_kg: float
    learning_rate: float
    exponent: Annotated[float, u.RATIO]  # log2(1 − learning rate)
    mass_kg: float | None  # cumulative launched mass asked about
    price_at_mass: Annotated[float | None, u.PRICE_PER_MASS]
    target_price: float | None
    mass_for_target_kg: Annotated[float | None, u.MASS]  # cumulative
    additional_mass_kg: Annotated[float | None, u.MASS]  # beyond start_mass
    payload_kg: float | None
    launches_for_additional: Annotated[int | None, u.RATIO]


def learning(
    *,
    start_price: float,
    start_mass_kg: float,
    learning_rate: float,
    mass_kg: float | None = None,
    target_price: float | None = None,
    payload_kg: float | None = None,
) -> LearningResult:
    """Wright's law: each doubling of cumulative launched mass cuts the price by the rate.

    price(M) = P₀ · (M / M₀)^b with b = log₂(1 − rate); solved for M it gives the cumulative
    mass at which a target price is reached: M = M₀ · (target / P₀)^(1/b).
    """
    _positive("start_price", start_price)
    _positive("start_mass", start_mass_kg)
    if not 0 < learning_rate < 1:
        raise InputError("rate", "must be between 0 and 1 (e.g. 20%)")
    b = math.log2(1 - learning_rate)
    price_at = None
    if mass_kg is not None:
        _positive("mass", mass_kg)
        price_at = start_price * (mass_kg / start_mass_kg) ** b
    needed = additional = None
    launches = None
    if target_price is not None:
        _positive("target", target_price)
        needed = start_mass_kg * (target_price / start_price) ** (1 / b)
        additional = max(0.0, needed - start_mass_kg)
        if payload_kg is not None:
            _positive("payload", payload_kg)
            launches = math.ceil(additional / payload_kg - 1e-9)
    return LearningResult(
        start_price=start_price,
        start_mass_kg=start_mass_kg,
        learning_rate=learning_rate,
        exponent=b,
        mass_kg=mass_kg,
        price_at_mass=price_at,
        target_price=target_price,
        mass_for_target_kg=needed,
        additional_mass_kg=additional,
        payload_kg=payload_kg,
        launches_for_additional=launches,
    )


# ---------------------------------------------------------------------------------- link


@dataclass(frozen=True, slots=True)
class LinkResult:
    free_space_loss_db: Annotated[float, u.DECIBEL]
    received_dbm: float
    received_w: Annotated[float, u.POWER]
    near_field: bool  # Friis gave more than was sent: the distance is too short for it


def link(
    *,
    tx_power_w: float,
    tx_gain_db: float,
    rx_gain_db: float,
    wavelength_m: float,
    distance_m: float,
    losses_db: float = 0.0,
) -> LinkResult:
    """Received power of a free-space optical link (Friis): Pr = Pt + Gt + Gr − FSPL − losses.

    FSPL = 20·log₁₀(4π·d / λ). Friis holds in the far field only; when it would deliver more
    than was sent, the answer is capped at the transmitted power and says so.
    """
    _positive("tx_power", tx_power_w)
    _positive("wavelength", wavelength_m)
    _positive("distance", distance_m)
    _non_negative("losses", losses_db)
    fspl = 20 * math.log10(4 * math.pi * distance_m / wavelength_m)
    tx_dbm = 10 * math.log10(tx_power_w * 1000)
    received_dbm = tx_dbm + tx_gain_db + rx_gain_db - fspl - losses_db
    ceiling_dbm = tx_dbm - losses_db
    near = received_dbm > ceiling_dbm
    if near:
        received_dbm = ceiling_dbm
    return LinkResult(
        free_space_loss_db=fspl,
        received_dbm=received_dbm,
        received_w=10 ** (received_dbm / 10) / 1000,
        near_field=near,
    )


# ---------------------------------------------------------------------------- datacenter


@dataclass(frozen=True, slots=True)
class DatacenterResult:
    power_w: float
    array_power_w: Annotated[float, u.POWER]  # in sunlight, so the orbit average equals power_w
    solar_area_m2: Annotated[float, u.AREA]
    radiator_flux: Annotated[float, u.FLUX]
    radiator_area_m2: Annotated[float, u.AREA]
    solar_mass_kg: Annotated[float, u.MASS]
    radiator_mass_kg: Annotated[float, u.MASS]
    compute_mass_kg: Annotated[float, u.MASS]
    total_mass_kg: Annotated[float, u.MASS]
    launches: Annotated[int, u.RATIO]
    launch_cost: Annotated[float, u.MONEY]
    build_cost: Annotated[float, u.MONEY]
    energy_kwh: Annotated[float, u.RATIO]
    cost_per_kwh: Annotated[float, u.PRICE_PER_ENERGY]
    terrestrial_per_kwh: Annotated[float, u.PRICE_PER_ENERGY]
    ratio: Annotated[
        float | None, u.RATIO
    ]  # space / ground; None when ground power is free (no ratio to show)


def datacenter(
    *,
    power_w: float,
    temperature_k: float,
    emissivity: float,
    absorptivity: float,
    view_factor: float,
    albedo: float,
    earth_temperature_k: float,
    irradiance: float,
    efficiency: float,
    fill_factor: float,
    sunlit_fraction: float,
    solar_specific_power: float,
    radiator_areal_mass: float,
    compute_kg_per_kw: float,
    price_per_kg: float,
    payload_kg: float,
    lifetime_years: float,
    build_cost_per_w: float,
    electricity_price_per_kwh: float,
    pue: float,
) -> DatacenterResult:
    """End-to-end sizing of an orbital data center drawing `power_w` of IT power.

    The array is sized so its orbit average equals the power (storage for eclipses is left
    out); every watt used becomes heat for the radiator; masses come from specific power
    (array), areal mass (radiator) and kg per kW (compute racks); launch cost is mass × price
    per kg; cost per kWh is (launch + build) over the energy delivered in the lifetime.
    """
    _positive("power", power_w)
    _positive("specific_power", solar_specific_power)
    _positive("radiator_mass", radiator_areal_mass)
    _non_negative("compute_mass", compute_kg_per_kw)
    _positive("payload", payload_kg)
    _positive("lifetime", lifetime_years)
    _non_negative("build", build_cost_per_w)
    sun = solar(
        irradiance=irradiance,
        efficiency=efficiency,
        fill_factor=fill_factor,
        sunlit_fraction=sunlit_fraction,
        power_w=power_w / sunlit_fraction,
    )
    heat = radiator(
        temperature_k=temperature_k,
        emissivity=emissivity,
        absorptivity=absorptivity,
        solar_flux=irradiance,
        view_factor=view_factor,
        albedo=albedo,
        earth_temperature_k=earth_temperature_k,
        heat_load_w=power_w,
    )
    assert heat.area_m2 is not None
    solar_mass = sun.power_w / solar_specific_power
    radiator_mass = heat.area_m2 * radiator_areal_mass
    compute_mass = power_w / 1000 * compute_kg_per_kw
    total = solar_mass + radiator_mass + compute_mass
    lift = launch(mass_kg=total, price_per_kg=price_per_kg, payload_kg=payload_kg)
    assert lift.launches is not None
    build = build_cost_per_w * power_w
    energy = energy_kwh(power_w=power_w, years=lifetime_years)
    per_kwh = (lift.cost + build) / energy
    ground = terrestrial_power_cost(price_per_kwh=electricity_price_per_kwh, pue=pue) / (
        HOURS_PER_YEAR
    )
    return DatacenterResult(
        power_w=power_w,
        array_power_w=sun.power_w,
        solar_area_m2=sun.area_m2,
        radiator_flux=heat.net_flux,
        radiator_area_m2=heat.area_m2,
        solar_mass_kg=solar_mass,
        radiator_mass_kg=radiator_mass,
        compute_mass_kg=compute_mass,
        total_mass_kg=total,
        launches=lift.launches,
        launch_cost=lift.cost,
        build_cost=build,
        energy_kwh=energy,
        cost_per_kwh=per_kwh,
        terrestrial_per_kwh=ground,
        ratio=per_kwh / ground if ground > 0 else None,
    )
