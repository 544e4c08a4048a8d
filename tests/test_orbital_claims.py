"""Orbital claims: bundled data validates, and the calculators flag claims that do not add up."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands._shared.yaml_entries import DataFileError, bundled
from commands.orbital.claims import ClaimStatus, load_claim_book, load_claim_file

BUNDLED = bundled("orbital_claims.yaml")

CLAIM = """\
  - id: {id}
    statement: "A 1 km by 1 km array at 22% and 90% fill makes {power}."
    who: Example Space Inc.
    date: 2026-05-01
    sources: [{{cite: "Example press release", url: "https://example.com/pr"}}]
    status: claimed
    verification: S
    checks:
      - calculator: solar
        inputs: {{area: 1km2, efficiency: "22%", fill: "0.9", irradiance: 1361W/m2, sunlit: "1"}}
        output: power_w
        stated: {power}
        says: "Array power from its area"
"""


def write(path: Path, body: str) -> Path:
    path.write_text(f"as_of: 2026-07-01\nclaims:\n{body}", encoding="utf-8")
    return path


def test_bundled_claims_validate_with_sources_dates_and_statuses() -> None:
    book = load_claim_book(BUNDLED, None)
    assert len(book.claims) >= 30
    assert not book.problems
    for item in book.claims:
        claim = item.claim
        assert claim.sources and all(s.cite for s in claim.sources), claim.id
        assert claim.date and claim.when, claim.id
        assert claim.verification in ("V", "S", "U", "D"), claim.id
    refs = {item.claim.research_ref for item in book.claims}
    assert {f"C{n}" for n in range(1, 37)} <= refs  # every row of research/orbital.md


def test_the_seed_article_claims_cite_the_motley_fool() -> None:
    seeds = [i for i in load_claim_book(BUNDLED, None).claims if i.claim.research_ref == "seed"]
    assert len(seeds) >= 10
    assert all("Motley Fool" in i.claim.sources[0].cite for i in seeds)
    ids = {i.claim.id for i in seeds}
    assert {"fool-cursor-60b", "fool-24h-solar", "fool-radiator-cooling"} <= ids


def test_claims_whose_own_numbers_do_not_add_up_are_flagged() -> None:
    book = load_claim_book(BUNDLED, None)
    flagged = {i.claim.id for i in book.claims if i.own_numbers_fail}
    assert flagged == {"starcloud-5gw-array", "starcloud-launch-30-per-kg"}
    array = book.get("starcloud-5gw-array")
    assert array is not None and array.status is ClaimStatus.CONTRADICTED
    [check] = array.results
    assert check.computed / 1e9 == pytest.approx(4.33, abs=0.005)
    assert not check.ok and check.off_by == pytest.approx(-0.135, abs=0.005)
    launch = book.get("starcloud-launch-30-per-kg")
    assert launch is not None and launch.results[0].computed == pytest.approx(3e6)


def test_the_data_file_status_agrees_with_the_checks() -> None:
    for item in load_claim_book(BUNDLED, None).claims:
        declared = item.claim.status is ClaimStatus.CONTRADICTED
        assert declared == item.own_numbers_fail, item.claim.id


def test_checks_that_add_up_pass() -> None:
    book = load_claim_book(BUNDLED, None)
    for claim_id in (
        "starcloud-radiator-633",
        "suncatcher-200-per-kg",
        "suncatcher-launched-power-price",
        "latency-leo",
    ):
        item = book.get(claim_id)
        assert item is not None and item.results and all(r.ok for r in item.results), claim_id


def test_a_user_claim_that_does_not_add_up_is_contradicted_whatever_it_says(tmp_path: Path) -> None:
    write(tmp_path / "orbital_claims_mine.yaml", CLAIM.format(id="tiny-array", power="1GW"))
    book = load_claim_book(BUNDLED, tmp_path)
    item = book.get("tiny-array")
    assert item is not None
    assert item.claim.status is ClaimStatus.CLAIMED
    assert item.status is ClaimStatus.CONTRADICTED  # 1 km² gives ~270 MW, not 1 GW
    honest = load_claim_file(
        write(tmp_path / "other.yaml", CLAIM.format(id="honest-array", power="270MW"))
    )
    assert honest[0].status is ClaimStatus.CLAIMED


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("calculator: solar", "calculator: warp", "checks.0.calculator"),
        ("area: 1km2", "area: 1 bananas", "checks.0"),
        ("output: power_w", "output: thrust", "checks.0.output"),
        ("status: claimed", "status: maybe", "status"),
        ("verification: S", "verification: X", "verification"),
    ],
)
def test_a_bad_claim_names_file_entry_and_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    path = write(
        tmp_path / "orbital_claims_bad.yaml", CLAIM.format(id="bad", power="1GW").replace(old, new)
    )
    with pytest.raises(DataFileError) as info:
        load_claim_file(path)
    problem = info.value.problems[0]
    assert (problem.file, problem.entry) == ("orbital_claims_bad.yaml", "claim #1 (bad)")
    assert problem.field == field


def test_a_broken_user_claims_file_keeps_the_bundled_claims(tmp_path: Path) -> None:
    (tmp_path / "orbital_claims_broken.yaml").write_text("claims: [", encoding="utf-8")
    book = load_claim_book(BUNDLED, tmp_path)
    assert len(book.claims) == len(load_claim_book(BUNDLED, None).claims)
    assert book.problems and book.problems[0].file == "orbital_claims_broken.yaml"


def test_search_by_maker_topic_and_status() -> None:
    book = load_claim_book(BUNDLED, None)
    assert all(
        "Starcloud" in i.claim.who or "starcloud" in i.claim.topics
        for i in book.search("starcloud")
    )
    assert {i.claim.id for i in book.search("contradicted")} == {
        "starcloud-5gw-array",
        "starcloud-launch-30-per-kg",
    }
    assert book.search("radiator")


def test_every_claim_has_a_web_address_or_is_marked_unsourced() -> None:
    book = load_claim_book(bundled("orbital_claims.yaml"), None)
    unsourced = {c.claim.id for c in book.claims if c.claim.unsourced}
    # The seed article's claims cite its reposted copy; what is left had no address recorded.
    assert not {i for i in unsourced if i.startswith("fool-")}
    assert "softbank-son-obstacles" not in unsourced
    assert unsourced == {
        "starcloud-all-new-dcs-in-space",
        "starcloud-3-500-per-kg",
        "suncatcher-prototypes-2027",
        "musk-300-gw-per-year",
        "musk-100-gw-per-year",
        "bezos-gigawatt-in-space",
        "blue-origin-project-sunrise",
        "aetherflux-galactic-brain",
        "taranis-terrible-idea",
    }
    assert all(c.claim.as_of is not None for c in book.claims)
