"""Prometheus metrics for one app: commands, latency, Yahoo traffic, cache, scheduled posts."""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from bot.context import Invocation
from bot.edgar.watch import DealWatch
from bot.market.service import MarketData
from bot.redis_engine import RedisEngine
from bot.registry import CommandSpec
from bot.response import Response

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class _MarketCollector(Collector):
    """Reads the market service's own counters at scrape time (no double bookkeeping)."""

    def __init__(self, market: MarketData, watch: DealWatch | None = None) -> None:
        self.market = market

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        stats = self.market.stats
        requests = CounterMetricFamily(
            "orbitdesk_yahoo_requests", "HTTP requests sent to Yahoo", labels=["endpoint"]
        )
        for endpoint, count in sorted(stats.requests.items()):
            requests.add_metric([endpoint], count)
        yield requests
        errors = CounterMetricFamily(
            "orbitdesk_yahoo_errors", "Failed Yahoo calls by reason", labels=["reason"]
        )
        for reason, count in sorted(stats.errors.items()):
            errors.add_metric([reason], count)
        yield errors
        cache = self.market.cache_stats
        yield GaugeMetricFamily(
            "orbitdesk_cache_hit_ratio", "Market cache hits / lookups", value=cache.hit_ratio
        )
        lookups = CounterMetricFamily(
            "orbitdesk_cache_lookups", "Market cache lookups", labels=["result"]
        )
        lookups.add_metric(["hit"], cache.hits)
        lookups.add_metric(["miss"], cache.misses)
        lookups.add_metric(["stale_served"], cache.stale_served)
        yield lookups
        shared = self.market.shared
        if shared.active:
            lookups = CounterMetricFamily(
                "orbitdesk_shared_cache_lookups",
                "Lookups in the cache replicas share (Redis), after a miss in this process",
                labels=["result"],
            )
            lookups.add_metric(["hit"], shared.stats.hits)
            lookups.add_metric(["miss"], shared.stats.misses)
            yield lookups
            yield CounterMetricFamily(
                "orbitdesk_shared_fetch_waits",
                "Times this process waited for another replica's Yahoo fetch",
                value=shared.stats.waits,
            )


class _RedisCollector(Collector):
    """Whether Redis answers, and how often this process went on without it."""

    def __init__(self, redis: RedisEngine) -> None:
        self.redis = redis

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "orbitdesk_redis_up", "1 while Redis answers, 0 during an outage", value=self.redis.up
        )
        yield CounterMetricFamily(
            "orbitdesk_redis_fallbacks",
            "Calls answered in-process because Redis was out of reach",
            value=self.redis.fallbacks,
        )
        yield CounterMetricFamily(
            "orbitdesk_redis_outages", "Times Redis went out of reach", value=self.redis.outages
        )


class _DealWatchCollector(Collector):
    """The deal watch's counters: EDGAR requests by outcome, events found, posts sent."""

    def __init__(self, watch: DealWatch) -> None:
        self.watch = watch

    def collect(self) -> Iterator[CounterMetricFamily]:
        requests = CounterMetricFamily(
            "orbitdesk_edgar_requests", "Requests to SEC EDGAR by outcome", labels=["outcome"]
        )
        for outcome, count in sorted(self.watch.client.stats.requests.items()):
            requests.add_metric([outcome], count)
        yield requests
        events = CounterMetricFamily(
            "orbitdesk_dealwatch_events", "Deal events found in filings", labels=["kind"]
        )
        for kind, count in sorted(self.watch.events_found.items()):
            events.add_metric([kind], count)
        yield events
        posts = CounterMetricFamily(
            "orbitdesk_dealwatch_posts",
            "Deal status changes posted, by platform and result",
            labels=["platform", "result"],
        )
        for (platform, result), count in sorted(self.watch.posts_sent.items()):
            posts.add_metric([platform, result], count)
        yield posts


class _CommandTally(Collector):
    """Commands answered and how long they took, counted in plain dicts as they are answered
    (on the event loop) and turned into Prometheus families at scrape time: the client's own
    counters take a lock per increment, which cost more than the answer's bookkeeping."""

    def __init__(self) -> None:
        self.answered: dict[tuple[str, str, str, str], int] = {}
        self.buckets: dict[str, list[int]] = {}  # per command: count per LATENCY_BUCKETS + +Inf
        self.sums: dict[str, float] = {}

    def count(self, key: tuple[str, str, str, str], seconds: float) -> None:
        self.answered[key] = self.answered.get(key, 0) + 1
        name = key[0]
        counts = self.buckets.get(name)
        if counts is None:
            counts = self.buckets[name] = [0] * (len(LATENCY_BUCKETS) + 1)
        counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1  # the first bound >= seconds ("le")
        self.sums[name] = self.sums.get(name, 0.0) + seconds

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        commands = CounterMetricFamily(
            "orbitdesk_commands",
            "Commands answered, by command, platform, outcome and source (typed or action)",
            labels=["command", "platform", "outcome", "source"],
        )
        for key, count in sorted(self.answered.items()):
            commands.add_metric(list(key), count)
        yield commands
        latency = HistogramMetricFamily(
            "orbitdesk_command_seconds", "Time from dispatch to answer", labels=["command"]
        )
        bounds = [*(floatToGoString(b) for b in LATENCY_BUCKETS), "+Inf"]
        for name, counts in sorted(self.buckets.items()):
            cumulative = list(itertools.accumulate(counts))
            latency.add_metric(
                [name], list(zip(bounds, cumulative, strict=True)), sum_value=self.sums[name]
            )
        yield latency


class Metrics:
    """One registry per app (no process globals), fed by Core's dispatch listener."""

    def __init__(
        self,
        market: MarketData,
        watch: DealWatch | None = None,
        redis: RedisEngine | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.commands = _CommandTally()
        self.registry.register(self.commands)
        self.posts = Counter(
            "orbitdesk_scheduled_posts",
            "Scheduled posts and alerts, by platform and result",
            ["platform", "result"],
            registry=self.registry,
        )
        self.registry.register(_MarketCollector(market))
        if watch is not None:
            self.registry.register(_DealWatchCollector(watch))
        if redis is not None:
            self.registry.register(_RedisCollector(redis))

    def on_dispatch(
        self, invocation: Invocation, spec: CommandSpec | None, response: Response, seconds: float
    ) -> None:
        name = spec.name if spec else "unknown"
        self.commands.count((name, invocation.platform, response.kind, invocation.source), seconds)

    def post_result(self, platform: str, result: str) -> None:
        """Count one scheduled post: result is "sent" or "failed"."""
        self.posts.labels(platform, result).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
