"""Calculator defaults, each with its source (research/orbital.md, sections 2 and 3).

Every default is written the way a user would type it and carries the citation shown beside
it in answers; users override any of them with `name=value`.
"""

from __future__ import annotations

from commands._shared import units as u
from commands._shared.units import Measure

_STARCLOUD = "Starcloud white paper v1.03, Sep 2024, p. 9 (https://starcloudinc.github.io/wp.pdf)"
_SUNCATCHER = "Google Project Suncatcher, arXiv:2511.19468 (https://arxiv.org/abs/2511.19468)"

# Radiator
TEMPERATURE = u.measure("20C", u.TEMPERATURE, f"mean radiator temperature, {_STARCLOUD}")
EMISSIVITY = u.measure(
    "0.92", u.FRACTION, f"radiator coating, {_STARCLOUD} citing NASA NTRS 19840015630"
)
ABSORPTIVITY = u.measure("0.09", u.FRACTION, f"solar absorptivity, {_STARCLOUD}")
SOLAR_FLUX = u.measure(
    "1361W/m2",
    u.IRRADIANCE,
    "total solar irradiance 1360.8 ± 0.5 W/m², Kopp & Lean 2011 (SORCE/TIM); Starcloud used 1366",
)
VIEW_FACTOR = u.measure("0.25", u.FRACTION, f"Earth view factor, {_STARCLOUD}")
ALBEDO = u.measure("0.3", u.FRACTION, "Earth albedo, McCalip math.js constants; Starcloud wp")
EARTH_TEMPERATURE = u.measure("-20C", u.TEMPERATURE, f"Earth temperature, {_STARCLOUD}")
IR_ABSORPTIVITY_NOTE = (
    "equal to the emissivity (Kirchhoff's law for a grey body); Starcloud's 633 W/m² used the "
    "solar absorptivity here (pass ir_absorptivity=0.09 to reproduce it)"
)

# Solar
EFFICIENCY = u.measure(
    "0.22", u.FRACTION, f"silicon cells assumed by Starcloud (wp) and Suncatcher ({_SUNCATCHER})"
)
FILL_FACTOR = u.measure("0.9", u.FRACTION, "packing/fill factor used by Starcloud and Suncatcher")
SUNLIT = u.measure(
    "0.98",
    u.FRACTION,
    "dawn-dusk sun-synchronous orbit ~98% sunlit (jman4162/spacedc-mdao; McCalip 'terminator')",
)

# Orbit
ALTITUDE = u.measure(
    "550km", u.LENGTH, "Starlink shell 1 altitude (god.ad/learn/how-starlink-works)"
)

# Launch and economics
LAUNCH_PRICE = u.measure(
    "3600$/kg",
    u.PRICE_PER_MASS,
    f"Falcon 9 today, reusable ({_SUNCATCHER}; TechCrunch 11 Feb 2026; SpaceNews Mar 2026)",
)
PAYLOAD = u.measure("17.5t", u.MASS, "Falcon 9 reusable capacity ~17.5-18.5 t (orbital.md §2)")
LIFETIME = u.measure(
    "5y", u.DURATION, f"satellite life assumed by Suncatcher ({_SUNCATCHER}); TechCrunch ~5 yr"
)
ELECTRICITY = u.measure(
    "0.0977$/kWh",
    u.PRICE_PER_ENERGY,
    "US industrial electricity 9.77 ¢/kWh, Jul 2026 (ARA note; secondary)",
)
PUE = u.measure(
    "1.56", u.RATIO, "industry-average PUE 2024, Uptime Institute (new large sites ≤1.3)"
)

# Learning curve (Wright's law)
START_PRICE = u.measure(
    "1800$/kg", u.PRICE_PER_MASS, f"Falcon Heavy at introduction, {_SUNCATCHER} §4.4"
)
START_MASS = u.measure(
    "400t", u.MASS, f"cumulative launched mass at the start point, {_SUNCATCHER} §4.4"
)
LEARNING_RATE = u.measure(
    "20%", u.FRACTION, f"learning rate per doubling (range 18-24%), {_SUNCATCHER} §2.4"
)
TARGET_PRICE = u.measure(
    "200$/kg", u.PRICE_PER_MASS, f"price at which launch is 'roughly comparable', {_SUNCATCHER}"
)
STARSHIP_PAYLOAD = u.measure("200t", u.MASS, f"Starship payload assumed by {_SUNCATCHER}")

# Optical link (Suncatcher §2.1/§4.2)
TX_POWER = u.measure("5W", u.POWER, f"transmit power, {_SUNCATCHER} §4.2")
GAIN = u.measure("105.1dB", u.DECIBEL, f"10 cm aperture gain, {_SUNCATCHER} §4.2")
WAVELENGTH = u.measure("1.55um", u.LENGTH, f"C-band optical wavelength, {_SUNCATCHER} §4.2")
LOSSES = u.measure("0dB", u.DECIBEL, "none assumed; add pointing and optics losses with losses=")

# Data center sizing
DC_POWER = u.measure("40MW", u.POWER, "Starcloud's 40 MW cluster (wp v1.03)")
SPECIFIC_POWER = u.measure(
    "150W/kg",
    u.SPECIFIC_POWER,
    "state-of-the-art flexible array blankets (NASA NTRS 20150006022; spacedc-mdao); "
    "ISS arrays ~28 W/kg",
)
RADIATOR_MASS = u.measure(
    "5kg/m2",
    u.AREAL_MASS,
    "heat-pipe radiators 'at least 5 kg/m²' (spacedc-mdao estimate); ISS radiators 14-17.5 kg/m²",
)
COMPUTE_MASS = u.measure(
    "11.3kg/kW", u.MASS_PER_POWER, "GB200 NVL72 rack: 1.36 t for ~120 kW (ServeTheHome/GTC 2024)"
)
BUILD_COST = u.measure(
    "0$/W",
    u.PRICE_PER_POWER,
    "launch only, as in Suncatcher's comparison; Starlink-class build is ~22 $/W (McCalip)",
)


def source_of(value: Measure) -> str:
    """Where an input came from: its default's citation, or 'you gave' when typed."""
    return value.source or "you gave"
