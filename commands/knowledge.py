"""Loading the knowledge data (deal book, orbital claims) once per app, and its doctor check.

`install(services)` is called by bot.app when the app is built: it reads and validates the
bundled YAML files and the operator's files in DATA_DIR, keeps the results in
`services.extra`, and adds a line to `orbitdesk doctor`. Commands get the data through
`deal_book(ctx)` / `claim_book(ctx)`, which load it on first use if nothing installed it, so
no command reads a file more than once per app.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.context import Context, Services
from bot.text import plural
from commands.deal_book import BUNDLED_NAME, DataProblem, DealBook, load_deal_book

if TYPE_CHECKING:
    from commands.orbital.claims import ClaimBook

DEAL_BOOK_KEY = "deal_book"
CLAIM_BOOK_KEY = "claim_book"


def skipped_warning(problems: Sequence[DataProblem], what: str) -> str:
    """'A user data file was skipped: <first problem> (+N more). The bundled <what> are shown.'"""
    if not problems:
        return ""
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"A user data file was skipped: {problems[0]}{more}. The bundled {what} are shown."


def bundled(name: str) -> Path:
    """A data file shipped in commands/data/."""
    return Path(str(files("commands") / "data" / name))


def _deals(services: Services) -> DealBook:
    book = services.extra.get(DEAL_BOOK_KEY)
    if not isinstance(book, DealBook):
        book = load_deal_book(bundled(BUNDLED_NAME), services.settings.data_dir)
        services.extra[DEAL_BOOK_KEY] = book
    return book


def _claims(services: Services) -> ClaimBook:
    # Imported here: commands.orbital imports this module for its commands.
    from commands.orbital.claims import BUNDLED_CLAIMS, ClaimBook, load_claim_book

    book = services.extra.get(CLAIM_BOOK_KEY)
    if not isinstance(book, ClaimBook):
        book = load_claim_book(bundled(BUNDLED_CLAIMS), services.settings.data_dir)
        services.extra[CLAIM_BOOK_KEY] = book
    return book


def deal_book(ctx: Context) -> DealBook:
    return _deals(ctx.services)


def claim_book(ctx: Context) -> ClaimBook:
    return _claims(ctx.services)


def install(services: Services) -> None:
    """Load both data sets now (a bad bundled file stops start-up) and add the doctor check."""
    deals = _deals(services)
    claims = _claims(services)

    async def check() -> tuple[str, bool]:
        problems = [*deals.problems, *claims.problems]
        summary = (
            f"{plural(len(deals.deals), 'deal')}, {plural(len(claims.claims), 'orbital claim')}"
        )
        if not problems:
            return f"knowledge data    OK: {summary}", True
        detail = "; ".join(str(p) for p in problems[:3])
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        return f"knowledge data    user file skipped: {detail}{more} ({summary})", False

    checks: list[Any] = services.extra.setdefault("doctor_checks", [])
    checks.append(check)
