"""What the bot knows: one module per feature, registered in this explicit order."""

from __future__ import annotations

from types import ModuleType

from bot.registry import Registry
from commands import (
    acquisitions,
    alerts,
    chart,
    dealwatch,
    earnings,
    movers,
    news,
    options,
    orbital,
    profile,
    quote,
    schedule,
    watchlist,
)
from commands import help as help_module

FEATURES: tuple[ModuleType, ...] = (
    help_module,
    quote,
    chart,
    news,
    profile,
    movers,
    options,
    acquisitions,
    orbital,
    schedule,
    alerts,
    dealwatch,
    watchlist,
    earnings,
)


def register_all(registry: Registry) -> Registry:
    for module in FEATURES:
        registry.add_module(module)
    return registry


def build_registry() -> Registry:
    return register_all(Registry())
