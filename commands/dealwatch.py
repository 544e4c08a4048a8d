"""/dealwatch on|off|status, and what the EDGAR deal watch needs from the deal book.

The watch itself is a service in bot/edgar/. This module hands it, at wiring, the deals to
watch (those whose curated status is pending) and the card of a status-change post (the
scheduler's `deal_event` renderer, via commands/posts.py). Merging the stored events over the
curated deals is commands/acquisitions/deal_events.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.context import Context, FeatureData
from bot.edgar.types import WatchedDeal, WatchParty
from bot.errors import UsageError
from bot.posts import RenderDealEventPost
from bot.registry import command, group
from bot.response import Card, Field, Response, Tone
from commands.acquisitions.deal_book import DEAL_BOOK, Party, Status, deal_book
from commands.acquisitions.deal_events import event_data, merge

if TYPE_CHECKING:
    from bot.edgar.watch import DealWatch
    from bot.store.models import DealEvent

dealwatch_group = group("dealwatch", "Deal status changes from SEC filings, posted here")


# ---------------------------------------------------------------------------- wiring


def _party(party: Party) -> WatchParty:
    return WatchParty(party.name, party.ticker, party.cik, party.aliases)


def watched_deals(data: FeatureData) -> Callable[[], list[WatchedDeal]]:
    """The deals the watch follows: every deal whose curated status is pending.

    `data` is the app's feature data; the deal book is read from it when the watch asks (it is
    loaded after the watch is built).
    """

    def deals() -> list[WatchedDeal]:
        book = data.get(DEAL_BOOK)
        return [
            WatchedDeal(
                id=d.id,
                title=d.title,
                acquirer=_party(d.acquirer),
                target=_party(d.target),
                status=d.status.value,
                since=d.as_of or d.announced,
            )
            for d in book.deals
            if d.status is Status.PENDING
        ]

    return deals


def render_event(data: FeatureData) -> RenderDealEventPost:
    """The card a status change posts into subscribed channels (the scheduler's renderer)."""

    def render(event: DealEvent) -> Response:
        deal = data.get(DEAL_BOOK).get(event.deal_id)
        as_of = deal.as_of.isoformat() if deal is not None and deal.as_of else "unknown"
        status = event.new_status or event.kind
        title = f"Deal status: {event.deal_title} is now {status}"[:256]
        fields = (
            Field("New status", status),
            Field("Was (deal book)", f"{event.replaced_status} (as of {as_of})"),
            Field("Changed by", event.summary[:1024], inline=False),
            Field("Filing", f"{event.form} filed {event.filing_date}\n{event.url}", inline=False),
        )
        card = Card(
            title=title,
            description="Found in an SEC filing by the deal watch.",
            fields=fields,
            footer=f"SEC EDGAR · filed {event.filing_date} · deal book id {event.deal_id}",
            url=event.url,
            tone=Tone.WARNING if status == "terminated" else Tone.NEUTRAL,
        )
        text = (
            f"{title}: {event.summary}. {event.form} filed {event.filing_date}: {event.url} "
            f"(the deal book said {event.replaced_status} as of {as_of})"
        )
        payload = {"event": event_data(event), "deal": event.deal_id}
        return Response(text=text, cards=(card,), data=payload)

    return render


# ---------------------------------------------------------------------------- commands


def _watch(ctx: Context) -> DealWatch:
    return ctx.services.dealwatch


@command("dealwatch on", manage_channel=True, examples=("dealwatch on",))
async def dealwatch_on(ctx: Context) -> Response:
    """Post deal status changes found in SEC filings into this channel."""
    watch = _watch(ctx)
    new = await watch.store.subscribe(
        ctx.platform, ctx.channel.id, ctx.channel.guild_id, ctx.user.id, ctx.now
    )
    lines = [
        "This channel will get deal status changes found in SEC filings."
        if new
        else "This channel already gets deal status changes."
    ]
    if watch.off_reason:
        lines.append(f"Note: {watch.off_reason}.")
    text = " ".join(lines)
    return Response(
        text=text,
        cards=(Card(title="Deal watch on", description=text),),
        data={"subscribed": True, "new": new, "watch_enabled": watch.enabled},
    )


@command("dealwatch off", manage_channel=True, examples=("dealwatch off",))
async def dealwatch_off(ctx: Context) -> Response:
    """Stop posting deal status changes into this channel."""
    removed = await _watch(ctx).store.unsubscribe(ctx.platform, ctx.channel.id)
    if not removed:
        raise UsageError("This channel does not get deal status changes (`dealwatch on`).")
    text = "This channel no longer gets deal status changes."
    return Response(
        text=text,
        cards=(Card(title="Deal watch off", description=text),),
        data={"subscribed": False},
    )


@command("dealwatch status", examples=("dealwatch status",))
async def dealwatch_status(ctx: Context) -> Response:
    """Which deals the SEC filings watch follows, when it last checked, what it found."""
    watch = _watch(ctx)
    book = deal_book(ctx)
    deals = watch.watched()
    events = await watch.store.events()
    checks = await watch.store.checks()
    last_poll = await watch.store.last_poll()
    subscribed = await watch.store.subscription(ctx.platform, ctx.channel.id) is not None
    by_deal: dict[str, list[DealEvent]] = {}
    for event in events:
        by_deal.setdefault(event.deal_id, []).append(event)
    state = (
        f"on: polls EDGAR every {watch.config.interval.total_seconds() / 60:.0f} min on US "
        "business days"
        if watch.enabled
        else watch.off_reason or "off"
    )
    last = last_poll.strftime("%Y-%m-%d %H:%M UTC") if last_poll else "never"
    fields = [
        Field("Watch", state[:1024], inline=False),
        Field("Last check", last),
        Field("This channel", "subscribed" if subscribed else "not subscribed (`dealwatch on`)"),
    ]
    lines = [f"Deal watch {state}.", f"Last check: {last}.", f"This channel: {fields[2].value}."]
    rows = []
    for watched in deals:
        deal = book.get(watched.id)
        found = by_deal.get(watched.id, [])
        merged = merge(deal, found) if deal is not None else None
        filers = [
            p.name for p in (watched.acquirer, watched.target) if p.cik is not None or p.ticker
        ]
        latest = found[-1] if found else None
        what = (
            f"last event: {latest.form} {latest.filing_date} ({latest.kind})"
            if latest
            else "no filings since the deal book's date"
        )
        status = merged.status if merged else watched.status
        row = f"{status} · SEC filers: {', '.join(filers) or 'none (private)'} · {what}"
        rows.append((watched, row))
    for watched, row in rows[:20]:
        fields.append(Field(f"{watched.title} ({watched.id})"[:256], row[:1024], inline=False))
        lines.append(f"- {watched.title}: {row}")
    card = Card(
        title=f"Deal watch: {len(deals)} deal(s) not final",
        fields=tuple(fields[:25]),
        footer=f"{len(checks)} SEC filer(s) checked · {len(events)} event(s) stored",
        tone=Tone.NEUTRAL if watch.enabled else Tone.WARNING,
    )
    data = {
        "enabled": watch.enabled,
        "reason": watch.off_reason,
        "last_check": last_poll.isoformat() if last_poll else None,
        "subscribed": subscribed,
        "deals": [
            {"id": w.id, "status": row.split(" · ")[0], "events": len(by_deal.get(w.id, []))}
            for w, row in rows
        ],
    }
    return Response(text="\n".join(lines), cards=(card,), data=data)
