"""The deal watch service: poll EDGAR for the filers of deals not yet final, store events,
post status changes into subscribed channels exactly once each.

It lives beside market data in bot/: the deals to watch and the card of a post are handed in
at wiring (bot/app.py) by commands/, so nothing here imports commands or builds cards. The
curated deal book is never written; events go to the database and answers merge them over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.adapters.base import ChatAdapter, PostError, PostKey
from bot.clock import Clock
from bot.edgar.classify import classify, needs_text
from bot.edgar.client import EdgarClient, EdgarError
from bot.edgar.store import PostClaim, WatchStore
from bot.edgar.types import Filing, WatchedDeal
from bot.market.calendar import MarketCalendar
from bot.posts import PostRenderers

log = logging.getLogger(__name__)

DealSource = Callable[[], Sequence[WatchedDeal]]
AdapterSource = Callable[[], Mapping[str, ChatAdapter]]
_NEW_YORK = ZoneInfo("America/New_York")
OFF_REASON = (
    "the deal watch is off: set ORBITDESK_SEC_USER_AGENT to your name or company and a "
    "contact email (the SEC refuses undeclared tools)"
)


@dataclass(frozen=True, slots=True)
class WatchConfig:
    interval: timedelta = timedelta(minutes=30)
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 4
    backoff_seconds: float = 30.0
    post_timeout: float = 30.0
    tickers_max_age: timedelta = timedelta(days=1)


@dataclass
class PollReport:
    polled: bool = False  # False: not a business day, not due, or another replica's slot
    filers: int = 0
    events: int = 0
    status_changes: int = 0
    errors: list[str] = field(default_factory=list)


class DealWatch:
    """Watches EDGAR for the deals `deals()` returns; posts each status change once per
    subscribed channel when the scheduler's tick calls `deliver` with its renderers."""

    def __init__(
        self,
        *,
        client: EdgarClient,
        store: WatchStore,
        clock: Clock,
        deals: DealSource,
        calendar: MarketCalendar | None = None,
        config: WatchConfig | None = None,
        instance: str | None = None,
        on_status_change: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.clock = clock
        self.deals = deals
        self.calendar = calendar
        self.config = config or WatchConfig()
        self.instance = instance or uuid.uuid4().hex[:16]
        # Called when a poll stores a status change (the app wakes the scheduler to post it).
        self.on_status_change = on_status_change
        self.events_found: Counter[str] = Counter()
        self.posts_sent: Counter[tuple[str, str]] = Counter()
        self._tickers: dict[str, int] = {}
        self._tickers_at: datetime | None = None
        self._ciks: dict[str, int] = {}  # resolved once, kept: a delisted ticker disappears

    # ------------------------------------------------------------------ state

    @property
    def enabled(self) -> bool:
        return self.client.enabled

    @property
    def off_reason(self) -> str | None:
        return None if self.enabled else OFF_REASON

    def watched(self) -> list[WatchedDeal]:
        return [d for d in self.deals() if d.status == "pending"]

    def business_day(self, now: datetime) -> bool:
        day = now.astimezone(_NEW_YORK).date()
        if self.calendar is not None:
            try:
                return self.calendar.schedule("XNYS").is_session(day)
            except Exception:  # a calendar without this year: fall back to weekdays
                log.debug("no XNYS calendar for %s", day, exc_info=True)
        return day.weekday() < 5

    def slot_of(self, now: datetime) -> datetime:
        seconds = self.config.interval.total_seconds()
        return datetime.fromtimestamp(now.timestamp() // seconds * seconds, UTC)

    # ------------------------------------------------------------------ polling

    async def poll(self, now: datetime | None = None, *, any_day: bool = False) -> PollReport:
        """Poll once per interval slot on US business days; one replica wins each slot.

        `any_day` is the check at start: a process that starts on a weekend or a holiday
        checks once too, still claiming its slot (a restart loop polls at most once a slot).
        """
        now = now or self.clock.now()
        if not self.enabled or not (any_day or self.business_day(now)):
            return PollReport()
        if not await self.store.claim_poll(self.slot_of(now), self.instance, now):
            return PollReport()
        report = await self.check(now)
        if report.status_changes and self.on_status_change is not None:
            self.on_status_change()
        return report

    async def check(self, now: datetime) -> PollReport:
        """Fetch every watched filer's recent filings and store what they mean for the deals."""
        report = PollReport(polled=True)
        deals = self.watched()
        if not deals:
            return report
        ciks: dict[tuple[str, str], int] = {}
        for deal in deals:
            for role in ("acquirer", "target"):
                cik = await self._cik(deal.party(role), report)
                if cik is not None:
                    ciks[(deal.id, role)] = cik
        known = await self.store.known(d.id for d in deals)
        filings: dict[int, list[Filing]] = {}
        for cik in sorted(set(ciks.values())):
            try:
                filings[cik] = await self.client.submissions(cik)
                await self.store.record_check(cik, now, "ok")
            except EdgarError as exc:
                report.errors.append(f"CIK {cik}: {exc.message}")
                await self.store.record_check(cik, now, exc.outcome)
                if exc.outcome in ("blocked", "rate_limited", "skipped_blocked"):
                    break  # every SEC request waits out a block
        report.filers = len(filings)
        rows: list[dict[str, Any]] = []
        for deal in deals:
            for role in ("acquirer", "target"):
                cik = ciks.get((deal.id, role))
                for filing in filings.get(cik, []) if cik is not None else []:
                    if filing.filing_date < deal.since or (deal.id, filing.accession) in known:
                        continue
                    row = await self._event_row(deal, role, filing, now, report)
                    if row is not None:
                        rows.append(row)
                        known.add((deal.id, filing.accession))
        added = await self.store.add_events(rows)
        report.events = len(added)
        for _id, kind, new_status in added:
            self.events_found[kind] += 1
            if new_status:
                report.status_changes += 1
        if report.status_changes:
            log.info("deal watch: %d status change(s) found in filings", report.status_changes)
        return report

    async def _event_row(
        self, deal: WatchedDeal, role: str, filing: Filing, now: datetime, report: PollReport
    ) -> dict[str, Any] | None:
        text = None
        if needs_text(filing):
            try:
                text = await self.client.document_text(filing)
            except EdgarError as exc:
                report.errors.append(f"{filing.accession}: {exc.message}")
                return None  # read it next time rather than call it a signal
        found = classify(deal, filing, role, text)
        if found is None:
            return None
        return {
            "deal_id": deal.id,
            "deal_title": deal.title[:200],
            "kind": found.kind,
            "new_status": found.new_status,
            "replaced_status": deal.status,
            "form": filing.form[:20],
            "items": ",".join(filing.items)[:100],
            "accession": filing.accession[:25],
            "filer_cik": f"{filing.cik:010d}",
            "role": role,
            "filing_date": filing.filing_date.isoformat(),
            "url": filing.url,
            "summary": found.summary,
            "found_at": now,
        }

    async def _cik(self, party: Any, report: PollReport) -> int | None:
        if party.cik is not None:
            return int(party.cik)
        ticker = (party.ticker or "").upper()
        if not ticker:
            return None  # a private company: nothing on EDGAR to watch
        if ticker in self._ciks:
            return self._ciks[ticker]
        now = self.clock.now()
        if self._tickers_at is None or now - self._tickers_at > self.config.tickers_max_age:
            try:
                self._tickers = await self.client.tickers()
                self._tickers_at = now
            except EdgarError as exc:
                report.errors.append(f"ticker file: {exc.message}")
                return None
        cik = self._tickers.get(ticker) or self._tickers.get(ticker.replace(".", "-"))
        if cik is not None:
            self._ciks[ticker] = cik
        return cik

    # ------------------------------------------------------------------ posting

    async def deliver(
        self, now: datetime, adapters: Mapping[str, ChatAdapter], posts: PostRenderers
    ) -> int:
        """Post every status change not yet posted into each subscribed channel; returns the
        number posted by this process. Called from the scheduler's tick (a PostJob), which
        hands in the features' renderers."""
        if not adapters:
            return 0
        claims = await self.store.claim_posts(
            now, self.instance, sorted(adapters), self.config.lease
        )
        posted = 0
        for claim in claims:
            posted += await self._post(claim, adapters, posts, now)
        return posted

    async def _post(
        self,
        claim: PostClaim,
        adapters: Mapping[str, ChatAdapter],
        posts: PostRenderers,
        now: datetime,
    ) -> int:
        adapter = adapters.get(claim.platform)
        error: str
        permanent = False
        try:
            if adapter is None:
                raise PostError("no_adapter", f"no {claim.platform} adapter", permanent=False)
            response = posts.deal_event(claim.event)
            await asyncio.wait_for(
                adapter.post(claim.channel_id, response, post_key(claim), guild_id=claim.guild_id),
                self.config.post_timeout,
            )
        except PostError as exc:
            error, permanent = f"{exc.reason}: {exc.message}", exc.permanent
        except TimeoutError:
            error = "post timed out"
        except Exception as exc:  # an adapter bug must not stop other posts
            log.exception("posting deal event #%d failed", claim.event.id)
            error = f"error: {type(exc).__name__}"
        else:
            self.posts_sent[(claim.platform, "sent")] += 1
            await self.store.finish_post(claim.post_id, self.instance, "posted", now)
            return 1
        self.posts_sent[(claim.platform, "failed")] += 1
        if permanent or claim.attempts >= self.config.max_attempts:
            await self.store.finish_post(claim.post_id, self.instance, "failed", now, error)
        else:
            delay = self.config.backoff_seconds * 2 ** (claim.attempts - 1)
            await self.store.finish_post(
                claim.post_id,
                self.instance,
                "retry",
                now,
                error,
                retry_at=now + timedelta(seconds=delay),
            )
        return 0

    # ------------------------------------------------------------------ the loop

    async def run(self, stop: asyncio.Event) -> None:
        """Check once at start (any day), then poll when a business-day slot is due, until
        `stop` is set (posting is the scheduler's tick)."""
        if not self.enabled:
            log.info("%s", OFF_REASON)
            return
        log.info("deal watch %s polling EDGAR every %s", self.instance, self.config.interval)
        first = True
        while not stop.is_set():
            try:
                await self.poll(self.clock.now(), any_day=first)
            except Exception:
                log.exception("deal watch poll failed; trying again next slot")
            first = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=60)

    async def close(self) -> None:
        await self.client.close()


def post_key(claim: PostClaim) -> PostKey:
    """The same key for a post in every process (its row id, one per event and channel).

    A claim on its second attempt or later (a retry, or taken over from a process that
    stopped) may have reached the platform: the adapter then checks before posting again.
    """
    return PostKey(f"deal-{claim.post_id}", maybe_sent=claim.attempts > 1)
