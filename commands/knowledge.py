"""Loading the knowledge data (deal book, orbital claims) once per app, and its doctor check.

`install(services)` is called by bot.app when the app is built: it reads and validates the
bundled YAML files and the operator's files in DATA_DIR, keeps the results in
`services.data` under typed keys, and adds a line to `orbitdesk doctor`. Commands get the
data through `deal_book(ctx)` / `claim_book(ctx)`, so no command reads a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from bot.context import Context, DataKey, Services
from commands.deal_book import BUNDLED_NAME, DataProblem, DealBook, load_deal_book

if TYPE_CHECKING:
    from commands.orbital.claims import ClaimBook

DEAL_BOOK: DataKey[DealBook] = DataKey("the deal book")
CLAIM_BOOK: DataKey[ClaimBook] = DataKey("the orbital claims")


def skipped_warning(problems: Sequence[DataProblem], what: str) -> str:
    """'A user data file was skipped: <first problem> (+N more). The bundled <what> are shown.'"""
    if not problems:
        return ""
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"A user data file was skipped: {problems[0]}{more}. The bundled {what} are shown."


def bundled(name: str) -> Path:
    """A data file shipped in commands/data/."""
    return Path(str(files("commands") / "data" / name))


def _load_claims(data_dir: Path | None) -> ClaimBook:
    # Imported here: commands.orbital imports this module for its commands.
    from commands.orbital.claims import BUNDLED_CLAIMS, load_claim_book

    return load_claim_book(bundled(BUNDLED_CLAIMS), data_dir)


def deal_book(ctx: Context) -> DealBook:
    return ctx.services.data.get(DEAL_BOOK)


def claim_book(ctx: Context) -> ClaimBook:
    return ctx.services.data.get(CLAIM_BOOK)


def install(services: Services) -> None:
    """Load both data sets now (a bad bundled file stops start-up) and add the doctor check."""
    deals = load_deal_book(bundled(BUNDLED_NAME), services.settings.data_dir)
    claims = _load_claims(services.settings.data_dir)
    services.data.put(DEAL_BOOK, deals)
    services.data.put(CLAIM_BOOK, claims)

    async def check() -> tuple[str, bool]:
        problems = [*deals.problems, *claims.problems]
        summary = f"{len(deals.deals)} deals, {len(claims.claims)} orbital claims"
        if not problems:
            return f"knowledge data    OK: {summary}", True
        detail = "; ".join(str(p) for p in problems[:3])
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        return f"knowledge data    user file skipped: {detail}{more} ({summary})", False

    services.doctor_checks.append(check)
