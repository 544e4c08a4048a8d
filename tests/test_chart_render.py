"""The pure renderer: real PNGs from History objects, decoded and inspected with Pillow."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from PIL import Image

from bot.charts import figures, pngfile
from bot.charts.render import MAX_PNG_BYTES, ChartOptions, render_chart
from bot.charts.summary import range_change
from bot.charts.timeline import align, extended_flags, local_times, pick_ticks, runs, split_runs
from bot.market.types import Bar, History

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def _bars(times: list[datetime], start: float = 100.0, volume: int = 1_000) -> tuple[Bar, ...]:
    out = []
    price = start
    for i, t in enumerate(times):
        new = price * (1 + 0.01 * math.sin(i / 3.0) + 0.002)
        out.append(
            Bar(
                time=t.astimezone(UTC),
                open=price,
                high=max(price, new) * 1.003,
                low=min(price, new) * 0.997,
                close=new,
                volume=volume + 37 * i,
            )
        )
        price = new
    return tuple(out)


def daily(symbol: str, tz: ZoneInfo, days: list[date], rng: str = "1y", **kw: object) -> History:
    times = [datetime(d.year, d.month, d.day, tzinfo=tz) for d in days]
    return History(
        symbol=symbol,
        name=f"{symbol} Corp.",
        currency=str(kw.get("currency", "USD")),
        exchange_tz=str(tz),
        interval="1d",
        range=rng,
        bars=_bars(times),
        as_of=times[-1].astimezone(UTC) + timedelta(hours=16),
    )


def weekdays(start: date, count: int) -> list[date]:
    out = []
    day = start
    while len(out) < count:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def intraday_day(day: date, previous_close: float | None = 99.0) -> History:
    """One New York day of 5-minute bars from 04:00 to 20:00, regular session 09:30-16:00."""
    start = datetime(day.year, day.month, day.day, 4, 0, tzinfo=NEW_YORK)
    times = [start + timedelta(minutes=5 * i) for i in range(16 * 12)]
    open_ = datetime(day.year, day.month, day.day, 9, 30, tzinfo=NEW_YORK)
    close = datetime(day.year, day.month, day.day, 16, 0, tzinfo=NEW_YORK)
    return History(
        symbol="AMZN",
        name="Amazon.com, Inc.",
        currency="USD",
        exchange_tz="America/New_York",
        interval="5m",
        range="1d",
        bars=_bars(times),
        sessions=((open_.astimezone(UTC), close.astimezone(UTC)),),
        previous_close=previous_close,
        as_of=close.astimezone(UTC),
    )


def decode(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def distinct_colours(image: Image.Image) -> int:
    return len(image.getcolors(maxcolors=1 << 20) or [])


def luminance(pixel: tuple[int, int, int]) -> float:
    r, g, b = pixel
    return 0.299 * r + 0.587 * g + 0.114 * b


YEAR = weekdays(date(2025, 11, 24), 252)


@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize("kind", ["line", "candle"])
def test_daily_chart_is_a_real_png_of_the_expected_size(theme: str, kind: str) -> None:
    png = render_chart(
        [daily("AMZN", NEW_YORK, YEAR)], ChartOptions(range="1y", kind=kind, theme=theme)
    )
    image = decode(png)
    assert image.size == (960, 540)
    assert len(png) <= MAX_PNG_BYTES
    # A blank or single-colour image has a handful of colours; text, a line and
    # anti-aliasing give hundreds.
    assert distinct_colours(image) > 200


def test_dark_and_light_themes_have_opposite_backgrounds() -> None:
    history = daily("AMZN", NEW_YORK, YEAR)
    dark = decode(render_chart([history], ChartOptions(range="1y", theme="dark")))
    light = decode(render_chart([history], ChartOptions(range="1y", theme="light")))
    assert luminance(dark.getpixel((2, 2))) < 60
    assert luminance(light.getpixel((2, 2))) > 220
    assert dark.tobytes() != light.tobytes()


def test_candles_and_line_draw_differently() -> None:
    history = daily("AMZN", NEW_YORK, YEAR[:60], rng="3mo")
    line = decode(render_chart([history], ChartOptions(range="3mo", kind="line")))
    candle = decode(render_chart([history], ChartOptions(range="3mo", kind="candle")))
    assert line.size == candle.size
    assert line.tobytes() != candle.tobytes()


def test_intraday_chart_shades_pre_and_after_market() -> None:
    history = intraday_day(date(2026, 11, 18))
    flags = extended_flags(history)
    # 04:00-09:30 is 66 five-minute bars, 16:00-20:00 is 48.
    assert runs(flags) == [(0, 65), (144, 191)]
    shaded = decode(render_chart([history], ChartOptions(range="1d", theme="light")))
    plain = decode(
        render_chart(
            [History(**{**_fields(history), "sessions": ()})],
            ChartOptions(range="1d", theme="light"),
        )
    )
    # The same bars without session bounds draw no shading: the images differ.
    assert shaded.tobytes() != plain.tobytes()


def _fields(history: History) -> dict[str, object]:
    return {name: getattr(history, name) for name in History.__dataclass_fields__}


def test_one_day_change_is_against_the_previous_close_and_ignores_after_hours() -> None:
    history = intraday_day(date(2026, 11, 18), previous_close=99.0)
    change = range_change(history)
    regular_last = history.bars[143].close  # the 15:55 bar, the last before the close
    assert change.base_kind == "previous close"
    assert change.last_close == pytest.approx(regular_last)
    assert change.change_pct == pytest.approx((regular_last / 99.0 - 1) * 100)
    assert change.extended_last == pytest.approx(history.bars[-1].close)


def test_longer_ranges_change_from_first_to_last_close() -> None:
    history = daily("AMZN", NEW_YORK, YEAR)
    change = range_change(history)
    assert change.base_kind == "first close"
    assert change.change_pct == pytest.approx(
        (history.bars[-1].close / history.bars[0].close - 1) * 100
    )


def test_closed_days_take_no_space_on_the_axis() -> None:
    # Friday, then Monday: adjacent x positions, and the tick labels are real dates.
    days = weekdays(date(2026, 1, 5), 60)
    history = daily("AMZN", NEW_YORK, days, rng="3mo")
    stamps = local_times(history.bars, NEW_YORK)
    ticks = pick_ticks(stamps, intraday=False)
    assert 2 <= len(ticks) <= 8
    labels = [label for _, label in ticks]
    assert labels[:2] == ["Feb", "Mar"]
    # Each label sits on the first trading day of its month.
    assert all(stamps[i].day <= 3 for i, _ in ticks)


def test_intraday_ticks_are_hours_and_five_days_are_weekdays() -> None:
    history = intraday_day(date(2026, 11, 18))
    stamps = local_times(history.bars, NEW_YORK)
    labels = [label for _, label in pick_ticks(stamps, intraday=True)]
    assert labels[0] == "04:00" and all(label.endswith(":00") for label in labels)
    week = [
        t
        for d in weekdays(date(2026, 11, 16), 5)
        for t in local_times(intraday_day(d).bars, NEW_YORK)
    ]
    labels = [label for _, label in pick_ticks(week, intraday=True)]
    assert labels == ["Mon 16", "Tue 17", "Wed 18", "Thu 19", "Fri 20"]


def test_extended_runs_split_where_a_new_day_starts() -> None:
    assert split_runs([(5, 12)], [9]) == [(5, 8), (9, 12)]
    assert split_runs([(0, 3)], [9]) == [(0, 3)]


def test_compare_aligns_tokyo_and_new_york_on_trading_dates() -> None:
    japan_holiday = date(2026, 2, 11)  # National Foundation Day: Tokyo shut, New York open
    us_holiday = date(2026, 2, 16)  # Presidents' Day: New York shut, Tokyo open
    span = weekdays(date(2026, 2, 2), 20)
    toyota = daily("7203.T", TOKYO, [d for d in span if d != japan_holiday], currency="JPY")
    amazon = daily("AMZN", NEW_YORK, [d for d in span if d != us_holiday])
    aligned = align([toyota, amazon], TOKYO)
    dates = [s.date() for s in aligned.stamps]
    assert dates == span  # the union of both markets' days, each once
    toyota_x, _ = aligned.series[0]
    amazon_x, _ = aligned.series[1]
    assert dates.index(japan_holiday) not in toyota_x
    assert dates.index(japan_holiday) in amazon_x
    assert dates.index(us_holiday) not in amazon_x
    png = render_chart([toyota, amazon], ChartOptions(range="1mo"))
    image = decode(png)
    assert image.size == (960, 540) and distinct_colours(image) > 200


def test_compare_of_intraday_sessions_that_never_overlap() -> None:
    # Tokyo's day ends hours before New York's pre-market starts; both are drawn.
    tokyo_day = [
        datetime(2026, 11, 18, 9, 0, tzinfo=TOKYO) + timedelta(minutes=5 * i) for i in range(60)
    ]
    toyota = History(
        symbol="7203.T",
        name="Toyota",
        currency="JPY",
        exchange_tz="Asia/Tokyo",
        interval="5m",
        range="1d",
        bars=_bars(tokyo_day, 3000.0),
    )
    amazon = intraday_day(date(2026, 11, 18))
    aligned = align([toyota, amazon], TOKYO)
    assert len(aligned.stamps) == 60 + len(amazon.bars)
    assert aligned.series[0][0] == tuple(range(60))
    png = render_chart([toyota, amazon], ChartOptions(range="1d", theme="light"))
    assert decode(png).size == (960, 540)


def test_five_symbols_compare_and_a_single_bar_render() -> None:
    histories = [daily(s, NEW_YORK, YEAR[:30], rng="1mo") for s in ("A", "B", "C", "D", "E")]
    assert decode(render_chart(histories, ChartOptions(range="1mo"))).size == (960, 540)
    lone = daily("NEWCO", NEW_YORK, [date(2026, 11, 18)], rng="1mo")
    image = decode(render_chart([lone], ChartOptions(range="1mo")))
    assert distinct_colours(image) > 50


def test_an_index_without_volume_has_no_volume_panel() -> None:
    history = daily("^GSPC", NEW_YORK, YEAR[:60], rng="3mo")
    silent = History(
        **{**_fields(history), "bars": tuple(Bar(**{**_bar(b), "volume": 0}) for b in history.bars)}
    )
    with_volume = decode(render_chart([history], ChartOptions(range="3mo")))
    without = decode(render_chart([silent], ChartOptions(range="3mo")))
    assert with_volume.tobytes() != without.tobytes()


def _bar(bar: Bar) -> dict[str, object]:
    return {name: getattr(bar, name) for name in Bar.__dataclass_fields__}


def test_renders_in_parallel_threads_are_identical_to_a_serial_one() -> None:
    # No pyplot, no shared figure state: the worker pool may render concurrently.
    histories = [daily("AMZN", NEW_YORK, YEAR), intraday_day(date(2026, 11, 18))]
    options = [ChartOptions(range="1y", kind="candle"), ChartOptions(range="1d", theme="light")]
    serial = [render_chart([h], o) for h, o in zip(histories, options, strict=True)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = [pool.submit(render_chart, [histories[i % 2]], options[i % 2]) for i in range(8)]
        results = [job.result() for job in jobs]
    assert all(r == serial[i % 2] for i, r in enumerate(results))


def test_no_bars_and_too_many_symbols_are_refused() -> None:
    empty = History("X", "X", "USD", "America/New_York", "1d", "1mo", ())
    with pytest.raises(ValueError, match="at least one bar"):
        render_chart([empty], ChartOptions(range="1mo"))
    many = [daily(str(i), NEW_YORK, YEAR[:5]) for i in range(6)]
    with pytest.raises(ValueError, match="1 to 5"):
        render_chart(many, ChartOptions(range="1mo"))


def test_compare_lines_break_where_a_market_was_shut() -> None:
    """Tokyo's night is New York's day: the Tokyo line must not be drawn across it."""
    from datetime import UTC, datetime, timedelta

    from bot.charts.timeline import interval_seconds, segments

    start = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    stamps = [start + timedelta(minutes=15 * i) for i in range(100)]
    tokyo = [0, 1, 2, 3, 60, 61, 62]  # a 14-hour break between bar 3 and bar 60
    step = interval_seconds("15m")
    assert step == 900 and interval_seconds("1d") is None
    parts = segments(tokyo, stamps, 3 * step)
    assert [tokyo[p] for p in parts] == [[0, 1, 2, 3], [60, 61, 62]]


LAZY_IMPORT_PROBE = """
import json, sys
from datetime import UTC, datetime, timedelta
import bot.app, bot.charts, bot.charts.render, bot.charts.service, commands.chart
from bot.charts.render import ChartOptions, render_chart
from bot.market.types import Bar, History
at_start = sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib")
start = datetime(2026, 1, 5, tzinfo=UTC)
bars = tuple(
    Bar(start + timedelta(days=i), 100 + i, 102 + i, 99 + i, 101 + i, 1000 + i) for i in range(30)
)
history = History("AMZN", "Amazon", "USD", "America/New_York", "1d", "1mo", bars)
png = render_chart([history], ChartOptions(range="1mo"))
print(json.dumps({
    "at_start": at_start,
    "after_chart": "matplotlib" in sys.modules,
    "png": png[:8].hex(),
    "size": len(png),
}))
"""


def test_matplotlib_loads_on_the_first_chart_not_at_start() -> None:
    """The app's start-up imports leave matplotlib out; the first render loads it and works."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", LAZY_IMPORT_PROBE],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["at_start"] == []
    assert probe["after_chart"] is True
    assert bytes.fromhex(probe["png"]) == PNG_SIGNATURE
    assert probe["size"] > 10_000


def test_a_reused_figure_draws_exactly_what_a_new_one_draws() -> None:
    """Frames go back to a pool after each render; nothing of one chart may show in the next."""
    one_year = [daily("AMZN", NEW_YORK, YEAR)]
    span = weekdays(date(2026, 2, 2), 20)
    others: list[tuple[list[History], ChartOptions]] = [
        (
            [daily("7203.T", TOKYO, span, currency="JPY"), daily("AMZN", NEW_YORK, span)],
            _opt("1mo"),
        ),
        ([intraday_day(date(2026, 11, 18))], _opt("1d")),
        ([daily("AMZN", NEW_YORK, YEAR[:60], rng="3mo")], _opt("3mo", kind="candle")),
        ([daily("NEWCO", NEW_YORK, [date(2026, 11, 18)], rng="1mo")], _opt("1mo")),
        ([_without_volume(daily("^GSPC", NEW_YORK, YEAR[:60], rng="3mo"))], _opt("3mo")),
    ]
    figures.forget()
    fresh = {i: render_chart(h, o) for i, (h, o) in enumerate(others)}
    first = render_chart(one_year, _opt("1y"))
    for _ in range(2):
        for i, (histories, options) in enumerate(others):
            assert render_chart(histories, options) == fresh[i]
            assert render_chart(one_year, _opt("1y")) == first
    figures.forget()
    assert render_chart(one_year, _opt("1y")) == first


def _without_volume(history: History) -> History:
    bars = tuple(Bar(**{**_bar(b), "volume": 0}) for b in history.bars)
    return History(**{**_fields(history), "bars": bars})


def _opt(rng: str, kind: Literal["line", "candle"] = "line") -> ChartOptions:
    return ChartOptions(range=rng, kind=kind)


def test_png_writer_keeps_every_pixel_and_drops_alpha_only_when_opaque() -> None:
    rng = np.random.default_rng(7)
    translucent = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    opaque = translucent.copy()
    opaque[..., 3] = 255
    for pixels, mode in ((translucent, "RGBA"), (opaque, "RGB")):
        image = Image.open(io.BytesIO(pngfile.encode(pixels, {"Software": "OrbitDesk"})))
        image.load()
        assert image.mode == mode
        assert image.info["Software"] == "OrbitDesk"
        assert np.array_equal(np.asarray(image), pixels[..., : len(mode)])
