"""Reusable figures: a styled Figure, its Agg canvas and axes, kept between renders.

Building a Figure and its Axes (spines, ticks, grid, styling) costs about a quarter of a
render. A finished render hands its frame back here, emptied of everything it drew, and the
next render with the same theme, size and layout draws on it again.

Thread-safe: a frame is taken out of the pool for the whole render, so two renders never
share one; a render that finds none free builds its own. At most `KEEP` idle frames are kept
per key (a frame holds ~3 MB, most of it the canvas's pixels), so memory stays bounded: one
frame per theme and layout in use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.charts.themes import Palette

KEEP = 1
# Figure layout in figure fractions. Fixed margins instead of tight/constrained layout:
# those lay the figure out twice per render, which would double the render time.
LEFT, RIGHT = 0.045, 0.885
PRICE_TOP = 0.80
BOTTOM = 0.115
VOLUME_HEIGHT = 0.15
GAP = 0.02


@dataclass(frozen=True, slots=True)
class FrameKey:
    """What a frame is built for: frames are reused only for the same key."""

    colors: Palette
    width: float
    height: float
    dpi: int
    volume: bool  # a volume panel under the price axes


@dataclass(frozen=True, slots=True)
class Frame:
    figure: Figure
    canvas: FigureCanvasAgg
    price: Axes
    volume: Axes | None

    def clear(self) -> None:
        """Remove everything a render drew; the styling, layout and axes stay."""
        for ax in (self.price, self.volume):
            if ax is None:
                continue
            if ax.legend_ is not None:
                ax.legend_.remove()
            for artist in (*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images):
                artist.remove()
            # Forget the old data's extent and let the next one autoscale like a new axes.
            ax.relim()
            ax.set_autoscale_on(True)
        for text in list(self.figure.texts):
            text.remove()


_lock = threading.Lock()
_idle: dict[FrameKey, list[Frame]] = {}


def take(key: FrameKey) -> Frame:
    """An idle frame for `key`, or a new one; the caller owns it until `give`."""
    with _lock:
        idle = _idle.get(key)
        if idle:
            return idle.pop()
    return build(key)


def give(key: FrameKey, frame: Frame) -> None:
    """Hand a frame back after a render that finished; it is cleared here."""
    frame.clear()
    with _lock:
        idle = _idle.setdefault(key, [])
        if len(idle) < KEEP:
            idle.append(frame)


def forget() -> None:
    """Drop every idle frame (tests; memory)."""
    with _lock:
        _idle.clear()


def build(key: FrameKey) -> Frame:
    """A new figure with its axes laid out and styled for `key`."""
    colors = key.colors
    figure = Figure(figsize=(key.width, key.height), dpi=key.dpi, facecolor=colors.background)
    canvas = FigureCanvasAgg(figure)
    price_bottom = BOTTOM + VOLUME_HEIGHT + GAP if key.volume else BOTTOM
    price = figure.add_axes((LEFT, price_bottom, RIGHT - LEFT, PRICE_TOP - price_bottom))
    _style_axes(price, colors)
    volume = None
    if key.volume:
        volume = figure.add_axes((LEFT, BOTTOM, RIGHT - LEFT, VOLUME_HEIGHT), sharex=price)
        _style_axes(volume, colors)
        price.tick_params(axis="x", labelbottom=False)
    # Axis labels these charts never set (all but the volume panel's "volume"): fixed places,
    # so no draw measures every tick label to place an empty string.
    price.xaxis.set_label_coords(0.5, 0.0)
    price.yaxis.set_label_coords(1.0, 0.5)
    if volume is not None:
        volume.xaxis.set_label_coords(0.5, 0.0)
    return Frame(figure, canvas, price, volume)


def _style_axes(ax: Axes, colors: Palette) -> None:
    ax.set_facecolor(colors.background)
    for side in ("top", "left", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(colors.grid)
    ax.yaxis.tick_right()
    ax.yaxis.set_label_position("right")
    ax.tick_params(colors=colors.muted, labelsize=9, length=0, pad=5)
    ax.tick_params(axis="y", labelcolor=colors.text)
    ax.tick_params(axis="x", labelcolor=colors.text)
    ax.grid(True, axis="both", color=colors.grid, lw=0.6, zorder=0)
    ax.set_axisbelow(True)
