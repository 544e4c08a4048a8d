"""Loading the knowledge data (deal book, orbital claims) once per app, and its doctor check.

`install(services)` is called by bot.app when the app is built: it registers how to read and
validate the bundled YAML files and the operator's files in DATA_DIR, kept in
`services.data` under each feature's key once loaded, and adds a line to `orbitdesk doctor`. Commands get
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
    """Register both data sets and add the doctor check.

    They load on first use; bot.app loads them at once (`FeatureData.load_all`) unless it was
    built for one command (`orbitdesk ask`), so a bad bundled file still stops start-up.
    """
    data_dir = services.settings.data_dir
    services.data.put_lazy(DEAL_BOOK, lambda: load_deal_book(bundled(BUNDLED_NAME), data_dir))
    services.data.put_lazy(CLAIM_BOOK, lambda: load_claim_book(bundled(BUNDLED_CLAIMS), data_dir))

    async def check() -> tuple[str, bool]:
        deals, claims = services.data.get(DEAL_BOOK), services.data.get(CLAIM_BOOK)
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
