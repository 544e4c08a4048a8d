"""Suggestions while a user types an option: sources declared on parameters, served by the core.

A parameter names its source in its declaration, `Param("tickers", complete=complete_symbols)`;
`Core.complete` finds the parameter and asks its source (or offers the parameter's own choices).
Every platform's typeahead (Discord autocomplete, Slack's external selects) calls the core, so
each source is written once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.market.symbols import check_symbol_text

if TYPE_CHECKING:
    from bot.context import Context
    from bot.registry import ParamSpec

SEARCH_BUDGET = 1.0  # s; Discord drops an autocomplete not answered in 3 s
MIN_SEARCH_PREFIX = 2


@dataclass(frozen=True, slots=True)
class Choice:
    """One suggestion: what the menu shows, and what picking it fills in."""

    label: str
    value: str


class CompletionSource(Protocol):
    async def __call__(self, ctx: Context, prefix: str, limit: int) -> list[Choice]:
        """Up to `limit` choices for the word `prefix` being typed; may return fewer."""
        ...


def complete_choices(param: ParamSpec, prefix: str) -> list[Choice]:
    """A choice parameter's own values that start with `prefix` (any case)."""
    needle = prefix.casefold()
    return [Choice(c, c) for c in param.choices if c.casefold().startswith(needle)]


async def complete_symbols(ctx: Context, prefix: str, limit: int) -> list[Choice]:
    """Symbols from aliases and recent quotes (instant), then Yahoo's search on a short budget."""
    choices = [Choice(label, value) for label, value in ctx.symbols.complete_local(prefix, limit)]
    if len(choices) >= limit or len(prefix.strip()) < MIN_SEARCH_PREFIX:
        return choices
    try:
        check_symbol_text(prefix)
        async with asyncio.timeout(SEARCH_BUDGET + 0.2):
            hits = await ctx.market.search(prefix, budget=SEARCH_BUDGET)
    except Exception:  # slow, failing or odd text: the local suggestions stand
        return choices
    seen = {c.value for c in choices}
    for hit in hits:
        if hit.symbol and hit.symbol not in seen:
            seen.add(hit.symbol)
            choices.append(Choice(f"{hit.symbol} · {hit.name} ({hit.exchange})", hit.symbol))
    return choices[:limit]
