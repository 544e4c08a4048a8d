"""The deal watch's events merged over the curated deal book (for `acquisition` answers and
`dealwatch status`): a strong event found in a filing overrides a pending curated status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.context import Context
from commands.acquisitions.deal_book import Deal, Status

if TYPE_CHECKING:
    from bot.store.models import DealEvent


@dataclass(frozen=True, slots=True)
class Merged:
    """A deal's status with the watch's events over the curated one."""

    status: str
    changed_by: DealEvent | None  # the strong event that set it (None: curated status)
    signals: tuple[DealEvent, ...]


def merge(deal: Deal, events: Sequence[DealEvent]) -> Merged:
    strong = [e for e in events if e.new_status]
    weak = tuple(e for e in events if not e.new_status)
    if deal.status is Status.PENDING and strong:
        last = strong[-1]
        return Merged(last.new_status or deal.status.value, last, weak)
    return Merged(deal.status.value, None, weak)


async def events_for(ctx: Context, deal_id: str | None = None) -> list[DealEvent]:
    return await ctx.services.dealwatch.store.events(deal_id)


def event_data(event: DealEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "new_status": event.new_status,
        "replaced_status": event.replaced_status,
        "form": event.form,
        "items": event.items,
        "accession": event.accession,
        "filing_date": event.filing_date,
        "url": event.url,
        "summary": event.summary,
        "role": event.role,
    }
