"""/orbital radiator|solar|orbit|launch|learning|link|datacenter: the calculators in chat."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Literal

from bot.context import Context
from bot.errors import UsageError
from bot.registry import Computes, Param, command
from bot.response import Response
from bot.text import plural
from commands._shared import units as u
from commands._shared.units import Measure
from commands.orbital import assumptions as d
from commands.orbital import calculators as calc
from commands.orbital.report import Report, compute, result, to_response

# The unit a bare number is taken in (units.Kind.bare), as help shows it: `altitude=550` is
# 550 m, not 550 km, so help must say so.
_BARE_UNIT = {
    u.POWER: "W",
    u.TEMPERATURE: "°C",
    u.LENGTH: "m",
    u.MASS: "kg",
    u.AREA: "m²",
    u.DURATION: "years",
    u.ANGLE: "degrees",
    u.IRRADIANCE: "W/m²",
    u.SPECIFIC_POWER: "W/kg",
    u.AREAL_MASS: "kg/m²",
    u.MASS_PER_POWER: "kg/kW",
    u.PRICE_PER_MASS: "$/kg",
    u.PRICE_PER_ENERGY: "$/kWh",
    u.PRICE_PER_POWER: "$/W",
}


KARMAN_LINE_M = 100e3


class SiValues(Mapping[str, float]):
    """keyword -> a default's value in SI units, read when a calculator runs, not at import
    (a temperature default would build pint's registry in every process)."""

    def __init__(self, measures: Mapping[str, Measure]) -> None:
        self._measures = dict(measures)

    def __getitem__(self, key: str) -> float:
        return self._measures[key].si

    def __iter__(self) -> Iterator[str]:
        return iter(self._measures)

    def __len__(self) -> int:
        return len(self._measures)


def _p(help: str, kind: u.Kind, metavar: str, **limits: float) -> Param:
    bare = _BARE_UNIT.get(kind)
    if bare:
        help = f"{help}; a bare number is in {bare}"
    return Param(help, parse=u.parser(kind, **limits), metavar=metavar, max_length=40)


Power = Annotated[Measure, _p("power, e.g. 40MW", u.POWER, "40MW", above=0)]
OptPower = Annotated[Measure | None, _p("power, e.g. 40MW", u.POWER, "40MW", above=0)]
Temp = Annotated[Measure, _p("temperature", u.TEMPERATURE, "20C", above=0)]
Fraction = Annotated[
    Measure, _p("a fraction 0-1 or a percent", u.FRACTION, "0..1", minimum=0, maximum=1)
]
OptFraction = Annotated[
    Measure | None, _p("a fraction 0-1 or a percent", u.FRACTION, "0..1", minimum=0, maximum=1)
]
PosFraction = Annotated[
    Measure, _p("a fraction above 0, at most 1", u.FRACTION, "0..1", above=0, maximum=1)
]
Flux = Annotated[Measure, _p("solar irradiance", u.IRRADIANCE, "1361W/m2", above=0)]
Distance = Annotated[Measure, _p("distance between the satellites", u.LENGTH, "1000km", above=0)]
Wavelength = Annotated[Measure, _p("laser wavelength", u.LENGTH, "1.55um", above=0)]
# Below the Karman line nothing stays in orbit; the formulas would still answer.
Altitude = Annotated[Measure, _p("altitude", u.LENGTH, "550km", minimum=KARMAN_LINE_M, maximum=1e9)]
Angle = Annotated[
    Measure | None, _p("elevation of the ground station", u.ANGLE, "25deg", minimum=0, maximum=90)
]
Mass = Annotated[Measure, _p("mass", u.MASS, "100t", above=0)]
OptMass = Annotated[Measure | None, _p("mass", u.MASS, "100t", above=0)]
Area = Annotated[Measure | None, _p("array area", u.AREA, "105m2", above=0)]
PricePerKg = Annotated[Measure, _p("price per kg", u.PRICE_PER_MASS, "200$/kg", minimum=0)]
PositivePricePerKg = Annotated[Measure, _p("price per kg", u.PRICE_PER_MASS, "200$/kg", above=0)]
PricePerKwh = Annotated[
    Measure, _p("electricity price", u.PRICE_PER_ENERGY, "0.05$/kWh", minimum=0)
]
PricePerW = Annotated[Measure, _p("build cost per watt", u.PRICE_PER_POWER, "22$/W", minimum=0)]
Years = Annotated[Measure, _p("lifetime", u.DURATION, "5y", above=0)]
Ratio = Annotated[Measure, _p("power usage effectiveness, at least 1", u.RATIO, "1.56", minimum=1)]
Rate = Annotated[
    Measure, _p("learning rate per doubling", u.FRACTION, "20%", above=0, maximum=0.99)
]
Decibel = Annotated[Measure, _p("gain in dB", u.DECIBEL, "105.1dB")]
Loss = Annotated[Measure, _p("extra losses in dB", u.DECIBEL, "3dB", minimum=0)]
SpecificPower = Annotated[Measure, _p("array specific power", u.SPECIFIC_POWER, "150W/kg", above=0)]
ArealMass = Annotated[Measure, _p("radiator areal mass", u.AREAL_MASS, "5kg/m2", above=0)]
KgPerKw = Annotated[Measure, _p("compute mass per kW", u.MASS_PER_POWER, "11.3kg/kW", minimum=0)]

LinkPower = Annotated[Measure, _p("transmit power", u.POWER, "5W", above=0)]

_FREE_GROUND_POWER = "At electricity=0 ground power costs nothing, so there is no ratio to show."

_INSPECT = "inputs, sources, formula and result; every default can be overridden"

# Which parameter feeds which calculator keyword. Each is given to its @command, so the
# orbital claims' checks run the calculator from the same parameters, kinds and defaults
# (commands.orbital.claims.calculators); the command bodies call through it too.
RADIATOR = Computes(
    calc.radiator,
    {
        "temp": "temperature_k",
        "power": "heat_load_w",
        "emissivity": "emissivity",
        "absorptivity": "absorptivity",
        "solar_flux": "solar_flux",
        "view_factor": "view_factor",
        "albedo": "albedo",
        "earth_temp": "earth_temperature_k",
        "ir_absorptivity": "ir_absorptivity",
        "sides": "sides",
    },
)
SOLAR = Computes(
    calc.solar,
    {
        "power": "power_w",
        "area": "area_m2",
        "irradiance": "irradiance",
        "efficiency": "efficiency",
        "fill": "fill_factor",
        "sunlit": "sunlit_fraction",
    },
)
ORBIT = Computes(calc.orbit, {"altitude": "altitude_m", "elevation": "elevation_deg"})
LAUNCH = Computes(
    calc.launch,
    {
        "mass": "mass_kg",
        "price": "price_per_kg",
        "payload": "payload_kg",
        "power": "power_w",
        "lifetime": "lifetime_years",
        "electricity": "electricity_price_per_kwh",
        "pue": "pue",
    },
)
LEARNING = Computes(
    calc.learning,
    {
        "mass": "mass_kg",
        "target": "target_price",
        "rate": "learning_rate",
        "start_price": "start_price",
        "start_mass": "start_mass_kg",
        "payload": "payload_kg",
    },
)
LINK = Computes(
    calc.link,
    {
        "distance": "distance_m",
        "tx_power": "tx_power_w",
        "tx_gain": "tx_gain_db",
        "rx_gain": "rx_gain_db",
        "wavelength": "wavelength_m",
        "losses": "losses_db",
    },
)
DATACENTER = Computes(
    calc.datacenter,
    {
        "power": "power_w",
        "temp": "temperature_k",
        "emissivity": "emissivity",
        "absorptivity": "absorptivity",
        "irradiance": "irradiance",
        "efficiency": "efficiency",
        "fill": "fill_factor",
        "sunlit": "sunlit_fraction",
        "specific_power": "solar_specific_power",
        "radiator_mass": "radiator_areal_mass",
        "compute_mass": "compute_kg_per_kw",
        "price": "price_per_kg",
        "payload": "payload_kg",
        "lifetime": "lifetime_years",
        "build": "build_cost_per_w",
        "electricity": "electricity_price_per_kwh",
        "pue": "pue",
    },
    # Not parameters: as in /orbital radiator (the report says so).
    fixed=SiValues(
        {
            "view_factor": d.VIEW_FACTOR,
            "albedo": d.ALBEDO,
            "earth_temperature_k": d.EARTH_TEMPERATURE,
        }
    ),
)


@command(
    "orbital radiator",
    examples=(
        "orbital radiator",
        "orbital radiator temp=60C power=40MW",
        "orbital radiator solar_flux=1366W/m2 ir_absorptivity=0.09 power=40MW",
    ),
    computes=RADIATOR,
)
async def radiator(
    ctx: Context,
    *,
    temp: Temp = d.TEMPERATURE,
    power: OptPower = None,
    emissivity: Fraction = d.EMISSIVITY,
    absorptivity: Fraction = d.ABSORPTIVITY,
    solar_flux: Flux = d.SOLAR_FLUX,
    view_factor: Fraction = d.VIEW_FACTOR,
    albedo: Fraction = d.ALBEDO,
    earth_temp: Temp = d.EARTH_TEMPERATURE,
    ir_absorptivity: OptFraction = None,
    sides: Literal[1, 2] = 2,
) -> Response:
    """Net heat a radiator plate rejects per m², and the area for a heat load (power=).

    Both faces radiate, one face is sunlit and the plate sees the Earth: net = emitted −
    absorbed sunlight − absorbed Earth albedo and infrared.
    """
    r = compute(
        RADIATOR,
        temp=temp,
        emissivity=emissivity,
        absorptivity=absorptivity,
        solar_flux=solar_flux,
        view_factor=view_factor,
        albedo=albedo,
        earth_temp=earth_temp,
        ir_absorptivity=ir_absorptivity,
        sides=int(sides),
        power=power,
    )
    inputs = {
        "temp": temp,
        "emissivity": emissivity,
        "absorptivity": absorptivity,
        "solar_flux": solar_flux,
        "view_factor": view_factor,
        "albedo": albedo,
        "earth_temp": earth_temp,
    }
    if ir_absorptivity is not None:
        inputs["ir_absorptivity"] = ir_absorptivity
    if power is not None:
        inputs["power"] = power
    results = [
        result("net_flux", "Net rejected", r.net_flux, u.FLUX),
        result("emitted", f"Emitted ({plural(int(sides), 'face')})", r.emitted, u.FLUX),
        result("solar_absorbed", "Sunlight absorbed", r.solar_absorbed, u.FLUX),
        result("earth_absorbed", "Earth absorbed", r.earth_absorbed, u.FLUX),
    ]
    if r.area_m2 is not None and power is not None:
        results.append(result("area_m2", f"Area for {power.text}", r.area_m2, u.AREA))
    fixed = [f"σ = {calc.SIGMA:.9e} W/m²K⁴ (CODATA 2018)", f"sides = {sides}"]
    if ir_absorptivity is None:
        fixed.append(f"ir_absorptivity = emissivity: {d.IR_ABSORPTIVITY_NOTE}")
    return to_response(
        Report(
            calculator="radiator",
            title=f"Radiator at {temp.text}: {u.format_value(r.net_flux, u.FLUX)} net",
            inputs=inputs,
            results=results,
            assumptions=fixed,
            formula=(
                "emitted = sides × ε × σ × T⁴",
                "sunlight = α × S (one face sunlit)",
                "Earth = F × (α × albedo × S + α_IR × σ × T_earth⁴)",
                "net = emitted − sunlight − Earth; area = heat load ÷ net",
            ),
            notes=(
                "ISS radiators achieve ~147-195 W/m² in practice (orbital.md W11/§2).",
                "No radiator at data-center scale has flown.",
            ),
        )
    )


@command(
    "orbital solar",
    examples=("orbital solar power=40MW", "orbital solar area=16km2", "orbital solar area=105m2"),
    computes=SOLAR,
)
async def solar(
    ctx: Context,
    *,
    power: OptPower = None,
    area: Area = None,
    irradiance: Flux = d.SOLAR_FLUX,
    efficiency: PosFraction = d.EFFICIENCY,
    fill: PosFraction = d.FILL_FACTOR,
    sunlit: PosFraction = d.SUNLIT,
) -> Response:
    """Solar array area for a power (power=), or power for an area (area=)."""
    if power is not None and area is not None:
        raise UsageError("power: give power= or area=, not both.")
    if power is None and area is None:
        raise UsageError("power: give either power= (e.g. 40MW) or area= (e.g. 16km2).")
    r = compute(
        SOLAR,
        irradiance=irradiance,
        efficiency=efficiency,
        fill=fill,
        sunlit=sunlit,
        power=power,
        area=area,
    )
    inputs: dict[str, Measure] = {"power": power} if power else {"area": area} if area else {}
    inputs |= {"irradiance": irradiance, "efficiency": efficiency, "fill": fill, "sunlit": sunlit}
    results = [
        result("area_m2", "Array area", r.area_m2, u.AREA),
        result("power_w", "Power in sunlight", r.power_w, u.POWER),
        result("average_power_w", "Orbit-average power", r.average_power_w, u.POWER),
        result("areal_power", "Per m² in sunlight", r.areal_power, u.FLUX),
    ]
    if power is not None:
        results.append(
            result(
                "area_for_average_m2", "Area for that as an average", r.area_for_average_m2, u.AREA
            )
        )
    title = (
        f"Solar: {u.format_value(r.area_m2, u.AREA)} for {power.text}"
        if power
        else f"Solar: {u.format_value(r.power_w, u.POWER)} from {area.text if area else ''}"
    )
    return to_response(
        Report(
            calculator="solar",
            title=title,
            inputs=inputs,
            results=results,
            formula=(
                "power in sunlight = area × irradiance × efficiency × fill",
                "orbit average = power in sunlight × sunlit fraction (storage losses left out)",
            ),
            notes=("Cells degrade in orbit; figures are beginning-of-life.",),
        )
    )


@command(
    "orbital orbit",
    examples=("orbital orbit", "orbital orbit altitude=650km elevation=25deg"),
    computes=ORBIT,
)
async def orbit(
    ctx: Context,
    *,
    altitude: Altitude = d.ALTITUDE,
    elevation: Angle = None,
) -> Response:
    """Orbital period, eclipse time, sunlit fraction and light delay at an altitude."""
    r = compute(ORBIT, altitude=altitude, elevation=elevation)
    inputs = {"altitude": altitude} | ({"elevation": elevation} if elevation else {})
    results = [
        result("period_min", "Period", r.period_s / 60, suffix="min"),
        result("eclipse_min", "Eclipse", r.eclipse_s / 60, suffix="min"),
        result("sunlit_fraction", "Sunlit fraction", r.sunlit_fraction, u.FRACTION),
        result(
            "delay_down_ms", "Light delay straight down", r.delay_down_s * 1000, suffix="ms one way"
        ),
    ]
    notes = ["Round trip is twice the one-way delay; routing and processing add more."]
    if r.delay_slant_s is not None and r.slant_range_m is not None:
        results.append(result("slant_range_m", "Slant range", r.slant_range_m, u.LENGTH))
        results.append(
            result(
                "delay_slant_ms",
                "Delay to the ground station",
                r.delay_slant_s * 1000,
                suffix="ms one way",
            )
        )
    else:
        notes.append("Add elevation=25deg (for example) for the delay to a ground station.")
    notes.append("A dawn-dusk sun-synchronous orbit is sunlit ~98% of the time (orbital.md §2).")
    return to_response(
        Report(
            calculator="orbit",
            title=f"Orbit at {altitude.text}: {u.format_number(r.period_s / 60, 3)} min, "
            f"{r.sunlit_fraction:.1%} sunlit",
            inputs=inputs,
            results=results,
            assumptions=(
                "circular orbit; Earth radius 6,378.137 km and GM 398,600.4418 km³/s² (WGS-84)",
                "cylindrical Earth shadow, beta angle 0 (the longest eclipse)",
                "speed of light 299,792.458 km/s",
            ),
            formula=(
                "period = 2π × √(a³ / GM), a = Earth radius + altitude",
                "eclipse fraction = arcsin(R / a) ÷ π",
                "delay = distance ÷ c; slant range = √(a² − R²cos²e) − R·sin e",
            ),
            notes=notes,
        )
    )


@command(
    "orbital launch",
    examples=(
        "orbital launch mass=100t price=50$/kg",
        "orbital launch mass=575kg price=200$/kg power=28kW lifetime=5y",
    ),
    computes=LAUNCH,
)
async def launch(
    ctx: Context,
    *,
    mass: Mass,
    price: PricePerKg = d.LAUNCH_PRICE,
    payload: Mass = d.PAYLOAD,
    power: OptPower = None,
    lifetime: Years = d.LIFETIME,
    electricity: PricePerKwh = d.ELECTRICITY,
    pue: Ratio = d.PUE,
) -> Response:
    """Launch cost, launches needed and launched power price in $ per kW per year."""
    r = compute(
        LAUNCH,
        mass=mass,
        price=price,
        payload=payload,
        power=power,
        lifetime=lifetime,
        electricity=electricity,
        pue=pue,
    )
    inputs = {"mass": mass, "price": price, "payload": payload}
    results = [
        result("cost", "Launch cost", r.cost, u.MONEY),
        result("launches", "Launches", r.launches),
        result(
            "terrestrial_power_cost",
            "Ground power spend",
            r.terrestrial_power_cost,
            u.MONEY,
            suffix="per kW per year",
        ),
    ]
    notes = []
    if power is not None:
        inputs |= {"power": power, "lifetime": lifetime}
        results.insert(
            2,
            result(
                "launched_power_price",
                "Launched power price",
                r.launched_power_price,
                u.MONEY,
                suffix="per kW per year",
            ),
        )
        results.append(result("ratio", "Launched ÷ ground", r.ratio))
        if r.ratio is None:
            notes.append(_FREE_GROUND_POWER)
    else:
        notes.append("Add power= and lifetime= for the launched power price per kW per year.")
    inputs |= {"electricity": electricity, "pue": pue}
    notes.append(
        "Like Suncatcher's, this compares launch alone with ground power alone; satellite "
        "build, radiators and replacements are left out."
    )
    return to_response(
        Report(
            calculator="launch",
            title=f"Launch: {u.format_money(r.cost)} for {mass.text} at {price.text}",
            inputs=inputs,
            results=results,
            formula=(
                "cost = mass × price per kg; launches = ⌈mass ÷ payload⌉",
                "launched power price = mass × price per kg ÷ (power in kW × lifetime in years)",
                "ground power spend = price per kWh × 8,760 h × PUE",
            ),
            notes=notes,
        )
    )


@command(
    "orbital learning",
    examples=(
        "orbital learning",
        "orbital learning rate=18% target=300$/kg",
        "orbital learning mass=10000t",
    ),
    computes=LEARNING,
)
async def learning(
    ctx: Context,
    *,
    mass: OptMass = None,
    target: PositivePricePerKg = d.TARGET_PRICE,
    rate: Rate = d.LEARNING_RATE,
    start_price: PositivePricePerKg = d.START_PRICE,
    start_mass: Mass = d.START_MASS,
    payload: Mass = d.STARSHIP_PAYLOAD,
) -> Response:
    """Wright's-law launch price after a cumulative launched mass, and the mass for a target."""
    r = compute(
        LEARNING,
        start_price=start_price,
        start_mass=start_mass,
        rate=rate,
        mass=mass,
        target=target,
        payload=payload,
    )
    inputs = {"start_price": start_price, "start_mass": start_mass, "rate": rate, "target": target}
    if mass is not None:
        inputs["mass"] = mass
    inputs["payload"] = payload
    results = []
    if r.price_at_mass is not None and mass is not None:
        results.append(
            result("price_at_mass", f"Price after {mass.text}", r.price_at_mass, u.PRICE_PER_MASS)
        )
    results += [
        result(
            "mass_for_target_kg", f"Cumulative mass for {target.text}", r.mass_for_target_kg, u.MASS
        ),
        result("additional_mass_kg", "Still to launch", r.additional_mass_kg, u.MASS),
        result("launches_for_additional", f"Launches at {payload.text}", r.launches_for_additional),
        result("exponent", "Exponent b", r.exponent),
    ]
    return to_response(
        Report(
            calculator="learning",
            title=f"Learning curve: {target.text} after "
            f"{u.format_value(r.mass_for_target_kg or 0, u.MASS)} launched in total",
            inputs=inputs,
            results=results,
            formula=(
                "price(M) = start price × (M ÷ start mass)^b, b = log₂(1 − rate)",
                "mass for a target = start mass × (target ÷ start price)^(1/b)",
            ),
            notes=(
                "Suncatcher: ~370,000 t more (~1,800 Starship launches) to reach ≲$200/kg by "
                "the mid-2030s; it says this is not a full economic analysis.",
            ),
        )
    )


@command(
    "orbital link",
    examples=("orbital link distance=1000km", "orbital link distance=5400km losses=6dB"),
    computes=LINK,
)
async def link(
    ctx: Context,
    *,
    distance: Distance,
    tx_power: LinkPower = d.TX_POWER,
    tx_gain: Decibel = d.GAIN,
    rx_gain: Decibel = d.GAIN,
    wavelength: Wavelength = d.WAVELENGTH,
    losses: Loss = d.LOSSES,
) -> Response:
    """Received power of a free-space optical link between satellites (Friis equation)."""
    r = compute(
        LINK,
        tx_power=tx_power,
        tx_gain=tx_gain,
        rx_gain=rx_gain,
        wavelength=wavelength,
        distance=distance,
        losses=losses,
    )
    inputs = {
        "distance": distance,
        "tx_power": tx_power,
        "tx_gain": tx_gain,
        "rx_gain": rx_gain,
        "wavelength": wavelength,
        "losses": losses,
    }
    notes = []
    if r.near_field:
        notes.append(
            "Too close for the far-field (Friis) formula: it would deliver more than was sent, "
            "so the answer is capped at the transmitted power less losses."
        )
    notes.append("Suncatcher's bench demo reached 800 Gbps each way with COTS parts.")
    return to_response(
        Report(
            calculator="link",
            title=f"Optical link over {distance.text}: {u.format_value(r.received_w, u.POWER)} received",
            inputs=inputs,
            results=[
                result("free_space_loss_db", "Free-space loss", r.free_space_loss_db, suffix="dB"),
                result("received_dbm", "Received", r.received_dbm, suffix="dBm"),
                result("received_w", "Received power", r.received_w, u.POWER),
            ],
            formula=(
                "free-space loss = 20 × log₁₀(4π × distance ÷ wavelength)",
                "received (dBm) = transmit (dBm) + tx gain + rx gain − free-space loss − losses",
            ),
            notes=notes,
            extra={"near_field": r.near_field},
        )
    )


@command(
    "orbital datacenter",
    examples=(
        "orbital datacenter",
        "orbital datacenter power=1GW price=200$/kg payload=200t",
        "orbital datacenter power=40MW temp=60C build=22$/W",
    ),
    deadline=5.0,
    computes=DATACENTER,
)
async def datacenter(
    ctx: Context,
    *,
    power: Power = d.DC_POWER,
    temp: Temp = d.TEMPERATURE,
    emissivity: PosFraction = d.EMISSIVITY,
    absorptivity: Fraction = d.ABSORPTIVITY,
    irradiance: Flux = d.SOLAR_FLUX,
    efficiency: PosFraction = d.EFFICIENCY,
    fill: PosFraction = d.FILL_FACTOR,
    sunlit: PosFraction = d.SUNLIT,
    specific_power: SpecificPower = d.SPECIFIC_POWER,
    radiator_mass: ArealMass = d.RADIATOR_MASS,
    compute_mass: KgPerKw = d.COMPUTE_MASS,
    price: PricePerKg = d.LAUNCH_PRICE,
    payload: Mass = d.PAYLOAD,
    lifetime: Years = d.LIFETIME,
    build: PricePerW = d.BUILD_COST,
    electricity: PricePerKwh = d.ELECTRICITY,
    pue: Ratio = d.PUE,
) -> Response:
    """End-to-end sizing of an orbital data center: areas, mass, launches, cost per kWh."""
    r = compute(
        DATACENTER,
        power=power,
        temp=temp,
        emissivity=emissivity,
        absorptivity=absorptivity,
        irradiance=irradiance,
        efficiency=efficiency,
        fill=fill,
        sunlit=sunlit,
        specific_power=specific_power,
        radiator_mass=radiator_mass,
        compute_mass=compute_mass,
        price=price,
        payload=payload,
        lifetime=lifetime,
        build=build,
        electricity=electricity,
        pue=pue,
    )
    inputs = {
        "power": power,
        "temp": temp,
        "emissivity": emissivity,
        "absorptivity": absorptivity,
        "irradiance": irradiance,
        "efficiency": efficiency,
        "fill": fill,
        "sunlit": sunlit,
        "specific_power": specific_power,
        "radiator_mass": radiator_mass,
        "compute_mass": compute_mass,
        "price": price,
        "payload": payload,
        "lifetime": lifetime,
        "build": build,
        "electricity": electricity,
        "pue": pue,
    }
    results = [
        result("solar_area_m2", "Solar array", r.solar_area_m2, u.AREA),
        result("radiator_area_m2", "Radiator", r.radiator_area_m2, u.AREA),
        result("total_mass_kg", "Mass", r.total_mass_kg, u.MASS),
        result("launches", "Launches", r.launches),
        result("launch_cost", "Launch cost", r.launch_cost, u.MONEY),
        result("build_cost", "Build cost", r.build_cost, u.MONEY),
        result("cost_per_kwh", "Space $/kWh", r.cost_per_kwh, u.MONEY, suffix="per kWh"),
        result(
            "terrestrial_per_kwh", "Ground $/kWh", r.terrestrial_per_kwh, u.MONEY, suffix="per kWh"
        ),
        result("ratio", "Space ÷ ground", r.ratio),
        result("solar_mass_kg", "Array mass", r.solar_mass_kg, u.MASS),
        result("radiator_mass_kg", "Radiator mass", r.radiator_mass_kg, u.MASS),
        result("compute_mass_kg", "Compute mass", r.compute_mass_kg, u.MASS),
    ]
    return to_response(
        Report(
            calculator="datacenter",
            title=f"Orbital data center, {power.text}: {u.format_money(r.cost_per_kwh)}/kWh "
            f"vs {u.format_money(r.terrestrial_per_kwh)}/kWh on the ground",
            inputs=inputs,
            results=results,
            assumptions=(
                "view factor, albedo and Earth temperature as in /orbital radiator",
                "every watt used ends as heat in the radiator; storage for eclipses left out",
            ),
            formula=(
                "array in sunlight = power ÷ sunlit; area = that ÷ (irradiance × efficiency × fill)",
                "radiator area = power ÷ net flux (see /orbital radiator)",
                "mass = array power ÷ specific power + radiator area × areal mass + kW × kg/kW",
                "launch cost = mass × price; launches = ⌈mass ÷ payload⌉",
                "space $/kWh = (launch + build) ÷ (kW × 8,760 h × lifetime)",
                "ground $/kWh = electricity price × PUE (power only)",
            ),
            notes=(
                "Ground figure is power spend only; the space figure leaves out ground "
                "stations, assembly, replacements and operations.",
                *([_FREE_GROUND_POWER] if r.ratio is None else []),
            ),
        )
    )
