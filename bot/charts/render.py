"""History in, PNG bytes out: the chart renderer's entry point, free of matplotlib.

Importing this module (and bot.charts.service, which the app imports at start) does not load
matplotlib: it costs tens of MB and hundreds of ms, and a bot that is never asked for a chart
never needs it. The first `render_chart` call imports bot.charts.draw, which loads it.

Pure and thread-safe: renders may run in parallel worker threads and nothing needs a display
(bot.charts.draw uses matplotlib's Agg canvas directly, never pyplot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.charts.themes import palette
from bot.market.types import History

ChartKind = Literal["line", "candle"]

MAX_PNG_BYTES = 500 * 1024
MAX_SERIES = 5


@dataclass(frozen=True, slots=True)
class ChartOptions:
    """How to draw: the range label, line or candles, theme, and the image's size."""

    range: str
    kind: ChartKind = "line"
    theme: str = "dark"
    width: float = 8.0  # inches
    height: float = 4.5
    dpi: int = 120


def render_chart(histories: Sequence[History], options: ChartOptions) -> bytes:
    """A PNG of one symbol (price, volume) or up to five (% change from start, with a legend).

    Every history needs at least one bar. The PNG is kept under MAX_PNG_BYTES by drawing at
    a lower resolution if it ever comes out larger.
    """
    if not histories or len(histories) > MAX_SERIES:
        raise ValueError(f"render_chart takes 1 to {MAX_SERIES} histories")
    if any(not h.bars for h in histories):
        raise ValueError("every history needs at least one bar")
    colors = palette(options.theme)
    from bot.charts import draw  # matplotlib loads here, on the first chart

    png = b""
    for dpi in (options.dpi, int(options.dpi * 0.75), int(options.dpi * 0.5)):
        png = draw.png(histories, replace(options, dpi=dpi), colors)
        if len(png) <= MAX_PNG_BYTES:
            break
    return png
