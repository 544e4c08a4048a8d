"""The worked examples of research/orbital.md §3, reproduced by the pure calculators.

Each test names its example (W1, W2 ...) and uses the tolerance the note states, or, where it
states none, half a unit in the last digit the source published.
"""

from __future__ import annotations

import math

import pytest

from commands.orbital import calculators as calc
from commands.orbital.calculators import InputError

STARCLOUD_RADIATOR = {
    "temperature_k": 293.15,
    "emissivity": 0.92,
    "absorptivity": 0.09,
    "solar_flux": 1366.0,
    "view_factor": 0.25,
    "albedo": 0.3,
    "earth_temperature_k": 253.15,
    "ir_absorptivity": 0.09,  # Starcloud used the solar absorptivity for Earth's infrared
}


def test_w1_starcloud_radiator_net_flux() -> None:
    r = calc.radiator(**STARCLOUD_RADIATOR, sigma=calc.SIGMA_ROUNDED)
    assert r.emitted == pytest.approx(770.48, abs=0.1)
    assert r.solar_absorbed == pytest.approx(122.94, abs=0.1)
    assert r.earth_absorbed == pytest.approx(14.46, abs=0.1)
    assert r.net_flux == pytest.approx(633.08, abs=0.1)


def test_w1_with_codata_sigma_and_the_spectral_variant() -> None:
    assert calc.radiator(**STARCLOUD_RADIATOR).net_flux == pytest.approx(633.13, abs=0.1)
    spectral = {**STARCLOUD_RADIATOR, "ir_absorptivity": 0.92}
    assert calc.radiator(**spectral, sigma=calc.SIGMA_ROUNDED).net_flux == pytest.approx(
        584.76, abs=0.1
    )
    # By default the Earth-infrared absorptivity is the emissivity (the spectral case).
    default = {k: v for k, v in STARCLOUD_RADIATOR.items() if k != "ir_absorptivity"}
    assert calc.radiator(**default, sigma=calc.SIGMA_ROUNDED).net_flux == pytest.approx(
        584.76, abs=0.1
    )


def test_w1_black_plate_cross_check() -> None:
    black = calc.radiator(
        temperature_k=293.15,
        emissivity=1.0,
        absorptivity=0.0,
        solar_flux=0.0,
        view_factor=0.0,
        albedo=0.0,
        earth_temperature_k=253.15,
        sigma=calc.SIGMA_ROUNDED,
    )
    assert black.net_flux == pytest.approx(837.5, abs=0.1)  # published "about 838 W"
    assert calc.radiator(  # CODATA σ rounds to the published 838
        temperature_k=293.15,
        emissivity=1.0,
        absorptivity=0.0,
        solar_flux=0.0,
        view_factor=0.0,
        albedo=0.0,
        earth_temperature_k=253.15,
    ).net_flux == pytest.approx(838, abs=0.5)


@pytest.mark.parametrize(
    ("load_w", "area_m2", "tolerance"),
    [(40e6, 63_183.1, 0.5), (120e3, 189.55, 0.005), (150e3, 236.94, 0.005)],
)
def test_w2_radiator_area_for_a_heat_load(load_w: float, area_m2: float, tolerance: float) -> None:
    r = calc.radiator(**STARCLOUD_RADIATOR, sigma=calc.SIGMA_ROUNDED, heat_load_w=load_w)
    assert r.area_m2 == pytest.approx(area_m2, abs=tolerance)


def test_w2_five_gigawatts_and_the_solar_to_radiator_ratio() -> None:
    r = calc.radiator(**STARCLOUD_RADIATOR, sigma=calc.SIGMA_ROUNDED, heat_load_w=5e9)
    assert r.area_m2 is not None
    assert r.area_m2 / 1e6 == pytest.approx(7.90, abs=0.005)
    assert math.sqrt(r.area_m2) / 1000 == pytest.approx(2.81, abs=0.005)
    forty = calc.radiator(**STARCLOUD_RADIATOR, sigma=calc.SIGMA_ROUNDED, heat_load_w=40e6)
    assert forty.area_m2 is not None
    assert 128_000 / forty.area_m2 == pytest.approx(2.02, abs=0.01)  # angadh prints 2.02


def test_w4_starlink_v2_mini_power_from_panel_area() -> None:
    r = calc.solar(
        irradiance=1361, efficiency=0.22, fill_factor=0.9, sunlit_fraction=1.0, area_m2=105
    )
    assert r.power_w / 1000 == pytest.approx(28.3, abs=0.05)


def test_w5_terrestrial_power_spend_per_kw_year() -> None:
    low = calc.terrestrial_power_cost(price_per_kwh=0.06, pue=1.09)
    high = calc.terrestrial_power_cost(price_per_kwh=0.25, pue=1.4)
    assert low == pytest.approx(573, abs=0.5)
    assert high == pytest.approx(3066, abs=0.5)
    assert calc.terrestrial_power_cost(price_per_kwh=0.0977, pue=1.0) == pytest.approx(856, abs=0.5)


def test_w9_starcloud_ten_year_economics() -> None:
    energy = calc.energy_kwh(power_w=40e6, years=10)
    assert energy == pytest.approx(3.504e9)
    terrestrial = calc.terrestrial_power_cost(price_per_kwh=0.04, pue=1.0) * 40_000 * 10
    assert terrestrial / 1e6 == pytest.approx(140.2, abs=0.05)
    assert (2e6 + 5e6) / energy == pytest.approx(0.0020, abs=0.00005)
    # $5M for 100 t is $50/kg, not the printed $30/kg: at $30/kg 100 t costs $3M.
    assert calc.launch(mass_kg=100e3, price_per_kg=50).cost == pytest.approx(5e6)
    assert calc.launch(mass_kg=100e3, price_per_kg=30).cost == pytest.approx(3e6)


def test_w10_starcloud_five_gigawatt_array_check() -> None:
    def power(area: float, flux: float = 1361, eff: float = 0.22) -> float:
        return calc.solar(
            irradiance=flux, efficiency=eff, fill_factor=0.9, sunlit_fraction=1.0, area_m2=area
        ).power_w

    assert power(16e6) / 1e9 == pytest.approx(4.31, abs=0.005)
    assert power(16e6, flux=1366) / 1e9 == pytest.approx(4.33, abs=0.005)
    assert 5e9 / power(16e6, eff=1.0) == pytest.approx(0.255, abs=0.0005)  # efficiency for 5 GW
    side = math.sqrt(
        calc.solar(
            irradiance=1361, efficiency=0.22, fill_factor=0.9, sunlit_fraction=1.0, power_w=5e9
        ).area_m2
    )
    assert side / 1000 == pytest.approx(4.3, abs=0.05)
    marcy = calc.solar(
        irradiance=1361, efficiency=0.25, fill_factor=1.0, sunlit_fraction=1.0, power_w=5e9
    )
    assert marcy.area_m2 / 1e6 == pytest.approx(14.7, abs=0.05)


def test_w14_turyshev_launch_and_build_allowance() -> None:
    # $10,000-40,000 per kW at 40 kg/kW is $250-1,000 per kg.
    assert calc.launch(mass_kg=40, price_per_kg=250).cost == pytest.approx(10_000)
    assert calc.launch(mass_kg=40, price_per_kg=1000).cost == pytest.approx(40_000)


def test_w15_launch_price_arithmetic() -> None:
    assert calc.launch(mass_kg=22_800, price_per_kg=2720).cost / 1e6 == pytest.approx(62, abs=0.05)
    shuttle = calc.launch(mass_kg=27_500, price_per_kg=54_500).cost
    assert shuttle / 1e9 == pytest.approx(1.5, abs=0.005)
    dragon = calc.launch(mass_kg=6000, price_per_kg=23_300).cost
    assert dragon / 1e6 == pytest.approx(140, abs=0.5)
    assert calc.launch(mass_kg=50, price_per_kg=7000).cost == pytest.approx(350_000)


def test_w16_spacex_filing_flights() -> None:
    memo = calc.launch(mass_kg=1e9, price_per_kg=0, payload_kg=200e3)
    assert memo.launches == 5000
    assert memo.launches / 365 == pytest.approx(13.7, abs=0.05)
    # 300 GW/yr at 100 kW/t (10 kg/kW) is 3 Mt/yr, 15,000 flights of 200 t.
    assert calc.launch(mass_kg=300e6 * 10, price_per_kg=0, payload_kg=200e3).launches == 15_000


def test_suncatcher_launched_power_price() -> None:
    at_200 = calc.launch(mass_kg=575, price_per_kg=200, power_w=28e3, lifetime_years=5)
    at_3600 = calc.launch(mass_kg=575, price_per_kg=3600, power_w=28e3, lifetime_years=5)
    assert at_200.launched_power_price == pytest.approx(810, rel=0.02)  # published ~$810
    assert at_3600.launched_power_price == pytest.approx(14_700, rel=0.01)


def test_suncatcher_learning_curve() -> None:
    r = calc.learning(
        start_price=1800,
        start_mass_kg=400e3,
        learning_rate=0.2,
        target_price=200,
        payload_kg=200e3,
        mass_kg=(400 + 370_000) * 1000,
    )
    assert r.additional_mass_kg is not None and r.launches_for_additional is not None
    assert r.additional_mass_kg / 1000 == pytest.approx(370_000, rel=0.01)  # "~370,000 t more"
    assert r.launches_for_additional == pytest.approx(1800, rel=0.03)  # "~1,800 launches"
    assert r.price_at_mass == pytest.approx(200, rel=0.01)
    cheaper = calc.learning(
        start_price=1800, start_mass_kg=400e3, learning_rate=0.2, target_price=300
    )
    assert cheaper.additional_mass_kg is not None
    assert cheaper.additional_mass_kg / 1000 == pytest.approx(104_000, rel=0.01)


@pytest.mark.parametrize(
    ("altitude_km", "eclipse_min", "delay_ms"),
    [
        (325, None, 1.08),
        (400, 36.1, None),
        (550, 35.6, 1.83),
        (650, 35.4, 2.17),
        (2000, None, 6.67),
    ],
)
def test_orbit_eclipse_and_delay_table(
    altitude_km: float, eclipse_min: float | None, delay_ms: float | None
) -> None:
    r = calc.orbit(altitude_m=altitude_km * 1000)
    if eclipse_min is not None:
        assert r.eclipse_s / 60 == pytest.approx(eclipse_min, abs=0.05)
    if delay_ms is not None:
        assert r.delay_down_s * 1000 == pytest.approx(delay_ms, abs=0.005)


def test_orbit_550_km_period_and_sunlit_fraction() -> None:
    r = calc.orbit(altitude_m=550e3)
    assert r.period_s / 60 == pytest.approx(95.6, abs=0.05)
    assert r.sunlit_fraction == pytest.approx(0.628, abs=0.0005)


def test_orbit_slant_range_grows_as_elevation_falls() -> None:
    overhead = calc.orbit(altitude_m=550e3, elevation_deg=90)
    assert overhead.slant_range_m == pytest.approx(550e3, rel=1e-9)
    low = calc.orbit(altitude_m=550e3, elevation_deg=25)
    assert low.slant_range_m is not None and low.delay_slant_s is not None
    assert 1000e3 < low.slant_range_m < 1200e3
    assert low.delay_slant_s > overhead.delay_down_s


def test_link_friis_and_near_field_cap() -> None:
    far = calc.link(
        tx_power_w=5, tx_gain_db=105.1, rx_gain_db=105.1, wavelength_m=1.55e-6, distance_m=1e6
    )
    expected_fspl = 20 * math.log10(4 * math.pi * 1e6 / 1.55e-6)
    assert far.free_space_loss_db == pytest.approx(expected_fspl)
    assert far.received_dbm == pytest.approx(10 * math.log10(5000) + 210.2 - expected_fspl)
    assert not far.near_field
    near = calc.link(
        tx_power_w=5, tx_gain_db=105.1, rx_gain_db=105.1, wavelength_m=1.55e-6, distance_m=200
    )
    assert near.near_field and near.received_w == pytest.approx(5.0)


def test_datacenter_adds_up_its_parts() -> None:
    r = calc.datacenter(
        power_w=40e6,
        temperature_k=293.15,
        emissivity=0.92,
        absorptivity=0.09,
        view_factor=0.25,
        albedo=0.3,
        earth_temperature_k=253.15,
        irradiance=1361,
        efficiency=0.22,
        fill_factor=0.9,
        sunlit_fraction=0.98,
        solar_specific_power=150,
        radiator_areal_mass=5,
        compute_kg_per_kw=11.3,
        price_per_kg=3600,
        payload_kg=17_500,
        lifetime_years=5,
        build_cost_per_w=0,
        electricity_price_per_kwh=0.0977,
        pue=1.56,
    )
    assert r.solar_area_m2 == pytest.approx(40e6 / 0.98 / (1361 * 0.22 * 0.9))
    assert r.total_mass_kg == pytest.approx(r.solar_mass_kg + r.radiator_mass_kg + 452_000)
    assert r.launches == math.ceil(r.total_mass_kg / 17_500)
    assert r.launch_cost == pytest.approx(r.total_mass_kg * 3600)
    assert r.cost_per_kwh == pytest.approx(r.launch_cost / (40_000 * 8760 * 5))
    assert r.terrestrial_per_kwh == pytest.approx(0.0977 * 1.56)


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: calc.radiator(**{**STARCLOUD_RADIATOR, "emissivity": 1.2}), "emissivity"),
        (lambda: calc.radiator(**{**STARCLOUD_RADIATOR, "temperature_k": -5}), "temp"),
        (lambda: calc.radiator(**STARCLOUD_RADIATOR, heat_load_w=-1), "heat"),
        (
            lambda: calc.solar(
                irradiance=1361, efficiency=0.22, fill_factor=0.9, sunlit_fraction=1
            ),
            "power",
        ),
        (lambda: calc.orbit(altitude_m=-1), "altitude"),
        (lambda: calc.launch(mass_kg=0, price_per_kg=1), "mass"),
        (lambda: calc.launch(mass_kg=1, price_per_kg=1, power_w=1), "lifetime"),
        (lambda: calc.learning(start_price=1, start_mass_kg=1, learning_rate=1.5), "rate"),
        (lambda: calc.terrestrial_power_cost(price_per_kwh=0.1, pue=0.5), "pue"),
    ],
)
def test_nonsense_inputs_name_the_parameter(call: object, param: str) -> None:
    with pytest.raises(InputError) as info:
        call()  # type: ignore[operator]
    assert info.value.param == param


def test_a_cold_plate_cannot_reject_heat() -> None:
    with pytest.raises(InputError, match="absorbs more than it radiates"):
        calc.radiator(**{**STARCLOUD_RADIATOR, "temperature_k": 150.0}, heat_load_w=1e6)
