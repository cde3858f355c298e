"""Prometheus metrics, one registry per app so tests and several apps never collide.

Features record through the `Metrics` they are given (or the functions at the bottom, e.g.
`digest_run`); commands, interactions, Sentry calls and Slack API errors are recorded for them.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from bot.core.store import Store
    from bot.sentry.client import SentryClient

log = logging.getLogger("bot.sentry.calls")

# The outcome of the current Slack request when it ended in an error the user was told about.
outcome: contextvars.ContextVar[str | None] = contextvars.ContextVar("outcome", default=None)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
LAG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)


class _Live(Collector):
    """Values read at scrape time: cache hits/misses and Sentry rate-limit waits."""

    def __init__(self) -> None:
        self.stores: list[Store] = []
        self.clients: list[SentryClient] = []

    def collect(self) -> Iterator[Metric]:
        hits = sum(s.cache_hits for s in self.stores)
        misses = sum(s.cache_misses for s in self.stores)
        yield CounterMetricFamily("dexter_cache_hits", "Cache lookups answered by Redis.", hits)
        yield CounterMetricFamily("dexter_cache_misses", "Cache lookups that had to load.", misses)
        ratio = hits / (hits + misses) if hits + misses else 0.0
        yield GaugeMetricFamily("dexter_cache_hit_ratio", "Hits / (hits + misses).", ratio)
        waits = sum(c.rate_limit_waits for c in self.clients)
        yield CounterMetricFamily(
            "dexter_sentry_rate_limit_waits", "Times Dexter waited for Sentry's rate limit.", waits
        )


class Metrics:
    """Every metric Dexter exposes on `/metrics`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.commands = Counter(
            "dexter_commands",
            "/dexter sub-commands by name and outcome.",
            ["command", "outcome"],
            registry=r,
        )
        self.interactions = Counter(
            "dexter_interactions",
            "Buttons, menus, modals, options loads and events by name and outcome.",
            ["kind", "name", "outcome"],
            registry=r,
        )
        self.ack_latency = Histogram(
            "dexter_ack_latency_seconds",
            "Time from receiving a Slack request to its ack.",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.total_latency = Histogram(
            "dexter_request_duration_seconds",
            "Time from receiving a Slack request until its listener finished.",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.sentry_latency = Histogram(
            "dexter_sentry_request_duration_seconds",
            "Sentry API requests by method, endpoint family and status (0: no answer).",
            ["method", "family", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.slack_errors = Counter(
            "dexter_slack_api_errors",
            "Slack Web API calls that failed, by method and error.",
            ["method", "error"],
            registry=r,
        )
        self.rejected = Counter(
            "dexter_rejected_requests",
            "Slack requests refused before any listener ran.",
            ["reason"],
            registry=r,
        )
        self.duplicates = Counter(
            "dexter_duplicate_events",
            "Events API retries dropped as already handled.",
            registry=r,
        )
        self.digest_runs = Counter(
            "dexter_digest_runs",
            "Digest runs by outcome (ok, failed, skipped).",
            ["outcome"],
            registry=r,
        )
        self.digest_lag = Histogram(
            "dexter_digest_lag_seconds",
            "How late a digest was posted after its scheduled time.",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.webhooks = Counter(
            "dexter_sentry_webhooks",
            "Sentry webhook deliveries by resource and HTTP status answered.",
            ["resource", "status"],
            registry=r,
        )
        self.webhook_ack = Histogram(
            "dexter_sentry_webhook_ack_seconds",
            "Time from receiving a Sentry webhook to its answer.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._live = _Live()
        r.register(self._live)
        # async reads done before each scrape (e.g. the queue's depth in Redis)
        self.refreshers: list[Callable[[], Awaitable[None]]] = []

    def watch_store(self, store: Store) -> None:
        """Report this store's cache hits and misses."""
        if store not in self._live.stores:
            self._live.stores.append(store)

    def watch_sentry(self, client: SentryClient) -> None:
        """Time this client's requests and report its rate-limit waits."""
        if client not in self._live.clients:
            self._live.clients.append(client)
        if client.on_response is None:
            client.on_response = self.sentry_response

    def forget_sentry(self, client: SentryClient) -> None:
        """Stop reporting a closed client (its waits stay counted in the others' totals)."""
        if client in self._live.clients:
            self._live.clients.remove(client)

    def sentry_response(self, method: str, family: str, status: int, seconds: float) -> None:
        """The SentryClient `on_response` hook."""
        self.sentry_latency.labels(method, family, str(status)).observe(seconds)
        log.debug("sentry %s %s -> %s in %.3fs", method, family, status or "no answer", seconds)

    def webhook(self, resource: str, status: int, seconds: float) -> None:
        """Count one Sentry webhook delivery and time its answer."""
        self.webhooks.labels(resource, str(status)).inc()
        self.webhook_ack.observe(seconds)

    def slack_error(self, method: str, error: str) -> None:
        """Count one failed Slack Web API call."""
        self.slack_errors.labels(method, error or "unknown").inc()

    async def refresh(self) -> None:
        """Run the scrape-time readers (each handles its own failures)."""
        for refresh in self.refreshers:
            await refresh()

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


def digest_run(m: Metrics, *, outcome: str = "ok", lag_seconds: float | None = None) -> None:
    """Record one digest run: outcome `ok`, `failed` or `skipped`, and how late it fired."""
    m.digest_runs.labels(outcome).inc()
    if lag_seconds is not None:
        m.digest_lag.observe(max(0.0, lag_seconds))


def record_outcome(exc: BaseException) -> None:
    """Label the current request's outcome after the error the user was shown."""
    from bot.core import errors

    kind = "error"
    if isinstance(exc, errors.UserError):
        kind = "user_error"
    elif isinstance(exc, errors.NotLinked | errors.PermissionDenied):
        kind = "denied"
    elif isinstance(exc, errors.StateUnavailable):
        kind = "state_unavailable"
    elif isinstance(exc, errors.SlackUnavailable):
        kind = "slack_unavailable"
    elif isinstance(exc, errors.SentryRateLimited):
        kind = "sentry_rate_limited"
    elif isinstance(exc, errors.SentryUnavailable):
        kind = "sentry_unavailable"
    elif isinstance(exc, errors.SentryError):
        kind = "sentry_error"
    outcome.set(kind)
