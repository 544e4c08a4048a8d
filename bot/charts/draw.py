"""The drawing itself: price charts on matplotlib's Agg canvas (imported on the first chart).

Only bot.charts.render imports this module, inside `render_chart`, so matplotlib loads when
the first chart is drawn, not when the bot starts. Every call draws on a frame (figure, canvas,
axes) of its own from bot.charts.figures, never pyplot's global figure manager or rcParams,
so renders may run in parallel worker threads. Bars are placed by index
(bot.charts.timeline), so nights, weekends and holidays take no width and are never drawn as
flat lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.charts import figures, pngfile
from bot.charts.figures import LEFT, FrameKey
from bot.charts.render import ChartOptions
from bot.charts.summary import RangeChange, percent_series, range_change
from bot.charts.themes import Palette
from bot.charts.timeline import (
    align,
    as_of,
    day_breaks,
    extended_flags,
    interval_seconds,
    is_intraday,
    local_times,
    pick_ticks,
    runs,
    segments,
    split_runs,
    zone,
)
from bot.market.types import History

NAME_CHARS = 42
Shapes = Sequence[npt.ArrayLike]  # what collections take: here always one (n, k, 2) array


def png(histories: Sequence[History], options: ChartOptions, colors: Palette) -> bytes:
    """The chart as PNG bytes, drawn at options.dpi."""
    single = len(histories) == 1
    key = FrameKey(
        colors=colors,
        width=options.width,
        height=options.height,
        dpi=options.dpi,
        volume=single and any(b.volume for b in histories[0].bars),
    )
    frame = figures.take(key)
    # A render that fails leaves its frame to the garbage collector, never to the next one.
    if single:
        _single(frame, histories[0], options, colors)
    else:
        _compare(frame, histories, options, colors)
    frame.canvas.draw()
    image = pngfile.encode(np.asarray(frame.canvas.buffer_rgba()), {"Software": "OrbitDesk"})
    figures.give(key, frame)
    return image


# --------------------------------------------------------------------------- one symbol


def _single(frame: figures.Frame, history: History, options: ChartOptions, colors: Palette) -> None:
    figure = frame.figure
    ax, volume_ax = frame.price, frame.volume
    bars = history.bars
    n = len(bars)
    x = list(range(n))
    intraday = is_intraday(history.interval)
    tz = zone(history.exchange_tz)
    stamps = local_times(bars, tz)
    change = range_change(history)
    tone = colors.up if change.change_pct >= 0 else colors.down

    lows = [b.low if options.kind == "candle" else b.close for b in bars]
    highs = [b.high if options.kind == "candle" else b.close for b in bars]
    lo, hi = min(lows), max(highs)
    if change.base_kind == "previous close":
        lo, hi = min(lo, change.base), max(hi, change.base)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.01 or 1.0
    lo, hi = lo - pad, hi + pad
    ax.set_ylim(lo, hi)
    ax.set_xlim(-1, n)

    flags = extended_flags(history)
    extended_runs = split_runs(runs(flags), day_breaks(stamps)) if intraday else []
    for first, last in extended_runs:
        for axes in (ax, volume_ax):
            if axes is not None:
                axes.axvspan(
                    first - 0.5,
                    last + 0.5,
                    color=colors.extended,
                    alpha=colors.extended_alpha,
                    lw=0,
                    zorder=0,
                )
        if len(extended_runs) <= 3 and last - first + 1 >= n * 0.1:
            after = last + 1 < n and stamps[last + 1].date() == stamps[first].date()
            ax.text(
                (first + last) / 2,
                0.97,
                "pre-market" if after else "after-hours",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=8,
                color=colors.muted,
            )
    if intraday and options.range != "1d":
        for i in day_breaks(stamps):
            ax.axvline(i - 0.5, color=colors.grid, lw=1.0, zorder=1)

    if options.kind == "candle":
        _candles(ax, history, colors, hi - lo)
    elif n == 1:
        ax.plot(x, [bars[0].close], "o", color=tone, ms=5, zorder=3)
    else:
        closes = [b.close for b in bars]
        ax.plot(x, closes, color=tone, lw=1.7, zorder=3, solid_joinstyle="round")
        ax.fill_between(x, closes, lo, color=tone, alpha=0.10, lw=0, zorder=2)

    handles: list[Any] = []
    if change.base_kind == "previous close":
        ax.axhline(change.base, color=colors.muted, lw=0.9, ls=(0, (4, 3)), zorder=2)
        handles.append(
            Line2D(
                [],
                [],
                color=colors.muted,
                lw=0.9,
                ls=(0, (4, 3)),
                label=f"prev close {_price(change.base)}",
            )
        )
    if extended_runs:
        handles.append(
            Patch(
                color=colors.extended,
                alpha=min(1.0, colors.extended_alpha * 3),
                label="pre-/after-market",
            )
        )
    if handles:
        _legend(ax, handles, colors)

    _last_price_tag(ax, bars[-1].close, tone, colors)
    decimals = _decimals(hi - lo, bars[-1].close)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.{decimals}f}"))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    _axis_unit(ax, history.currency or "price", colors)

    bottom_ax = volume_ax or ax
    if volume_ax is not None:
        _volume(volume_ax, history, colors)
    _xticks(bottom_ax, stamps, intraday)

    unit = {"1d": "5-min", "5d": "15-min", "5y": "weekly", "max": "monthly"}.get(
        options.range, "daily"
    )
    name = _short(history.name)
    title = f"{name} ({history.symbol})" if name != history.symbol else history.symbol
    _titles(
        figure,
        colors,
        left=title,
        left_sub=f"{options.range} · {unit} {'candles' if options.kind == 'candle' else 'closes'}"
        f" · {history.currency or 'price'}",
        right=f"{change.change_pct:+.2f}%",
        right_color=tone,
        right_sub=_change_line(change),
    )
    note = f"times in {stamps[-1].strftime('%Z')}" if intraday else ""
    _footer(figure, colors, history.source, as_of(history), tz, note)


def _candles(ax: Axes, history: History, colors: Palette, span: float) -> None:
    bars = history.bars
    x = np.arange(len(bars), dtype=float)
    opens = np.array([b.open for b in bars])
    closes = np.array([b.close for b in bars])
    low, high = np.minimum(opens, closes), np.maximum(opens, closes)
    least = span * 0.002  # a doji still shows as a thin body
    thin = high - low < least
    low = np.where(thin, low - least / 2, low)
    high = np.where(thin, high + least / 2, high)
    fills = _two_tone(closes >= opens, colors)
    wicks = np.stack(
        [
            np.column_stack([x, [b.low for b in bars]]),
            np.column_stack([x, [b.high for b in bars]]),
        ],
        axis=1,
    )
    ax.add_collection(LineCollection(_shapes(wicks), colors=fills, linewidths=0.9, zorder=3))
    ax.add_collection(
        PolyCollection(
            _boxes(x, 0.35, low, high), facecolors=fills, edgecolors=fills, lw=0.4, zorder=4
        )
    )


def _volume(ax: Axes, history: History, colors: Palette) -> None:
    bars = history.bars
    volumes = np.array([b.volume for b in bars], dtype=float)
    closes = np.array([b.close for b in bars])
    previous = np.concatenate(([bars[0].open], closes[:-1]))
    boxes = _boxes(np.arange(len(bars), dtype=float), 0.4, np.zeros_like(volumes), volumes)
    fills = _two_tone(closes >= previous, colors)
    ax.add_collection(PolyCollection(boxes, facecolors=fills, lw=0, alpha=0.55, zorder=3))
    top = max(b.volume for b in bars)
    ax.set_ylim(0, top * 1.15 or 1)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=2, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _compact(v)))
    ax.set_ylabel("volume", color=colors.muted, fontsize=8, labelpad=8)


def _boxes(
    x: npt.NDArray[np.float64],
    half: float,
    low: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
) -> Shapes:
    """(n, 4, 2) corners of boxes centred on x, 2*half wide: one array, not n Python polygons."""
    left, right = x - half, x + half
    corners = np.stack(
        [
            np.column_stack([left, low]),
            np.column_stack([left, high]),
            np.column_stack([right, high]),
            np.column_stack([right, low]),
        ],
        axis=1,
    )
    return _shapes(corners)


def _shapes(points: npt.NDArray[np.float64]) -> Shapes:
    """An (n, k, 2) array as collections take it: matplotlib's fast path, no per-shape Path
    built in Python (its type stubs only name sequences, which an array is at run time)."""
    return cast(Shapes, points)


def _two_tone(up: npt.NDArray[np.bool_], colors: Palette) -> npt.NDArray[np.float64]:
    """RGBA rows: the theme's up colour where `up`, its down colour elsewhere."""
    return np.where(up[:, None], to_rgba(colors.up), to_rgba(colors.down))


# ------------------------------------------------------------------------------ compare


def _compare(
    frame: figures.Frame, histories: Sequence[History], options: ChartOptions, colors: Palette
) -> None:
    figure, ax = frame.figure, frame.price
    display_tz = zone(histories[0].exchange_tz)
    aligned = align(histories, display_tz)
    n = len(aligned.stamps)
    ax.axhline(0, color=colors.muted, lw=0.9, ls=(0, (4, 3)), zorder=2)
    handles = []
    for i, (history, (positions, closes)) in enumerate(zip(histories, aligned.series, strict=True)):
        color = colors.series[i % len(colors.series)]
        values = percent_series(closes)
        width = 2.0 if i == 0 else 1.5
        step = interval_seconds(history.interval)
        parts = segments(positions, aligned.stamps, 3 * step) if step else [slice(0, len(values))]
        for part in parts:
            xs, ys = positions[part], values[part]
            if len(ys) == 1:
                ax.plot(xs, ys, "o", color=color, ms=3, zorder=3 + i)
            else:
                ax.plot(xs, ys, color=color, lw=width, zorder=3 + i)
        handles.append(
            Line2D([], [], color=color, lw=2.2, label=f"{history.symbol}  {values[-1]:+.2f}%")
        )
    ax.set_xlim(-1, n)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _percent(v, _pct_decimals(ax))))
    _axis_unit(ax, "% change", colors)
    intraday = any(is_intraday(h.interval) for h in histories)
    if intraday and options.range != "1d":
        for i in day_breaks(aligned.stamps):
            ax.axvline(i - 0.5, color=colors.grid, lw=1.0, zorder=1)
    _xticks(ax, aligned.stamps, intraday)
    _legend(ax, handles, colors)
    symbols = [h.symbol for h in histories]
    _titles(
        figure,
        colors,
        left=f"{symbols[0]} vs {', '.join(symbols[1:])}",
        left_sub=f"{options.range} · % change from each symbol's first close in the range",
        right="",
        right_color=colors.text,
        right_sub="",
    )
    note = f"times in {aligned.stamps[-1].strftime('%Z')}" if intraday else ""
    latest = max(as_of(h) for h in histories)
    _footer(figure, colors, histories[0].source, latest, display_tz, note)


def _change_line(change: RangeChange) -> str:
    line = f"{_price(change.last_close)} ({_signed(change.change, change.last_close)}) vs {change.base_kind}"
    if change.extended_last is not None:
        line += f" · after hours {_price(change.extended_last)}"
    return line


def _percent(value: float, decimals: int) -> str:
    text = f"{value:+.{decimals}f}%"
    return "0%" if text.lstrip("+-") == f"{0:.{decimals}f}%" else text


def _pct_decimals(ax: Axes) -> int:
    lo, hi = ax.get_ylim()
    return 0 if hi - lo >= 8 else 1 if hi - lo >= 0.8 else 2


# ------------------------------------------------------------------------------- pieces


def _xticks(ax: Axes, stamps: Sequence[datetime], intraday: bool) -> None:
    ticks = pick_ticks(stamps, intraday)
    ax.set_xticks([i for i, _ in ticks], [label for _, label in ticks])


def _legend(ax: Axes, handles: Sequence[Any], colors: Palette) -> None:
    # One row above the plot: a legend inside the axes would cover the line somewhere.
    ax.legend(
        handles=list(handles),
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=len(handles),
        fontsize=8.5,
        frameon=False,
        labelcolor=colors.text,
        handlelength=1.6,
        columnspacing=1.6,
        borderaxespad=0.25,
        borderpad=0.2,
    )


def _axis_unit(ax: Axes, unit: str, colors: Palette) -> None:
    """The y axis's unit (the currency) above its tick labels, where the last-price tag is not."""
    ax.annotate(
        unit,
        xy=(1.0, 1.0),
        xycoords="axes fraction",
        xytext=(5, 5),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize=8.5,
        color=colors.muted,
        annotation_clip=False,
    )


def _last_price_tag(ax: Axes, price: float, tone: str, colors: Palette) -> None:
    ax.annotate(
        _price(price),
        xy=(1.0, price),
        xycoords=("axes fraction", "data"),
        xytext=(4, 0),
        textcoords="offset points",
        ha="left",
        va="center",
        fontsize=8.5,
        color=colors.background,
        fontweight="bold",
        bbox={"boxstyle": "round,pad=0.25", "fc": tone, "ec": tone},
        zorder=11,
        annotation_clip=False,
    )


def _titles(
    figure: Figure,
    colors: Palette,
    *,
    left: str,
    left_sub: str,
    right: str,
    right_color: str,
    right_sub: str,
) -> None:
    figure.text(
        LEFT, 0.955, left, ha="left", va="top", fontsize=13, fontweight="bold", color=colors.text
    )
    figure.text(LEFT, 0.885, left_sub, ha="left", va="top", fontsize=9, color=colors.muted)
    if right:
        figure.text(
            0.975,
            0.955,
            right,
            ha="right",
            va="top",
            fontsize=14,
            fontweight="bold",
            color=right_color,
        )
    if right_sub:
        figure.text(0.975, 0.885, right_sub, ha="right", va="top", fontsize=9, color=colors.muted)


def _footer(
    figure: Figure, colors: Palette, source: str, when: datetime, tz: tzinfo, note: str
) -> None:
    stamp = when.astimezone(tz).strftime("%b %d, %Y %H:%M %Z")
    figure.text(
        0.975,
        0.018,
        f"{source} · as of {stamp}",
        ha="right",
        va="bottom",
        fontsize=7.5,
        color=colors.muted,
    )
    if note:
        figure.text(LEFT, 0.018, note, ha="left", va="bottom", fontsize=7.5, color=colors.muted)


def _short(name: str) -> str:
    name = " ".join(name.split())
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1].rstrip() + "…"


def _decimals(span: float, price: float) -> int:
    if abs(price) < 2 or span < 0.05:
        return 4
    if span >= 50:
        return 0
    return 1 if span >= 5 else 2


def _price(value: float) -> str:
    return f"{value:,.4f}" if abs(value) < 2 else f"{value:,.2f}"


def _signed(value: float, reference: float) -> str:
    """A change with a sign, in as many decimals as the price it belongs to."""
    decimals = 4 if abs(reference) < 2 else 2
    return f"{value:+,.{decimals}f}"


def _compact(value: float) -> str:
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:.{0 if value % size == 0 else 1}f}{suffix}"
    return f"{value:.0f}" if value == math.floor(value) else f"{value:.1f}"
