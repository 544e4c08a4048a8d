"""The deal book: bundled data validates, bad entries are named precisely, user files merge."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.market.types import Bar, History
from commands._shared.yaml_entries import DataFileError, bundled
from commands.acquisitions.deal_book import ValueKind, load_deal_book, load_deal_file
from commands.acquisitions.deal_commands import price_impact

BUNDLED = bundled("acquisitions.yaml")

GOOD_DEAL = """\
  - id: {id}
    acquirer: {{name: Example Corp, ticker: EXMP}}
    target: {{name: {target}, description: "A made-up company for a test"}}
    announced: 2026-03-02
    status: completed
    closed: 2026-04-01
    value: {{usd: 1.0e9, kind: cash, text: "$1B cash"}}
    sources: [https://example.com/deal]
    verification: confirmed
"""


def write(path: Path, body: str, as_of: str = "2026-07-01") -> Path:
    path.write_text(f"as_of: {as_of}\ndeals:\n{body}", encoding="utf-8")
    return path


def test_bundled_deal_book_validates_and_holds_the_headline_deals() -> None:
    book = load_deal_book(BUNDLED, None)
    assert len(book.deals) >= 40
    assert not book.problems
    xai = book.get("spacex-xai")
    cursor = book.get("spacex-cursor")
    assert xai is not None and cursor is not None
    assert xai.value.kind is ValueKind.COMBINED_VALUATION and xai.value.usd == 1.25e12
    assert cursor.value.usd == 60e9 and cursor.status.value == "pending"
    assert [d.announced for d in book.deals] == sorted(
        (d.announced for d in book.deals), reverse=True
    )


def test_every_bundled_deal_carries_sources_a_date_and_a_verification() -> None:
    for deal in load_deal_book(BUNDLED, None).deals:
        assert deal.sources, deal.id
        assert all(url.startswith("http") for url in deal.source_urls), deal.id
        assert deal.as_of == date(2026, 6, 26), deal.id
        assert deal.target.description, deal.id
        if deal.verification == "unverified":
            assert deal.unverified, deal.id
        if deal.value.kind is ValueKind.UNDISCLOSED:
            assert deal.value.usd is None


def test_a_bad_entry_names_the_file_the_entry_and_the_field(tmp_path: Path) -> None:
    body = GOOD_DEAL.format(id="good-one", target="Good") + GOOD_DEAL.format(
        id="bad-one", target="Bad"
    ).replace("kind: cash", "kind: barter")
    path = write(tmp_path / "acquisitions_mine.yaml", body)
    with pytest.raises(DataFileError) as info:
        load_deal_file(path)
    [problem] = info.value.problems
    assert problem.file == "acquisitions_mine.yaml"
    assert problem.entry == "deal #2 (bad-one)"
    assert problem.field == "value.kind"
    assert "acquisitions_mine.yaml: deal #2 (bad-one): value.kind:" in str(info.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("announced: 2026-03-02", "announced: 2026-13-02"), "announced"),
        (("sources: [https://example.com/deal]", "sources: []"), "sources"),
        (("sources: [https://example.com/deal]", "sources: [not a url]"), "sources.0"),
        (("closed: 2026-04-01", "closed: 2026-01-01"), "closed"),
        (("status: completed", "status: pending"), "closed"),
        (("verification: confirmed", "verification: unverified"), "unverified"),
        (("usd: 1.0e9, kind: cash", "usd: -5, kind: cash"), "value.usd"),
        (
            ("    verification: confirmed\n", "    verification: confirmed\n    colour: red\n"),
            "colour",
        ),
    ],
)
def test_schema_rules_name_their_field(tmp_path: Path, change: tuple[str, str], field: str) -> None:
    old, new = change
    body = GOOD_DEAL.format(id="x-deal", target="X").replace(old, new)
    path = write(tmp_path / "acquisitions_x.yaml", body)
    with pytest.raises(DataFileError) as info:
        load_deal_file(path)
    assert info.value.problems[0].field == field


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "acquisitions_broken.yaml"
    path.write_text("as_of: 2026-07-01\ndeals:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"acquisitions_broken.yaml: line \d+: not valid YAML"):
        load_deal_file(path)


def test_user_files_merge_over_the_bundled_deals(tmp_path: Path) -> None:
    replacement = GOOD_DEAL.format(id="spacex-cursor", target="Cursor").replace(
        "status: completed\n    closed: 2026-04-01", "status: terminated\n    closed: 2026-07-01"
    )
    write(
        tmp_path / "acquisitions_local.yaml",
        replacement + GOOD_DEAL.format(id="new-deal", target="Newco"),
    )
    book = load_deal_book(BUNDLED, tmp_path)
    bundled_count = len(load_deal_book(BUNDLED, None).deals)
    assert len(book.deals) == bundled_count + 1
    cursor = book.get("spacex-cursor")
    assert cursor is not None and cursor.status.value == "terminated"
    assert book.get("new-deal") is not None
    assert book.files == ("acquisitions.yaml", "acquisitions_local.yaml")


def test_a_broken_user_file_is_skipped_and_the_bundled_deals_still_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path / "acquisitions_bad.yaml", GOOD_DEAL.format(id="Bad ID!", target="Oops"))
    with caplog.at_level(logging.ERROR, logger="commands._shared.yaml_entries"):
        book = load_deal_book(BUNDLED, tmp_path)
    assert len(book.deals) == len(load_deal_book(BUNDLED, None).deals)
    [problem] = book.problems
    assert (problem.file, problem.entry, problem.field) == (
        "acquisitions_bad.yaml",
        "deal #1 (Bad ID!)",
        "id",
    )
    assert "acquisitions_bad.yaml: deal #1 (Bad ID!): id:" in caplog.text


def test_search_matches_names_aliases_tickers_years_and_values() -> None:
    book = load_deal_book(BUNDLED, None)
    by_name = [d.id for d in book.search("spacex")]
    assert by_name == [d.id for d in book.search("SPCX")]
    assert {"spacex-cursor", "spacex-xai"} <= set(by_name)
    assert all(d.acquirer.name == "SpaceX" for d in book.search("spacex"))
    assert {d.id for d in book.search("anysphere")} == {"spacex-cursor"}
    assert {d.id for d in book.search("facebook")} == {d.id for d in book.search("META")}
    assert all(d.announced.year == 2025 for d in book.search(year=2025))
    big = book.search(min_value=50e9)
    assert big and all(d.value.usd is not None and d.value.usd >= 50e9 for d in big)
    assert [d.id for d in book.find_target("cursor")] == ["spacex-cursor"]
    assert len(book.find_target("windsurf")) == 3


def _bars(days: list[date], closes: list[float]) -> History:
    bars = [
        Bar(datetime(d.year, d.month, d.day, 14, 30, tzinfo=UTC), c, c, c, c, 1)
        for d, c in zip(days, closes, strict=True)
    ]
    return History("TEST", "Test", "USD", "America/New_York", "1d", "max", tuple(bars))


def test_price_impact_counts_sessions_after_the_announcement_day() -> None:
    days = [date(2025, 3, d) for d in (13, 14, 17, 18, 19, 20, 21, 24, 25)]
    history = _bars(days, [100, 101, 102, 110, 111, 112, 113, 120, 125])
    impact = price_impact(history, date(2025, 3, 18), days=(1, 5, 30))
    assert impact is not None
    assert (impact.base_day, impact.base_close) == (date(2025, 3, 17), 102)
    one, five, thirty = impact.moves
    # The announcement day (Mar 18) is day 0; day 1 used to be Mar 18 itself.
    assert (one.day, one.change_pct) == (date(2025, 3, 19), pytest.approx((111 / 102 - 1) * 100))
    assert (five.day, five.change_pct) == (date(2025, 3, 25), pytest.approx((125 / 102 - 1) * 100))
    assert thirty.day is None and thirty.close is None  # not 30 sessions yet


def test_price_impact_of_a_weekend_announcement_starts_on_monday() -> None:
    days = [date(2025, 3, d) for d in (13, 14, 17, 18)]
    history = _bars(days, [100, 101, 102, 110])
    impact = price_impact(history, date(2025, 3, 15), days=(1, 2))  # a Saturday
    assert impact is not None
    assert impact.base_day == date(2025, 3, 14)
    assert [m.day for m in impact.moves] == [date(2025, 3, 17), date(2025, 3, 18)]


def test_price_impact_without_a_close_before_is_none() -> None:
    history = _bars([date(2026, 6, 12), date(2026, 6, 15)], [160.95, 170.0])
    assert price_impact(history, date(2026, 2, 2)) is None
