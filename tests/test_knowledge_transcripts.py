"""Deals, claims and calculators as a person would use them, through the console adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.response import Response
from tests.conftest import Chat, make_settings, pinned_clock
from tests.fakes.yahoo_server import FakeYahoo

# Statuses are judged against the app's clock: pinned, five months after the deal book's date.
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
async def app(tmp_path: Path, fake_yahoo: FakeYahoo) -> AsyncIterator[App]:
    built = App.build(make_settings(tmp_path, fake_yahoo.base_url), clock=ManualClock(NOW))
    await built.start()
    yield built
    await built.close()


def assert_fits_chat_limits(answer: Response) -> None:
    """Discord/Slack limits: ≤10 cards, ≤25 fields, titles ≤256, field values ≤1024."""
    assert len(answer.cards) <= 10
    for card in answer.cards:
        assert len(card.title) <= 256
        assert len(card.fields) <= 25
        for field in card.fields:
            assert 0 < len(field.name) <= 256 and 0 < len(field.value) <= 1024


async def test_acquisitions_for_a_company_newest_first(chat: Chat) -> None:
    answer = await chat("acquisitions spacex")
    assert answer.kind == "ok"
    ids = [d["id"] for d in answer.data["deals"]]
    assert ids[:2] == ["spacex-cursor", "spacex-xai"]
    assert "page 1 of 1" in answer.cards[0].footer
    assert "$60B implied equity value" in answer.text
    assert_fits_chat_limits(answer)
    by_ticker = await chat("acquisitions SPCX")
    assert [d["id"] for d in by_ticker.data["deals"]] == ids


async def test_acquisitions_filter_by_year_and_value_in_any_order(chat: Chat) -> None:
    answer = await chat("acquisitions 2025 10B")
    assert answer.data["filters"] == {"company": None, "year": 2025, "min_value": 10e9}
    assert answer.data["deals"]
    for deal in answer.data["deals"]:
        assert deal["announced"].startswith("2025") and deal["value"]["usd"] >= 10e9
    google = await chat("acquisitions google min_value=$2B year=2025")
    assert {d["id"] for d in google.data["deals"]} == {
        "alphabet-wiz",
        "alphabet-intersect",
        "google-windsurf",
    }


async def test_acquisitions_refuse_a_second_year_or_amount_and_count_one_deal(chat: Chat) -> None:
    # A second year or amount used to be searched for as a company name ("for '2024'").
    answer = await chat("acquisitions 2025 2024")
    assert answer.kind == "usage"
    assert answer.text.startswith("year was given more than once (2025 and 2024).")
    assert (await chat("acquisitions 10B 20B")).text.startswith(
        "min_value was given more than once ($10B and 20B)."
    )
    one = await chat("acquisitions google 2025 10B")
    assert one.cards[0].footer.startswith("page 1 of 1 · 1 deal · ")  # was "1 deals"
    too_far = await chat("acquisitions spacex page=2")
    assert too_far.text.startswith("page: there is only 1 page.")  # was "there is only 1."


async def test_acquisitions_are_paged_within_limits(chat: Chat) -> None:
    first = await chat("acquisitions")
    pages = first.data["pages"]
    assert pages > 1 and len(first.data["deals"]) == 8
    assert f"page 1 of {pages}" in first.cards[0].footer and "next: page=2" in first.cards[0].footer
    second = await chat("acquisitions page=2")
    assert f"page 2 of {pages}" in second.cards[0].footer
    assert not {d["id"] for d in first.data["deals"]} & {d["id"] for d in second.data["deals"]}
    too_far = await chat("acquisitions page=40")
    assert too_far.kind == "usage" and "page" in too_far.text


async def test_no_matching_deal_says_so(chat: Chat) -> None:
    answer = await chat("acquisitions zzyzx")
    assert answer.kind == "not_found"
    assert "No deals in the deal book for 'zzyzx'" in answer.text


async def test_one_deal_in_full_with_sources(chat: Chat) -> None:
    answer = await chat("acquisition cursor")
    assert answer.kind == "ok"
    card = answer.cards[0]
    fields = {f.name: f.value for f in card.fields}
    assert card.title == "SpaceX → Cursor"
    # Past its expected close (Q3 2026) with no newer source: it says so, and since when.
    assert fields["Status"] == (
        "pending: expected close (Q3 2026) passed; status unconfirmed since 2026-06-26"
    )
    assert fields["Expected close"] == "Q3 2026"
    assert "$60B" in fields["Headline value"]
    assert (
        "https://clankandslop.com/editions/2026-06-16/articles/spacex-buys-the-coder.json"
        in fields["Sources"]
    )
    assert "Where reports disagree" in fields
    # The June 16 agreement was filed, but pages disagree on whether it closed since.
    assert answer.data["deal"]["verification"] == "disputed"
    assert "DISPUTED whether it closed" in fields["Where reports disagree"]
    assert "status as of 2026-06-26" in card.footer
    assert_fits_chat_limits(answer)


async def test_an_ambiguous_target_lists_the_deal_ids(chat: Chat) -> None:
    answer = await chat("acquisition windsurf")
    assert answer.data["matches"] == ["cognition-windsurf", "google-windsurf", "openai-windsurf"]
    assert "acquisition google-windsurf" in answer.text
    exact = await chat("acquisition google-windsurf")
    assert exact.data["deal"]["id"] == "google-windsurf"


async def test_an_unknown_target_suggests_close_names(chat: Chat) -> None:
    answer = await chat("acquisition cursr")
    assert answer.kind == "not_found"
    assert "spacex-cursor" in answer.data["suggestions"]


async def test_impact_matches_the_closes_yahoo_serves(chat: Chat, app: App) -> None:
    answer = await chat("acquisition wiz impact")
    assert answer.kind == "ok", answer.text
    history = await app.market.history("GOOGL", "max", "1d")
    zone = ZoneInfo(history.exchange_tz)
    closes = [(b.time.astimezone(zone).date(), b.close) for b in history.bars]
    base = max(i for i, (day, _) in enumerate(closes) if day < date(2025, 3, 18))
    assert answer.data["base"] == {"date": closes[base][0].isoformat(), "close": closes[base][1]}
    assert closes[base][0] == date(2025, 3, 17)  # the last close before the announcement
    # Wiz was announced on Tuesday 2025-03-18, a session: that day is day 0, so "1 trading
    # day after" is Wednesday (it used to be the announcement day itself). Day 30 skips Good
    # Friday (Apr 18).
    dates = {move["days"]: move["date"] for move in answer.data["moves"]}
    assert dates == {1: "2025-03-19", 5: "2025-03-25", 30: "2025-04-30"}
    for move in answer.data["moves"]:
        day, close = closes[base + 1 + move["days"]]
        assert move["date"] == day.isoformat()
        assert move["change_pct"] == pytest.approx((close / closes[base][1] - 1) * 100)
    assert "  1 trading day after: " in answer.text
    assert answer.text.split("  1 trading day after: ")[1].split("\n")[0].endswith(" on 2025-03-19")
    assert [f.name for f in answer.cards[0].fields] == [
        "Last close before",
        "1 trading day after",
        "5 trading days after",
        "30 trading days after",
    ]


async def test_impact_before_the_ipo_is_explained(chat: Chat) -> None:
    answer = await chat("acquisition xai impact")
    assert answer.data["reason"] == "listed_later"
    assert "first traded on 2026-06-12" in answer.text


async def test_impact_of_cursor_uses_the_agreement_after_the_ipo(chat: Chat, app: App) -> None:
    answer = await chat("acquisition cursor impact")
    assert answer.kind == "ok", answer.text
    assert answer.data["event"] == "2026-06-16"
    assert "not listed when the deal was announced on 2026-04-21" in answer.text
    history = await app.market.history("SPCX", "max", "1d")
    first_day = history.bars[0].time.astimezone(ZoneInfo(history.exchange_tz)).date()
    assert first_day == date(2026, 6, 12)
    assert answer.data["base"]["date"] == "2026-06-15"


async def test_impact_for_a_private_acquirer_is_explained(chat: Chat) -> None:
    answer = await chat("acquisition io impact")
    assert answer.data["reason"] == "private"
    assert "OpenAI is not listed" in answer.text


async def test_impact_older_than_the_history_is_explained(chat: Chat) -> None:
    answer = await chat("acquisition twitch impact")
    assert answer.data["reason"] == "no_history_before"


async def test_orbital_claims_list_and_one_claim_with_checks(chat: Chat) -> None:
    listing = await chat("orbital claims starcloud")
    assert listing.kind == "ok" and listing.data["total"] >= 8
    assert_fits_chat_limits(listing)
    flagged = await chat("orbital claims contradicted")
    assert {c["id"] for c in flagged.data["claims"]} == {
        "starcloud-5gw-array",
        "starcloud-launch-30-per-kg",
    }
    one = await chat("orbital claim starcloud-launch-30-per-kg")
    fields = {f.name: f.value for f in one.cards[0].fields}
    assert fields["Status"] == "contradicted by its own numbers"
    assert (
        "stated $5M" in fields["Calculator checks"] and "gives $3M" in fields["Calculator checks"]
    )
    assert "https://starcloudinc.github.io/wp.pdf" in fields["Sources"]
    by_ref = await chat("orbital claim C14")
    assert by_ref.data["claim"]["id"] == "suncatcher-launched-power-price"
    # Every claim answer says how fresh it is, and never cites a research file not shipped.
    assert "claims as of 2026-06-17" in listing.cards[0].footer
    assert one.cards[0].footer == (
        "claim starcloud-launch-30-per-kg · claims as of 2026-06-17 · sources listed"
    )
    assert "research/" not in one.cards[0].footer and "(claims as of 2026-06-17)" in one.text
    assert_fits_chat_limits(one)


async def test_a_claim_without_a_web_address_says_it_is_unsourced(chat: Chat) -> None:
    answer = await chat("orbital claim bezos-gigawatt-in-space")
    fields = {f.name: f.value for f in answer.cards[0].fields}
    assert "UNSOURCED" in fields["Sources"]
    seed = await chat("orbital claim fool-cursor-60b")
    assert "https://thebusinessinvestor.co.uk/?p=35510" in seed.text
    assert "UNSOURCED" not in seed.text


async def test_deal_lists_show_each_status_with_its_date_and_value_kind(chat: Chat) -> None:
    answer = await chat("acquisitions spacex")
    assert "pending: expected close (Q3 2026) passed; status unconfirmed since 2026-06-26" in (
        answer.text
    )
    assert "completed 2026-02-02 (as of 2026-06-26)" in answer.text
    assert "combined valuation of the merged company, NOT a price paid" in answer.text
    manus = await chat("acquisition manus")
    fields = {f.name: f.value for f in manus.cards[0].fields}
    assert fields["Status"] == "terminated 2026-04-27 (as of 2026-04-28)"
    assert fields["Verification"].startswith("status and dates: reported")
    assert "value: estimated" in fields["Verification"]
    assert "NDRC ordered it unwound" in fields["Where reports disagree"]
    assert "published 2026-04-27, read 2026-11-30" in fields["Sources"]
    assert_fits_chat_limits(manus)


async def test_a_rumour_is_shown_as_a_rumour_never_as_a_deal(chat: Chat) -> None:
    answer = await chat("acquisition tesla-spacex-rumour")
    card = answer.cards[0]
    assert card.title == "RUMOUR (not a deal): SpaceX → Tesla"
    fields = {f.name: f.value for f in card.fields}
    assert fields["First reported"] == "2026-05-28"
    assert fields["Status"].startswith("RUMOUR, not a deal")
    assert answer.text.startswith("RUMOUR (not a deal): SpaceX → Tesla")
    assert_fits_chat_limits(answer)
    listing = await chat("acquisitions spacex")
    assert "tesla-spacex-rumour" not in [d["id"] for d in listing.data["deals"]]
    assert listing.data["rumours"] == ["tesla-spacex-rumour"]
    assert listing.cards[-1].title == "Rumours: reported talks, NOT deals"
    assert "Rumours (reported talks, NOT deals):" in listing.text


async def test_radiator_shows_inputs_sources_formula_and_result(chat: Chat) -> None:
    answer = await chat("orbital radiator power=40MW solar_flux=1366W/m2 ir_absorptivity=0.09")
    assert answer.kind == "ok"
    assert answer.data["results"]["net_flux"] == pytest.approx(633.13, abs=0.1)
    assert answer.data["results"]["area_m2"] == pytest.approx(40e6 / 633.13, rel=1e-3)
    assert answer.data["inputs"]["temp"]["source"].startswith(
        "mean radiator temperature, Starcloud"
    )
    assert answer.data["inputs"]["power"]["source"] == "given"
    names = [f.name for f in answer.cards[0].fields]
    assert {"Inputs and assumptions", "Formula", "Notes"} <= set(names)
    assert "emitted = sides × ε × σ × T⁴" in answer.text
    assert_fits_chat_limits(answer)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("orbital radiator emissivity=1.5", "emissivity: must be at most 1"),
        ("orbital solar power=-40MW", "power: must be more than 0"),
        ("orbital solar power=40bananas", "power: unknown unit 'bananas'"),
        ("orbital solar power=40kg", "power: 'kg' is not a unit of power"),
        ("orbital solar", "power: give either power="),
        ("orbital launch", "Missing mass="),
        ("orbital orbit altitude=-5km", "altitude: must be at least 100 km"),
        # A bare number is in metres: 550 m used to give an 84.5-minute "orbit".
        ("orbital orbit altitude=550", "altitude: must be at least 100 km"),
        ("orbital solar power=40MW area=16km2", "power: give power= or area=, not both."),
        ("orbital learning rate=150%", "rate: must be at most"),
        ("orbital launch mass=1t pue=0.5", "pue: must be at least 1"),
        ("orbital radiator temp=-150C power=1MW", "temp: at this temperature the plate absorbs"),
    ],
)
async def test_bad_parameters_get_a_usage_message_naming_them(
    chat: Chat, command: str, message: str
) -> None:
    answer = await chat(command)
    assert answer.kind == "usage"
    assert message in answer.text
    assert "Usage: orbital" in answer.text


@pytest.mark.parametrize(
    ("command", "key", "value", "rel"),
    [
        ("orbital solar area=105m2 sunlit=1", "power_w", 28.3e3, 0.002),
        ("orbital solar area=16km2 sunlit=1", "power_w", 4.31e9, 0.002),
        ("orbital orbit altitude=550km", "eclipse_min", 35.6, 0.002),
        (
            "orbital launch mass=575kg price=200$/kg power=28kW",
            "launched_power_price",
            821.4,
            0.001,
        ),
        ("orbital launch mass=100t price=50$/kg payload=100t", "cost", 5e6, 1e-9),
        ("orbital learning", "launches_for_additional", 1840, 1e-9),
        ("orbital link distance=1000km", "received_dbm", -10.99, 0.001),
    ],
)
async def test_calculators_answer_from_chat_with_data(
    chat: Chat, command: str, key: str, value: float, rel: float
) -> None:
    answer = await chat(command)
    assert answer.kind == "ok", answer.text
    assert answer.data["results"][key] == pytest.approx(value, rel=rel)
    assert_fits_chat_limits(answer)


async def test_datacenter_sizing_adds_up_and_compares_with_the_ground(chat: Chat) -> None:
    answer = await chat("orbital datacenter power=1GW price=200$/kg payload=200t")
    r = answer.data["results"]
    assert r["launches"] == -(-r["total_mass_kg"] // 200_000)
    assert r["launch_cost"] == pytest.approx(r["total_mass_kg"] * 200)
    assert r["cost_per_kwh"] == pytest.approx(r["launch_cost"] / (1e6 * 8760 * 5))
    assert r["terrestrial_per_kwh"] == pytest.approx(0.0977 * 1.56)
    assert "vs" in answer.cards[0].title
    assert_fits_chat_limits(answer)


async def test_calculator_help_names_the_unit_of_a_bare_number(chat: Chat) -> None:
    # The link's help used to show tx_power=<40MW> and wavelength=<550km>.
    link = await chat("help orbital link")
    assert (
        "[tx_power=<5W>]" in link.cards[0].title and "[wavelength=<1.55um>]" in link.cards[0].title
    )
    lines = {f.name: f.value for f in link.cards[0].fields}
    assert lines["distance=<1000km>"] == "distance between the satellites; a bare number is in m"
    orbit = {f.name: f.value for f in (await chat("help orbital orbit")).cards[0].fields}
    assert orbit["altitude=<550km>"] == "altitude; a bare number is in m; default 550 km"


async def test_calculator_titles_and_zero_results_read_well(chat: Chat) -> None:
    far = await chat("orbital orbit altitude=100000km")
    assert far.cards[0].title == "Orbit at 100,000 km: 5,755 min, 98.1% sunlit"  # was 5754.9
    reached = await chat("orbital learning target=5000$/kg")
    rows = {f.name: f.value for f in reached.cards[0].fields}
    assert rows["Still to launch"] == "0 kg"  # was "0 g"


async def test_help_lists_the_new_commands(chat: Chat) -> None:
    answer = await chat("help")
    assert {"acquisitions", "acquisition", "orbital"} <= set(answer.data["commands"])
    orbital = await chat("help orbital")
    for sub in (
        "claims",
        "claim",
        "radiator",
        "solar",
        "orbit",
        "launch",
        "learning",
        "link",
        "datacenter",
    ):
        assert f"orbital {sub}" in orbital.text


async def test_a_broken_user_file_warns_and_the_bundled_data_still_answers(
    tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "acquisitions_team.yaml").write_text(
        "as_of: 2026-07-01\ndeals:\n  - id: team-deal\n    acquirer: {name: A}\n", encoding="utf-8"
    )
    app = App.build(make_settings(tmp_path, fake_yahoo.base_url), clock=pinned_clock())
    await app.start()
    try:
        answer = await Chat(app)("acquisitions spacex")
        assert answer.kind == "ok" and answer.data["deals"]
        assert "acquisitions_team.yaml: deal #1 (team-deal)" in answer.cards[-1].description
        results = [await check() for check in app.services.doctor_checks]
        [(line, ok)] = [(line, ok) for line, ok in results if line.startswith("knowledge")]
        assert not ok and "acquisitions_team.yaml" in line
    finally:
        await app.close()
