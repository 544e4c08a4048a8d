"""Splitting a question into words, quantities with units, years and chart ranges."""

from __future__ import annotations

import re

from bot.router.reading import Quantity

# Words: letters/digits with inner . & ' - (amazon.com, s&p, wright's); a leading $ or ^ kept.
_WORD = re.compile(r"[$^]?[\w][\w&.'’\-]*")
_POSSESSIVE = re.compile(r"['’]s$")
# A number with a unit, as a calculator takes it: 40 MW, 60C, 550 km, $100/kg, 22%, 1.55 um.
_UNIT = (
    r"w/m2|w/m²|w/kg|kg/m2|kg/m²|kg/kw|\$/kg|/kg|\$/kwh|/kwh|c/kwh|\$/w|/w|"
    r"tw|gw|mw|kw|w|km2|km²|m2|m²|km|cm|mm|um|µm|m|°c|°f|degc|degf|c|f|k|kg|"
    r"tonnes|tonne|tons|ton|t|%|deg|db|years|year|yrs|yr|y"
)
_QUANTITY = re.compile(
    rf"(?<![\w.$])(\$?)([0-9]+(?:\.[0-9]+)?)\s?({_UNIT})(?![\w/²])",
    re.IGNORECASE,
)
_UNIT_SPELLING = {
    "tonnes": "t",
    "tonne": "t",
    "tons": "t",
    "ton": "t",
    "years": "y",
    "year": "y",
    "yrs": "y",
    "yr": "y",
    "degc": "C",
    "degf": "F",
    "°c": "C",
    "°f": "F",
}
_UPPER_UNITS = {"tw": "TW", "gw": "GW", "mw": "MW", "kw": "kW", "w": "W", "c": "C", "f": "F"}
_YEAR = re.compile(r"^(19[89][0-9]|20[0-9][0-9])$")
_DIGITS = re.compile(r"^[0-9]{1,4}$")

NUMBER_WORDS = {"one": 1, "a": 1, "two": 2, "three": 3, "five": 5, "six": 6, "twelve": 12}


def words_of(text: str) -> tuple[list[str], list[str]]:
    """(lower-case words, the same words as typed); possessives and end dots dropped."""
    lower: list[str] = []
    raw: list[str] = []
    for match in _WORD.finditer(text):
        word = _POSSESSIVE.sub("", match.group(0).rstrip(".'’-"))
        if not word or word in "$^":
            continue
        raw.append(word)
        lower.append(word.lower().replace("’", "'").replace("'", ""))
    return lower, raw


def quantities(text: str) -> list[Quantity]:
    """Every number typed with a unit, written the way the calculators take it."""
    out = []
    for match in _QUANTITY.finditer(text):
        dollar, number, unit = match.groups()
        spelled = _UNIT_SPELLING.get(unit.lower(), unit)
        spelled = _UPPER_UNITS.get(spelled.lower(), spelled) if spelled.isalpha() else spelled
        out.append(Quantity(f"{dollar}{number}{spelled}", match.start()))
    return out


def years(words: list[str]) -> list[int]:
    return [int(w) for w in words if _YEAR.match(w)]


_RANGE_WORDS = {
    "ytd": "ytd",
    "1d": "1d",
    "5d": "5d",
    "1mo": "1mo",
    "3mo": "3mo",
    "6mo": "6mo",
    "1y": "1y",
    "2y": "2y",
    "5y": "5y",
    "10y": "10y",
    "max": "max",
}
_RANGE_PHRASES = {
    "year to date": "ytd",
    "this year": "ytd",
    "all time": "max",
    "this week": "5d",
    "past week": "5d",
    "last week": "5d",
    "past month": "1mo",
    "last month": "1mo",
    "past year": "1y",
    "last year": "1y",
    "last 12 months": "1y",
}
_SPANS = {
    ("day", 1): "1d",
    ("day", 5): "5d",
    ("week", 1): "5d",
    ("month", 1): "1mo",
    ("month", 3): "3mo",
    ("month", 6): "6mo",
    ("month", 12): "1y",
    ("year", 1): "1y",
    ("year", 2): "2y",
    ("year", 5): "5y",
    ("year", 10): "10y",
}
_SPAN_UNITS = {
    "d": "day",
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "wk": "week",
    "month": "month",
    "months": "month",
    "mo": "month",
    "year": "year",
    "years": "year",
    "yr": "year",
    "yrs": "year",
}
WEAK_RANGES = {"today": "1d", "intraday": "1d"}


def chart_range(words: list[str], padded: str, allowed: frozenset[str]) -> tuple[str | None, float]:
    """A chart range named in the words ("1 year", "this year", "5d") and how plainly (0-1.5).

    Only spans the chart offers come back: "7 years" is not rounded to something else.
    """
    found: str | None = None
    for word in words:
        if word in _RANGE_WORDS:
            found = _RANGE_WORDS[word]
    for phrase, value in _RANGE_PHRASES.items():
        if f" {phrase} " in padded:
            found = value
    for i in range(len(words) - 1):
        count = NUMBER_WORDS.get(words[i]) or (int(words[i]) if _DIGITS.match(words[i]) else None)
        unit = _SPAN_UNITS.get(words[i + 1])
        if count and unit and (unit, count) in _SPANS:
            found = _SPANS[(unit, count)]
    if found is not None and found in allowed:
        return found, 1.5
    for word, value in WEAK_RANGES.items():
        if f" {word} " in padded and value in allowed:
            return value, 0.3
    return None, 0.0
