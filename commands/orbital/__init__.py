"""/orbital: orbital data-center claims with sources, and the calculators that check them.

The group and every subcommand are imported here so that `Registry.add_module(orbital)`
finds them all in this package's namespace.
"""

from __future__ import annotations

from bot.registry import group
from commands.orbital.calc_commands import (
    datacenter,
    launch,
    learning,
    link,
    orbit,
    radiator,
    solar,
)
from commands.orbital.claim_commands import claim, claims

orbital = group("orbital", "Orbital data-center claims, sourced, and calculators that check them")

__all__ = [
    "claim",
    "claims",
    "datacenter",
    "launch",
    "learning",
    "link",
    "orbit",
    "orbital",
    "radiator",
    "solar",
]
