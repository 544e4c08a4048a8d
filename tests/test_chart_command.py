"""/chart as a person would use it: console adapter, real yfinance, the fake Yahoo over HTTP."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from yfinance import cache as yf_cache

from bot.adapters.console import render, save_attachments, to_json
from bot.app import App
from bot.charts.render import MAX_PNG_BYTES
from bot.response import Response
from tests.conftest import Chat
from tests.fakes.yahoo_server import FakeYahoo

# Wednesday 2026-11-18, 17:00 in New York: after the close, in after-hours trading.
NOW = datetime(2026, 11, 18, 22, 0, tzinfo=UTC)
RANGES = {
    "1d": "5m",
    "5d": "15m",
    "1mo": "1d",
    "3mo": "1d",
    "6mo": "1d",
    "ytd": "1d",
    "1y": "1d",
    "2y": "1d",
    "5y": "1wk",
    "max": "1mo",
}


@pytest.fixture
def pinned_now() -> datetime:
    """This module's fake Yahoo and app clock run at NOW (overrides conftest's instant)."""
    return NOW


def image_of(answer: Response) -> Image.Image:
    assert len(answer.attachments) == 1
    attachment = answer.attachments[0]
    assert attachment.content_type == "image/png"
    assert attachment.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(attachment.content) <= MAX_PNG_BYTES
    image = Image.open(io.BytesIO(attachment.content))
    image.load()
    return image.convert("RGB")


@pytest.mark.parametrize("kind", ["line", "candle"])
@pytest.mark.parametrize("rng", list(RANGES))
async def test_every_range_and_type_answers_with_a_png(chat: Chat, rng: str, kind: str) -> None:
    answer = await chat(f"chart AAPL {rng} {kind}")
    assert answer.kind == "ok", answer.text
    image = image_of(answer)
    assert image.size == (960, 540)
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 200
    card = answer.cards[0]
    assert card.title.startswith(f"Apple Inc. (AAPL) · {rng} · ")
    assert card.image == f"chart-AAPL-{rng}.png" == answer.attachments[0].filename
    assert card.footer.startswith("Yahoo Finance · as of Nov 18, 2026 ")
    assert answer.data["range"] == rng and answer.data["type"] == kind
    assert answer.data["interval"] == RANGES[rng]
    assert answer.data["bars"] > 0
    assert answer.data["png_bytes"] == len(answer.attachments[0].content)
    pct = answer.data["change_pct"]
    assert card.tone == ("up" if pct > 0 else "down" if pct < 0 else "neutral")


async def test_one_day_chart_compares_with_the_previous_close(chat: Chat) -> None:
    answer = await chat("chart AAPL")
    assert answer.data["range"] == "1d" and answer.data["type"] == "line"
    assert answer.data["base_kind"] == "previous close"
    assert answer.data["base"] == 268.81  # the fake's previous close for AAPL
    expected = (answer.data["last_close"] / 268.81 - 1) * 100
    assert answer.data["change_pct"] == pytest.approx(expected, abs=1e-3)
    fields = {f.name: f.value for f in answer.cards[0].fields}
    # 17:00 in New York: after-hours bars follow the close and are reported apart.
    assert fields["After hours"] == "271.49 USD"
    assert answer.cards[0].footer == "Yahoo Finance · as of Nov 18, 2026 17:00 EST"


# Wednesday's session in New York: 09:30 to 16:00 EST.
SESSION_OPEN = datetime(2026, 11, 18, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "market_time",
    [int(SESSION_OPEN.timestamp()), None],
    ids=["yahoo-time-is-the-bar-start", "yahoo-time-missing"],
)
async def test_a_daily_chart_is_as_of_the_session_close(
    chat: Chat, fake_yahoo: FakeYahoo, market_time: int | None
) -> None:
    # Daily bars start at 09:30 (yfinance stamps them at midnight); their price is the close.
    # These used to say "as of Nov 18, 2026 09:30 EST" (and "00:00 EST" with no market time).
    fake_yahoo.meta_overrides["regularMarketTime"] = market_time
    for text in ("chart AAPL 1mo", "chart AAPL 5y", "chart AAPL 1y AMZN"):
        answer = await chat(text)
        assert answer.kind == "ok", answer.text
        assert answer.cards[0].footer == "Yahoo Finance · as of Nov 18, 2026 16:00 EST", text
        assert answer.data["as_of"] == "2026-11-18T21:00:00+00:00", text


@pytest.mark.parametrize("pinned_now", [SESSION_OPEN + timedelta(hours=1, minutes=32)])
async def test_a_daily_chart_during_the_session_is_as_of_the_live_price(chat: Chat) -> None:
    answer = await chat("chart AAPL 1mo")  # 11:02 New York, Wednesday: the session runs
    assert answer.cards[0].footer == "Yahoo Finance · as of Nov 18, 2026 11:02 EST"


async def test_a_daily_chart_on_an_early_close_is_as_of_13_00(
    chat: Chat, fake_yahoo: FakeYahoo, app: App
) -> None:
    # The Friday after Thanksgiving closes at 13:00; Saturday the chart is as of that close.
    saturday = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    fake_yahoo.now = saturday
    app.services.clock.current = saturday  # type: ignore[attr-defined]
    fake_yahoo.meta_overrides["regularMarketTime"] = None
    answer = await chat("chart AAPL 3mo")
    assert answer.cards[0].footer == "Yahoo Finance · as of Nov 27, 2026 13:00 EST"


async def test_compare_tokyo_and_new_york_despite_different_trading_days(chat: Chat) -> None:
    answer = await chat("chart 7203.T 1y line AMZN")
    assert answer.kind == "ok", answer.text
    assert answer.data["symbols"] == ["7203.T", "AMZN"]
    series = {s["symbol"]: s for s in answer.data["series"]}
    # Japanese and US holidays differ, so the two have different numbers of daily bars.
    assert series["7203.T"]["bars"] != series["AMZN"]["bars"]
    assert series["7203.T"]["currency"] == "JPY" and series["AMZN"]["currency"] == "USD"
    for s in series.values():
        assert s["change_pct"] == pytest.approx(
            (s["last_close"] / s["first_close"] - 1) * 100, abs=1e-3
        )
    assert answer.cards[0].title == "7203.T vs AMZN · 1y · % change"
    assert [f.name for f in answer.cards[0].fields] == ["7203.T", "AMZN"]
    assert answer.attachments[0].filename == "chart-7203.T-1y.png"
    assert image_of(answer).size == (960, 540)


@pytest.mark.parametrize("rng", ["1d", "5d"])
async def test_intraday_compare_across_time_zones(chat: Chat, rng: str) -> None:
    answer = await chat(f"chart AMZN {rng} compare=7203.T,GOOGL theme=light")
    assert answer.kind == "ok", answer.text
    assert answer.data["symbols"] == ["AMZN", "7203.T", "GOOGL"]
    assert image_of(answer).getpixel((2, 2)) == (255, 255, 255)


async def test_names_and_share_classes_resolve_and_filenames_stay_safe(chat: Chat) -> None:
    answer = await chat("chart BRK.B 1mo")
    assert answer.data["symbol"] == "BRK-B"
    answer = await chat("chart ^GSPC 1mo")
    assert answer.attachments[0].filename == "chart-GSPC-1mo.png"
    answer = await chat("chart amazon 1mo")
    assert answer.data["symbol"] == "AMZN"


async def test_unknown_symbol_says_so_with_suggestions(chat: Chat) -> None:
    answer = await chat("chart micro 1y")
    assert answer.kind == "not_found"
    assert answer.text == "No such symbol: micro. Did you mean: MSFT, AMD?"
    assert not answer.attachments
    answer = await chat("chart AMZN 1y line ZZZZQ")
    assert answer.kind == "not_found"
    assert answer.text.startswith("No such symbol: ZZZZQ.")


async def test_a_range_without_bars_is_explained(chat: Chat, fake_yahoo: FakeYahoo) -> None:
    # A company that lists next month: Yahoo knows it, but it has no prices yet.
    fake_yahoo.symbols["NEWCO"] = replace(
        fake_yahoo.symbols["AMZN"], symbol="NEWCO", listed_since=date(2026, 12, 15)
    )
    answer = await chat("chart NEWCO 1mo")
    assert answer.kind == "not_found"
    assert answer.text.startswith("Yahoo has no 1mo data for NEWCO: nothing traded in that range")
    assert not answer.attachments


async def test_bad_options_get_a_usage_line(chat: Chat) -> None:
    answer = await chat("chart AAPL 2w")
    assert answer.kind == "usage"
    assert answer.text.startswith("range: '2w' is not one of 1d, 5d, 1mo")
    answer = await chat("chart AAPL 1y line A B C D E")
    assert answer.kind == "usage"
    assert answer.text.startswith("compare: at most 4 at a time (you gave 5).")
    answer = await chat("chart AAPL 1y theme=blue")
    assert answer.kind == "usage" and "theme" in answer.text


async def test_range_and_type_may_be_left_out_before_symbols_to_compare(chat: Chat) -> None:
    # These used to answer "range: 'AMZN' is not one of 1d, ...".
    answer = await chat("chart AAPL AMZN")
    assert answer.kind == "ok"
    assert answer.data["symbols"] == ["AAPL", "AMZN"] and answer.data["range"] == "1d"
    candle = await chat("chart AAPL candle")
    assert candle.kind == "ok" and candle.data["type"] == "candle"
    # A second range or type is named as such, not looked up as a symbol.
    twice = await chat("chart AAPL 1y 5d")
    assert twice.kind == "usage"
    assert twice.text.startswith("range was given more than once (1y and 5d).")
    assert (await chat("chart AAPL line candle")).text.startswith(
        "type was given more than once (line and candle)."
    )


async def test_yahoo_failure_is_a_short_answer(chat: Chat, fake_yahoo: FakeYahoo) -> None:
    fake_yahoo.fail("chart", "500")
    answer = await chat("chart AAPL 1y")
    assert answer.kind == "upstream"
    assert "Traceback" not in answer.text and len(answer.text) < 200


async def test_a_burst_of_identical_requests_renders_once(chat: Chat, app: App) -> None:
    charts = app.services.charts
    assert charts is not None
    answers = await asyncio.gather(*(chat("chart AMZN 6mo candle") for _ in range(6)))
    assert all(a.kind == "ok" for a in answers)
    assert charts.stats.renders == 1
    assert len({a.attachments[0].content for a in answers}) == 1
    again = await chat("chart AMZN 6mo candle")
    assert charts.stats.renders == 1 and charts.stats.hits >= 1
    assert again.attachments[0].content == answers[0].attachments[0].content
    # Theme and type are part of the key: each is its own render.
    await chat("chart AMZN 6mo candle theme=light")
    await chat("chart AMZN 6mo line")
    assert charts.stats.renders == 3


async def test_a_chart_asks_yahoo_once_when_the_quote_knew_the_time_zone(
    chat: Chat, fake_yahoo: FakeYahoo
) -> None:
    """yfinance looks a symbol's time zone up (one more chart request) before its first
    history in a process; the chart's own quote already says it, so that look-up is spared."""
    yf_cache.get_tz_cache().store("AMD", None)  # forgotten, whichever test charted it before
    fake_yahoo.reset_counts()
    answer = await chat("chart AMD 5d")
    assert answer.kind == "ok", answer.text
    assert (fake_yahoo.count("quote"), fake_yahoo.count("chart")) == (1, 1)  # no look-up
    assert yf_cache.get_tz_cache().lookup("AMD") == "America/New_York"


async def test_console_saves_the_png_and_json_names_the_path(chat: Chat, tmp_path: Path) -> None:
    answer = save_attachments(await chat("chart SPCX 1mo"), tmp_path / "out")
    saved = Path(answer.attachments[0].path or "")
    assert saved == tmp_path / "out" / "chart-SPCX-1mo.png"
    assert saved.read_bytes() == answer.attachments[0].content
    assert f"-> {saved}]" in render(answer)
    as_json = json.loads(to_json(answer))
    assert as_json["attachments"][0]["path"] == str(saved)
    assert as_json["cards"][0]["image"] == "chart-SPCX-1mo.png"
    assert as_json["data"]["png_bytes"] == saved.stat().st_size


async def test_help_lists_chart_with_its_options(chat: Chat) -> None:
    answer = await chat("help chart")
    assert "chart <symbol> [1d|5d|1mo|3mo|6mo|ytd|1y|2y|5y|max] [line|candle]" in answer.text
