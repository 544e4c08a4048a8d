"""Wiring: Settings -> services -> Core. Nothing global; tests build as many apps as they like."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.charts.service import ChartService
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import FeatureData, Invocation, Services
from bot.core import Core
from bot.dedup import DatabaseSeen, Deduplicator, Layered, RedisSeen, SeenRecently
from bot.edgar.client import EdgarClient
from bot.market.calendar import MarketCalendar
from bot.market.service import MarketData
from bot.market.shared import NoSharing, RedisSharedCache, SharedCache
from bot.market.symbols import SymbolResolver, load_aliases
from bot.market.transport import UpstreamStats
from bot.market.yahoo import YahooClient
from bot.redis_engine import RedisEngine, redact
from bot.response import Response
from bot.router.ask import Asker
from bot.startup import StartupError, database_problem
from commands import build_registry, dealwatch, knowledge
from commands.glances import GLANCES
from commands.phrasing import Phrasing
from commands.posts import post_renderers

if TYPE_CHECKING:
    # The database layer (and SQLAlchemy under it, ~190 ms to import) loads in App.build, so a
    # core built by registry_core (`orbitdesk ask help`) never loads it.
    from bot.metrics import Metrics
    from bot.scheduler import Scheduler
    from bot.store.db import Database
    from bot.store.repo import Store

log = logging.getLogger(__name__)

MIGRATE_RETRY_MAX = 60.0  # seconds between attempts to reach the database, at most


def bundled_data(name: str) -> Path:
    """A data file shipped in commands/data/."""
    return Path(str(files("commands") / "data" / name))


@dataclass
class App:
    settings: Settings
    services: Services
    core: Core
    market: MarketData
    metrics: Metrics
    database: Database
    store: Store
    scheduler: Scheduler
    redis: RedisEngine | None  # ORBITDESK_REDIS_URL set: what replicas share
    # Slack deliveries already taken by some replica (Redis, else the database)
    deliveries: Deduplicator
    # Set once the schema is up to date; the scheduler waits for it.
    database_ready: asyncio.Event = field(default_factory=asyncio.Event)
    _scheduler_stop: asyncio.Event = field(default_factory=asyncio.Event)
    _scheduler_task: asyncio.Task[None] | None = None
    _migrator: asyncio.Task[None] | None = None
    _watch_task: asyncio.Task[None] | None = None

    @classmethod
    def build(
        cls, settings: Settings, *, clock: Clock | None = None, load_data: bool = True
    ) -> App:
        """Wire the app. `load_data=False` (one `orbitdesk ask`) leaves the feature data
        (deal book, orbital claims) to load on first use instead of now."""
        from bot.edgar.store import WatchStore
        from bot.edgar.watch import DealWatch, WatchConfig
        from bot.metrics import Metrics
        from bot.scheduler import Scheduler, SchedulerConfig
        from bot.store.db import Database
        from bot.store.repo import Store

        clock = clock or SystemClock()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        redis: RedisEngine | None = None
        shared: SharedCache = NoSharing()
        if settings.redis_url is not None:
            redis = RedisEngine(settings.redis_url.get_secret_value(), settings.redis_key_prefix)
            shared = RedisSharedCache(redis)
            log.info(
                "market data shared with other replicas through Redis at %s", redact(redis.url)
            )
        client = YahooClient(
            base_url=settings.yahoo_base_url,
            timeout_cap=settings.yahoo_timeout,
            cache_dir=settings.resolved_cache_dir / "yfinance",
            stats=UpstreamStats(),
        )
        market = MarketData(
            client=client,
            calendar=MarketCalendar(
                today=clock.now().date(), cache_dir=settings.resolved_calendar_cache_dir
            ),
            clock=clock,
            workers=settings.yahoo_workers,
            budget=settings.quote_budget,
            shared=shared,
        )
        aliases = load_aliases(
            [bundled_data("symbol_aliases.yaml"), settings.data_dir / "symbol_aliases.yaml"]
        )
        database = Database(settings.resolved_database_url)
        store = Store(database)
        # Feature data (deal book, orbital claims) is loaded by knowledge.install below; the
        # deal watch and the post renderers read it from here when they need it.
        data = FeatureData()
        watch = DealWatch(
            client=EdgarClient(
                user_agent=settings.sec_user_agent,
                base_url=settings.edgar_base_url,
                rate=settings.edgar_rate,
            ),
            store=WatchStore(database),
            clock=clock,
            calendar=market.calendar,
            # What to watch comes from commands/ (bot/ never imports it); what a post says is
            # the scheduler's deal_event renderer.
            deals=dealwatch.watched_deals(data),
            config=WatchConfig(interval=timedelta(minutes=settings.edgar_poll_minutes)),
        )
        metrics = Metrics(market, watch, redis)
        # Slack deliveries and alert poll periods already taken by some replica. Replicas
        # share Redis or PostgreSQL; on SQLite the bot is one process, whose memory decides
        # without a database write in front of every Slack ack.
        shared_seen: Deduplicator | None = None
        if redis is not None:
            shared_seen = RedisSeen(redis)
        elif database.dialect != "sqlite":
            shared_seen = DatabaseSeen(store, clock)
        deliveries = Layered(SeenRecently(), shared_seen)
        scheduler = Scheduler(
            store=store,
            market=market,
            calendar=market.calendar,
            clock=clock,
            # Adapters are added by the runner or the console after the app is built.
            adapters=lambda: services.adapters,
            posts=post_renderers(data),
            config=SchedulerConfig(
                grace=timedelta(minutes=settings.schedule_grace_minutes),
                lease=timedelta(seconds=settings.schedule_lease_seconds),
                backoff_seconds=settings.schedule_retry_seconds,
                max_attempts=settings.schedule_max_attempts,
                alert_poll=timedelta(seconds=settings.alert_poll_seconds),
                alert_rearm_percent=settings.alert_rearm_percent,
            ),
            on_post=metrics.post_result,
            jobs=[watch.deliver],  # deal status changes, posted from the same tick
            claim_poll=deliveries.claim,
        )
        watch.on_status_change = scheduler.wake  # a change found is posted now, not next sleep
        registry = build_registry()

        async def dispatch(invocation: Invocation) -> Response:
            return await core.dispatch(invocation)  # the core is built below

        # The router compiles its vocabulary on first use, after knowledge.install loaded it.
        asker = Asker(provider=Phrasing(registry, aliases, data), dispatch=dispatch)
        services = Services(
            settings=settings,
            clock=clock,
            registry=registry,
            market=market,
            symbols=SymbolResolver(aliases=aliases),
            store=store,
            charts=ChartService(market=market, calendar=market.calendar, clock=clock),
            scheduler=scheduler,
            glances=GLANCES,
            dealwatch=watch,
            asker=asker,
            data=data,
        )
        knowledge.install(services)  # deal book and orbital claims: validated once, here
        if load_data:
            services.data.load_all()
        core = Core(services=services, deadline=settings.command_timeout)
        core.listeners.append(metrics.on_dispatch)
        app = cls(
            settings=settings,
            services=services,
            core=core,
            market=market,
            database=database,
            store=store,
            scheduler=scheduler,
            metrics=metrics,
            redis=redis,
            deliveries=deliveries,
        )
        services.doctor_checks.append(app.database_check)
        services.doctor_checks.append(app.dealwatch_check)
        return app

    async def start(
        self,
        *,
        migrate: bool = True,
        require_database: bool = False,
        warm: bool = True,
        migrate_apart: bool = False,
    ) -> None:
        """Start the market service and bring the database schema up to date.

        The database out of reach stops nothing but what needs it: quotes, charts and the deal
        book still answer, and commands that need it say it is unavailable. Unless
        `require_database`, the problem is logged and `keep_migrating()` can retry it.
        `warm=False` skips loading the New York calendar ahead of need: a command that needs
        it loads it. `migrate_apart` (the long-running bot): a schema that is behind is
        migrated by a short-lived `orbitdesk db upgrade` child, while the market warms up, so
        Alembic (~9 MB) never stays in this process; if the child fails, this process
        migrates as before.
        """
        child = await self._migration_child() if migrate and migrate_apart else None
        if warm:
            await self.market.start()
        if not migrate:
            return
        if child is not None:
            await _wait_for_child(child)
        try:
            await self.database.upgrade()
        except Exception as exc:
            log.debug("database upgrade failed", exc_info=exc)
            problem = (
                f"database: cannot bring the schema up to date ({database_problem(exc)}): "
                "check ORBITDESK_DATABASE_URL and that the database is running"
            )
            if require_database:
                raise StartupError(problem) from None
            log.warning("%s; commands that need it will say so", problem)
            return
        self.database_ready.set()

    async def _migration_child(self) -> asyncio.subprocess.Process | None:
        """Start `orbitdesk db upgrade` for this database when its schema is behind."""
        if await self.database.is_current():
            return None
        env = {**os.environ, "ORBITDESK_DATABASE_URL": self.settings.resolved_database_url}
        try:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "db",
                "upgrade",
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError:
            log.debug("could not start the migration child", exc_info=True)
            return None

    def keep_migrating(self) -> None:
        """Until the database answers, retry bringing it up to date with backoff (1 s to 60 s)."""
        if self.database_ready.is_set() or self._migrator is not None:
            return

        async def retry() -> None:
            delay = 1.0
            while True:
                await asyncio.sleep(delay)
                try:
                    await self.database.upgrade()
                except Exception as exc:
                    delay = min(delay * 2, MIGRATE_RETRY_MAX)
                    log.warning(
                        "database still unreachable (%s); trying again in %.0f s",
                        database_problem(exc),
                        delay,
                    )
                    continue
                log.info("database reachable; schema up to date")
                self.database_ready.set()
                return

        self._migrator = asyncio.ensure_future(retry())

    def start_scheduler(self) -> None:
        """Run the scheduler loop in the background (after adapters connect), once the
        database is ready."""
        if self._scheduler_task is None:
            self._scheduler_stop.clear()
            self._scheduler_task = asyncio.ensure_future(self._run_scheduler())

    async def _run_scheduler(self) -> None:
        ready = asyncio.ensure_future(self.database_ready.wait())
        stopped = asyncio.ensure_future(self._scheduler_stop.wait())
        try:
            await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
            stopped.cancel()
        if self.database_ready.is_set() and not self._scheduler_stop.is_set():
            watch = self.services.dealwatch
            if self._watch_task is None and watch.enabled:
                self._watch_task = asyncio.ensure_future(watch.run(self._scheduler_stop))
            await self.scheduler.run(self._scheduler_stop)

    async def close(self) -> None:
        if self._migrator is not None:
            self._migrator.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._migrator
            self._migrator = None
        if self._scheduler_task is not None:
            self._scheduler_stop.set()
            try:
                await asyncio.wait_for(self._scheduler_task, timeout=10)
            except TimeoutError:
                self._scheduler_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._scheduler_task
            self._scheduler_task = None
        if self._watch_task is not None:
            self._scheduler_stop.set()
            try:
                await asyncio.wait_for(self._watch_task, timeout=10)
            except TimeoutError:
                self._watch_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._watch_task
            self._watch_task = None
        await self.services.dealwatch.close()
        await self.services.charts.close()
        await self.market.close()
        if self.redis is not None:
            await self.redis.close()
        await self.database.dispose()

    async def dealwatch_check(self) -> tuple[str, bool]:
        """Doctor: is the EDGAR deal watch on, and if not, why."""
        watch = self.services.dealwatch
        if not watch.enabled:
            # Off is a valid setup (no SEC user agent), not a failure.
            return f"deal watch      OFF: {watch.off_reason}", True
        minutes = watch.config.interval.total_seconds() / 60
        return (
            f"deal watch      OK: {len(watch.watched())} deal(s) not final, EDGAR every "
            f"{minutes:.0f} min on US business days, at most {self.settings.edgar_rate:g} req/s",
            True,
        )

    async def database_check(self) -> tuple[str, bool]:
        """Doctor: can we reach the database, and is its schema current?"""
        from bot.store.db import head_revision

        try:
            current = await self.database.current_revision()
            head = head_revision()
            if current != head:
                # Reachable but not migrated yet: the bot migrates on start, so not a failure.
                return (
                    f"database        OK: {self.database.dialect} reachable; schema at "
                    f"{current or 'none'}, code wants {head} (applied on start or by "
                    "`orbitdesk db upgrade`)",
                    True,
                )
            totals = await self.store.totals()
        except Exception as exc:
            log.debug("database check failed", exc_info=True)
            return f"database        FAILED: {type(exc).__name__}: {str(exc)[:160]}", False
        return (
            f"database        OK: {self.database.dialect}, revision {current}, "
            f"{totals['schedules']} schedules, {totals['alerts']} alerts",
            True,
        )


class _NotBuilt:
    """A service registry_core leaves out; reaching for it is a bug in a registry-only command
    (the core answers "something went wrong" and logs this error)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        raise RuntimeError(f"{self._name} is not built for a registry-only command ({attr})")


def registry_core(settings: Settings, *, clock: Clock | None = None) -> Core:
    """A core for commands answered from the command registry alone (`orbitdesk ask help`).

    Same registry, clock and deadline as App.build's core, so the answer is the same; but no
    market, database, scheduler, deal watch or feature data is built, and their modules (with
    SQLAlchemy, pandas, yfinance) stay unloaded.
    """
    clock = clock or SystemClock()
    unbuilt: Any = {
        name: _NotBuilt(name)
        for name in ("market", "symbols", "store", "charts", "scheduler", "dealwatch", "asker")
    }
    services = Services(
        settings=settings,
        clock=clock,
        registry=build_registry(),
        glances=GLANCES,
        **unbuilt,
    )
    return Core(services=services, deadline=settings.command_timeout)


async def _wait_for_child(child: asyncio.subprocess.Process, timeout: float = 120) -> None:
    """Wait for the migration child and pass its log on; its failure is logged at DEBUG (this
    process migrates itself then)."""
    try:
        _, err = await asyncio.wait_for(child.communicate(), timeout)
    except TimeoutError:
        child.kill()
        await child.wait()
        log.debug("the migration child took over %.0f s; migrating in this process", timeout)
        return
    if child.returncode != 0:
        log.debug("the migration child failed (%s): %s", child.returncode, err.decode()[-500:])
        return
    sys.stderr.write(err.decode(errors="replace"))  # its log lines ("Running upgrade ..."), as ours
