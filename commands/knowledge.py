"""Loading the knowledge data (deal book, orbital claims) once per app, and its doctor check.

`install(services)` is called by bot.app when the app is built: it reads and validates the
bundled YAML files and the operator's files in DATA_DIR, keeps the results in
`services.data` under each feature's key, and adds a line to `orbitdesk doctor`. Commands get
the data through their feature's `deal_book(ctx)` / `claim_book(ctx)`, so no command reads a
file.
"""

from __future__ import annotations

from bot.context import Services
from bot.text import plural
from commands._shared.yaml_entries import bundled
from commands.acquisitions.deal_book import BUNDLED_NAME, DEAL_BOOK, load_deal_book
from commands.orbital.claims import BUNDLED_CLAIMS, CLAIM_BOOK, load_claim_book


def install(services: Services) -> None:
    """Load both data sets now (a bad bundled file stops start-up) and add the doctor check."""
    deals = load_deal_book(bundled(BUNDLED_NAME), services.settings.data_dir)
    claims = load_claim_book(bundled(BUNDLED_CLAIMS), services.settings.data_dir)
    services.data.put(DEAL_BOOK, deals)
    services.data.put(CLAIM_BOOK, claims)

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

    services.doctor_checks.append(check)
