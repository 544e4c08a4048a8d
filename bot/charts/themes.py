"""Colour palettes for charts: one tuned for dark chat clients, one for light ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ThemeName = Literal["dark", "light"]


@dataclass(frozen=True, slots=True)
class Palette:
    """Every colour a chart uses; the images carry their own opaque background."""

    background: str
    text: str
    muted: str
    grid: str
    up: str
    down: str
    extended: str  # shading behind pre-market and after-hours bars
    extended_alpha: float
    series: tuple[str, ...]  # compare lines, in order; none of them reads as "up" or "down"


# Dark: close to Discord's and Slack's dark surfaces so the image sits in the message.
DARK = Palette(
    background="#1e1f22",
    text="#f2f3f5",
    muted="#a4a9b1",
    grid="#34363c",
    up="#3ecf72",
    down="#f2555a",
    extended="#8fb8ff",
    extended_alpha=0.10,
    series=("#6ea8fe", "#ffb347", "#d291ff", "#4fd1c5", "#ff85b3"),
)
LIGHT = Palette(
    background="#ffffff",
    text="#1f2328",
    muted="#59636e",
    grid="#e3e6ea",
    up="#1a7f37",
    down="#cf222e",
    extended="#0969da",
    extended_alpha=0.07,
    series=("#0969da", "#c25100", "#8250df", "#0f7b84", "#bf3989"),
)
PALETTES: dict[str, Palette] = {"dark": DARK, "light": LIGHT}


def palette(name: str) -> Palette:
    """The palette called `name` ("dark" or "light")."""
    try:
        return PALETTES[name]
    except KeyError:
        raise ValueError(f"unknown chart theme {name!r}") from None
