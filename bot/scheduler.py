"""The tick loop: claim due slots, fetch every symbol once, post through the adapters, poll alerts.

One `tick(now)`:
1. takes over claims left by a process that died before posting (once each, after a lease;
   a live process renews the lease of the claims it holds while it works);
2. takes over deliveries whose retry time has come (transient failures, with backoff);
3. finds schedules whose next_due has passed, collapses missed slots inside the grace window
   into the latest one, skips (and logs) older ones, and claims each slot with a unique
   delivery row; the losers of a race with another process simply get no row back;
4. if the alert poll is due, picks the alerts whose market is open;
5. fetches every symbol all of that needs in ONE `MarketData.quotes()` call (which sends
   Yahoo one request per 50 symbols), including the symbols a watchlist schedule's list
   holds at that moment (read from the database just before the fetch);
6. posts one card per claim through the adapter of the schedule's platform, then records the
   outcome: posted, retry later, or failed (a permanent failure disables the schedule).
   Each post carries a key naming its slot; a claim that may have been sent before (taken
   over, or retried) is posted so that the platform shows it once (see PostKey).
7. runs the post jobs handed in at wiring (the deal watch's status changes), which claim and
   key their own posts the same way and render them with the same renderers.
Time comes in as `now`, so tests drive ticks by hand and nothing sleeps; `run()` is the real
loop, sleeping until the next due time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from bot.adapters.base import ChatAdapter, PostError, PostKey, serves
from bot.alert_rules import alert_state
from bot.clock import Clock
from bot.market.calendar import MarketCalendar, calendar_code
from bot.market.service import MarketData
from bot.market.types import Quote, QuoteBatch
from bot.posts import PostRenderers
from bot.schedule_times import ScheduleTimes, parse_days, parse_when
from bot.store.models import Alert
from bot.store.repo import Claim, DueSchedule, Outcome, Serves, Store
from bot.store.watchlists import ListKey, ListScope

log = logging.getLogger(__name__)

AdapterSource = Callable[[], Mapping[str, ChatAdapter]]
# A pushed-post job run every tick (the deal watch's status changes): it claims its own rows
# (one per post), renders each with the features' renderers it is handed, posts with a PostKey
# and returns how many it posted.
PostJob = Callable[[datetime, Mapping[str, ChatAdapter], PostRenderers], Awaitable[int]]


@dataclass
class TickReport:
    """What one tick did (for tests, logs and the benchmark)."""

    claimed: int = 0  # slots this process won
    lost: int = 0  # slots another process claimed first
    collapsed: int = 0  # missed slots folded into a later one
    skipped: int = 0  # schedules whose missed slots were all older than the grace window
    recovered: int = 0  # claims taken over from a process that died before posting
    abandoned: int = 0
    retried: int = 0  # deliveries taken over for another attempt
    expired: int = 0
    posted: int = 0
    retry_later: int = 0
    failed: int = 0
    disabled: int = 0
    alerts_checked: int = 0
    alerts_fired: int = 0
    alerts_rearmed: int = 0
    pushed: int = 0  # posts made by the post jobs (deal events)
    symbols_fetched: int = 0
    quote_calls: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    grace: timedelta = timedelta(minutes=15)
    # A claim not renewed for this long belongs to a process that stopped; live claimers renew
    # theirs every third of it while they fetch and post.
    lease: timedelta = timedelta(seconds=45)
    max_attempts: int = 4
    backoff_seconds: float = 30.0  # 30 s, 60 s, 120 s between attempts
    record_retries: tuple[float, ...] = (0.5, 1.0, 2.0)  # pauses before giving a record up
    post_timeout: float = 30.0
    post_concurrency: int = 50
    fetch_budget: float = 20.0
    alert_poll: timedelta = timedelta(seconds=60)
    alert_rearm_percent: float = 0.5
    max_sleep: float = 30.0  # the loop looks at the database at least this often
    keep_deliveries: timedelta = timedelta(days=7)  # finished delivery rows kept this long


class Scheduler:
    """Posts scheduled prices and alert notices exactly once per slot, across processes."""

    def __init__(
        self,
        store: Store,
        market: MarketData,
        calendar: MarketCalendar,
        clock: Clock,
        adapters: AdapterSource,
        posts: PostRenderers,
        config: SchedulerConfig | None = None,
        instance: str | None = None,
        on_post: Callable[[str, str], None] | None = None,
        claim_poll: Callable[[str], Awaitable[bool]] | None = None,
        jobs: Sequence[PostJob] = (),
    ) -> None:
        # Replicas: an alert poll period is taken by one of them (Redis or the database), so
        # N replicas ask Yahoo for alerts as often as one. None: this process polls every period.
        self.claim_poll = claim_poll
        self.store = store
        self.market = market
        self.calendar = calendar
        self.clock = clock
        self.adapters = adapters
        self.posts = posts  # what posts say: the features' renderers, wired by bot.app
        self.config = config or SchedulerConfig()
        # Names the claimer in `deliveries.claimed_by`: which host (replica) and process.
        self.instance = instance or (
            f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        )
        # (platform, "sent" | "failed") after every post attempt; metrics listen here.
        self.on_post = on_post or (lambda platform, result: None)
        self.jobs = list(jobs)
        self._next_alert_check: datetime | None = None
        self._next_prune: datetime | None = None
        self._wake = asyncio.Event()
        self._times = lru_cache(maxsize=4096)(self._build_times)

    # --------------------------------------------------------------------------- timing

    def times_for(
        self, at: str, days: str, tz: str, code: str | None, holidays: bool
    ) -> ScheduleTimes:
        """The parsed timing rule of a stored schedule (cached: thousands share a few rules)."""
        return self._times(at, days, tz, code, holidays)

    def _build_times(
        self, at: str, days: str, tz: str, code: str | None, holidays: bool
    ) -> ScheduleTimes:
        calendar = self.calendar.schedule(code) if code else None
        return ScheduleTimes(
            when=parse_when(at), days=parse_days(days), tz=tz, calendar=calendar, holidays=holidays
        )

    def wake(self) -> None:
        """Make the running loop look at the database now (a schedule changed)."""
        self._wake.set()

    # --------------------------------------------------------------------------- the tick

    async def tick(self, now: datetime | None = None) -> TickReport:
        """Do everything due at `now` (default: the clock's now)."""
        now = now or self.clock.now()
        report = TickReport()
        adapters = dict(self.adapters())
        platforms = sorted(adapters)
        if not platforms:
            return report
        mine = self._serves(adapters)
        recovered, abandoned = await self.store.recover_stale(
            now, self.config.lease, self.instance, mine
        )
        report.recovered, report.abandoned = len(recovered), len(abandoned)
        if abandoned:
            log.error("deliveries %s abandoned: their process died twice before posting", abandoned)
        if recovered:
            log.warning("re-posting %d slot(s) claimed by a process that stopped", len(recovered))
        retries = await self.store.claim_retries(now, self.instance, mine)
        report.retried = len(retries)
        won = await self._claim_due(now, platforms, report, mine)
        claims = await self.store.claims([*recovered, *retries, *won])
        claims = await self._drop_expired(claims, now, report)
        claims = await self._fill_watchlists(claims)
        heartbeat = self._renew_while_working([c.delivery_id for c in claims])
        try:
            alerts = await self._alerts_due(now, platforms, mine)
            symbols = [s for c in claims for s in c.symbols] + [a.symbol for a in alerts]
            batch = QuoteBatch()
            if symbols:
                batch = await self.market.quotes(symbols, budget=self.config.fetch_budget)
                report.quote_calls = 1
                report.symbols_fetched = len(set(symbols))
            if claims:
                outcomes = await self._post_all(claims, batch, adapters, now, report)
                await self._record(outcomes, now)
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
        if alerts:
            await self._check_alerts(alerts, batch, adapters, now, report)
        for job in self.jobs:
            try:
                report.pushed += await job(now, adapters, self.posts)
            except Exception:  # one job's failure must not stop the tick
                log.exception("post job failed")
        if self._next_prune is None or now >= self._next_prune:
            self._next_prune = now + timedelta(hours=6)
            pruned = await self.store.prune(now - self.config.keep_deliveries)
            if pruned:
                log.info("pruned %d finished delivery rows", pruned)
        return report

    def _renew_while_working(self, delivery_ids: list[int]) -> asyncio.Task[None] | None:
        """Renew the lease of our claims every third of it until cancelled (a heartbeat)."""
        if not delivery_ids:
            return None
        interval = self.config.lease.total_seconds() / 3

        async def beat() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await self.store.renew(delivery_ids, self.instance, self.clock.now())
                except Exception as exc:  # the database is away: the lease runs out, by design
                    log.warning("could not renew %d claim(s): %s", len(delivery_ids), exc)

        return asyncio.ensure_future(beat())

    async def _record(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Store the outcomes, retrying a failing database a few times before giving up.

        Given up, the claims stay "claimed": after the lease they are taken over and posted
        with `maybe_sent`, which the adapters turn into a no-op for a post that went out.
        """
        for pause in (*self.config.record_retries, None):
            try:
                await self.store.record(outcomes, self.instance, now)
                return
            except Exception as exc:
                if pause is None:
                    log.error(
                        "could not record %d post outcome(s) (%s); their claims will be taken "
                        "over after the lease, without posting twice",
                        len(outcomes),
                        exc,
                    )
                    return
                log.warning("recording post outcomes failed (%s); retrying in %.1f s", exc, pause)
                await asyncio.sleep(pause)

    @staticmethod
    def _serves(adapters: Mapping[str, ChatAdapter]) -> Serves | None:
        """Which (platform, guild) this process posts for; None when it posts for all."""
        if all(getattr(a, "serves", None) is None for a in adapters.values()):
            return None

        def mine(platform: str, guild_id: str | None) -> bool:
            adapter = adapters.get(platform)
            return adapter is not None and serves(adapter, guild_id)

        return mine

    async def _claim_due(
        self, now: datetime, platforms: Sequence[str], report: TickReport, mine: Serves | None
    ) -> list[int]:
        due = await self.store.due_schedules(now, platforms)
        if mine is not None:  # other processes hold these guilds; they post them
            due = [row for row in due if mine(row.platform, row.guild_id)]
        if not due:
            return []
        window_start = now - self.config.grace
        slots: list[tuple[int, datetime]] = []
        advances: list[tuple[int, datetime, datetime | None]] = []
        for row in due:
            times = self._row_times(row)
            if times is None:
                continue
            pending = times.due_between(max(row.next_due, window_start), now)
            if row.next_due < window_start:
                log.info(
                    "schedule #%d: slots from %s to %s are older than the %d-minute grace "
                    "window; skipped",
                    row.id,
                    row.next_due.isoformat(),
                    window_start.isoformat(),
                    self.config.grace.total_seconds() // 60,
                )
            if pending:
                slots.append((row.id, pending[-1]))
                report.collapsed += len(pending) - 1
            else:
                report.skipped += 1
            advances.append((row.id, row.next_due, times.next_after(now)))
        won = await self.store.claim_slots(slots, advances, self.instance, now)
        report.claimed = len(won)
        report.lost = len(slots) - len(won)
        return won

    def _row_times(self, row: DueSchedule) -> ScheduleTimes | None:
        try:
            return self.times_for(row.at, row.days, row.tz, row.calendar, row.holidays)
        except (ValueError, KeyError) as exc:  # a row edited by hand; never crash the loop
            log.error("schedule #%d has an unreadable rule (%s); not posting it", row.id, exc)
            return None

    async def _drop_expired(
        self, claims: list[Claim], now: datetime, report: TickReport
    ) -> list[Claim]:
        old = [c for c in claims if now - c.due_at > self.config.grace]
        if old:
            await self.store.expire([c.delivery_id for c in old], "older than the grace window")
            report.expired = len(old)
            log.warning("%d delivery(ies) expired before they could be posted", len(old))
        return [c for c in claims if now - c.due_at <= self.config.grace]

    async def _fill_watchlists(self, claims: list[Claim]) -> list[Claim]:
        """Give each watchlist schedule's claim the symbols its list holds right now, so they
        ride on the tick's one batched fetch with every other schedule's and alert's."""
        keys = {
            c.delivery_id: ListKey.of_channel(c.platform, c.guild_id, c.channel_id)
            for c in claims
            if c.watchlist == ListScope.CHANNEL.value
        }
        if not keys:
            return claims
        lists = await self.store.watchlists.many(list(keys.values()))
        return [
            replace(c, symbols=tuple(lists[keys[c.delivery_id]])) if c.delivery_id in keys else c
            for c in claims
        ]

    # --------------------------------------------------------------------------- posting

    async def _post_all(
        self,
        claims: Sequence[Claim],
        batch: QuoteBatch,
        adapters: Mapping[str, ChatAdapter],
        now: datetime,
        report: TickReport,
    ) -> list[Outcome]:
        gate = asyncio.Semaphore(self.config.post_concurrency)

        async def one(claim: Claim) -> Outcome:
            if claim.watchlist:
                response = self.posts.watchlist(
                    claim.schedule_id,
                    claim.watchlist,
                    claim.symbols,
                    claim.tz,
                    claim.due_at,
                    batch,
                )
            else:
                response = self.posts.schedule(
                    claim.schedule_id, claim.symbols, claim.tz, claim.due_at, batch
                )
            if response is None:
                reasons = {batch.failed.get(s, "no data") for s in claim.symbols}
                return self._transient(claim, now, f"no prices ({', '.join(sorted(reasons))})")
            adapter = adapters.get(claim.platform)
            if adapter is None:
                return self._transient(claim, now, f"no {claim.platform} adapter running")
            async with gate:
                try:
                    key = PostKey(post_key(claim), maybe_sent=claim.maybe_sent)
                    await asyncio.wait_for(
                        adapter.post(claim.channel_id, response, key, guild_id=claim.guild_id),
                        self.config.post_timeout,
                    )
                except PostError as exc:
                    self.on_post(claim.platform, "failed")
                    if exc.permanent:
                        reason = f"{exc.reason}: {exc.message}"
                        await self.store.disable_schedule(claim.schedule_id, reason)
                        log.warning("schedule #%d disabled: %s", claim.schedule_id, reason)
                        report.disabled += 1
                        return Outcome(claim.delivery_id, "failed", reason)
                    return self._transient(claim, now, f"{exc.reason}: {exc.message}")
                except TimeoutError:
                    self.on_post(claim.platform, "failed")
                    return self._transient(claim, now, "post timed out")
                except Exception as exc:  # an adapter bug must not stop other posts
                    self.on_post(claim.platform, "failed")
                    log.exception("posting schedule #%d failed", claim.schedule_id)
                    return self._transient(claim, now, f"error: {type(exc).__name__}")
            self.on_post(claim.platform, "sent")
            return Outcome(claim.delivery_id, "posted")

        outcomes = await asyncio.gather(*(one(c) for c in claims))
        for outcome in outcomes:
            if outcome.status == "posted":
                report.posted += 1
            elif outcome.status == "retry":
                report.retry_later += 1
            else:
                report.failed += 1
                if outcome.error:
                    report.errors.append(outcome.error)
        return list(outcomes)

    def _transient(self, claim: Claim, now: datetime, error: str) -> Outcome:
        if claim.attempts >= self.config.max_attempts:
            log.error(
                "schedule #%d slot %s: giving up after %d attempts (%s)",
                claim.schedule_id,
                claim.due_at.isoformat(),
                claim.attempts,
                error,
            )
            return Outcome(
                claim.delivery_id, "failed", f"gave up after {claim.attempts} attempts: {error}"
            )
        delay = self.config.backoff_seconds * 2 ** (claim.attempts - 1)
        log.info(
            "schedule #%d: post failed (%s); retrying in %.0f s", claim.schedule_id, error, delay
        )
        return Outcome(claim.delivery_id, "retry", error, now + timedelta(seconds=delay))

    # --------------------------------------------------------------------------- alerts

    def market_open(self, symbol: str, now: datetime) -> bool:
        """Whether the symbol's exchange is in its regular session (always, for FX/crypto)."""
        if calendar_code(symbol) is None:
            return True
        schedule = self.calendar.schedule_for(symbol)
        return schedule is None or schedule.session_at(now) is not None

    async def _alerts_due(
        self, now: datetime, platforms: Sequence[str], mine: Serves | None = None
    ) -> list[Alert]:
        if self._next_alert_check is not None and now < self._next_alert_check:
            return []
        self._next_alert_check = now + self.config.alert_poll
        if self.claim_poll is not None:
            # Periods on the clock's grid, so that every replica names the same one
            poll = self.config.alert_poll.total_seconds()
            period = int(now.timestamp() // poll)
            self._next_alert_check = datetime.fromtimestamp((period + 1) * poll, UTC)
            if not await self.claim_poll(f"alert-poll:{','.join(platforms)}:{period}"):
                return []  # another replica polls this period
        alerts = await self.store.active_alerts(platforms)
        return [
            a
            for a in alerts
            if self.market_open(a.symbol, now) and (mine is None or mine(a.platform, a.guild_id))
        ]

    async def _check_alerts(
        self,
        alerts: Sequence[Alert],
        batch: QuoteBatch,
        adapters: Mapping[str, ChatAdapter],
        now: datetime,
        report: TickReport,
    ) -> None:
        band = self.config.alert_rearm_percent
        for alert in alerts:
            quote = batch.quotes.get(alert.symbol)
            if quote is None or quote.stale:
                continue  # never fire on a cached price
            report.alerts_checked += 1
            hit, rearm = alert_state(alert.kind, alert.threshold, quote, band)
            if alert.armed and hit:
                if not await self.store.fire_alert(alert.id, quote.price, now):
                    continue  # another process fired it
                report.alerts_fired += 1
                await self._post_alert(alert, quote, adapters)
            elif (
                not alert.armed
                and rearm
                and await self.store.set_armed(alert.id, True, quote.price)
            ):
                report.alerts_rearmed += 1

    async def _post_alert(
        self, alert: Alert, quote: Quote, adapters: Mapping[str, ChatAdapter]
    ) -> None:
        adapter = adapters.get(alert.platform)
        response = self.posts.alert(alert, quote)
        try:
            if adapter is None:
                raise PostError("no_adapter", f"no {alert.platform} adapter", permanent=False)
            await asyncio.wait_for(
                adapter.post(alert.channel_id, response, guild_id=alert.guild_id),
                self.config.post_timeout,
            )
            self.on_post(alert.platform, "sent")
        except PostError as exc:
            self.on_post(alert.platform, "failed")
            if exc.permanent:
                await self.store.disable_alert(alert.id, f"{exc.reason}: {exc.message}")
                log.warning("alert #%d disabled: %s", alert.id, exc.message)
            else:  # re-arm, so the next poll tries again
                await self.store.set_armed(alert.id, True, quote.price)
        except Exception:
            self.on_post(alert.platform, "failed")
            log.exception("posting alert #%d failed", alert.id)
            await self.store.set_armed(alert.id, True, quote.price)

    # --------------------------------------------------------------------------- the loop

    async def run(self, stop: asyncio.Event) -> None:
        """Tick, then sleep until the next due time (or a wake-up), until `stop` is set."""
        log.info("scheduler %s running", self.instance)
        while not stop.is_set():
            self._wake.clear()
            try:
                report = await self.tick(self.clock.now())
                if report.posted or report.failed or report.alerts_fired or report.pushed:
                    log.info(
                        "tick: %d posted, %d retry later, %d failed, %d alerts fired",
                        report.posted,
                        report.retry_later,
                        report.failed,
                        report.alerts_fired,
                    )
            except Exception:
                log.exception("scheduler tick failed; trying again shortly")
            delay = await self._sleep_seconds()
            stopper = asyncio.ensure_future(stop.wait())
            waker = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait(
                    {stopper, waker}, timeout=delay, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                stopper.cancel()
                waker.cancel()

    async def _sleep_seconds(self) -> float:
        now = self.clock.now()
        candidates = [now + timedelta(seconds=self.config.max_sleep)]
        if self._next_alert_check is not None:
            candidates.append(self._next_alert_check)
        try:
            # The lease moment too: a stopped process's claim is taken over on time.
            wakeup = await self.store.next_wakeup(sorted(self.adapters()), self.config.lease)
        except Exception:
            log.exception("could not read the next due time")
            wakeup = None
        if wakeup is not None:
            candidates.append(wakeup)
        # Work overdue after a tick belongs to guilds other processes hold (or cannot be
        # posted yet): look again shortly, without spinning on it.
        floor = 1.0 if self._serves(self.adapters()) is not None else 0.2
        return max(floor, (min(candidates) - now).total_seconds())


def post_key(claim: Claim) -> str:
    """The same string for a slot in every process: schedule id and due time (<= 21 chars)."""
    return f"{claim.schedule_id}-{int(claim.due_at.timestamp())}"
