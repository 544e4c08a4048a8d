"""When a price alert fires and when it re-arms (hysteresis), as a pure function."""

from __future__ import annotations

from bot.market.types import Quote


def alert_state(
    kind: str, threshold: float, quote: Quote, band_percent: float
) -> tuple[bool, bool]:
    """(fires, re-arms) for a price: the re-arm level sits `band_percent` back past the line.

    above 160 with a 0.5 % band fires at >= 160 and re-arms at <= 159.20; move 5 % fires at a
    move of 5 % or more from the previous close and re-arms below 4.5 %.
    """
    price = quote.price
    if kind == "above":
        return price >= threshold, price <= threshold * (1 - band_percent / 100)
    if kind == "below":
        return price <= threshold, price >= threshold * (1 + band_percent / 100)
    pct = quote.change_pct
    if pct is None and quote.previous_close:
        pct = (price - quote.previous_close) / quote.previous_close * 100
    if pct is None:
        return False, False
    return abs(pct) >= threshold, abs(pct) <= max(threshold - band_percent, 0)
