"""Prometheus metrics: request latency by route template, writes by kind and outcome, and
the projections' lag behind the ledger (computed when scraped).

With several worker processes (`serve --workers N`) the counters and histograms use
prometheus-client's multiprocess mode: `serve` points `PROMETHEUS_MULTIPROC_DIR` (and
`LIFELEDGER_METRICS_DIR`) at a fresh directory before the workers start, and a scrape of
any worker sums every worker's files. The lag is read from the database, so it is the
same whichever worker answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class LagCollector(Collector):
    """`lifeledger_projection_lag_events`: ledger position minus the projections' position."""

    def __init__(self, lag: Callable[[], tuple[int, int]]) -> None:
        self.lag = lag

    def collect(self) -> Iterator[Metric]:
        ledger, projections = self.lag()
        for name, help_text, value in (
            ("lifeledger_projection_lag_events", "Events not yet applied", ledger - projections),
            ("lifeledger_ledger_position", "The ledger's position", ledger),
            ("lifeledger_projection_position", "Position the read models reflect", projections),
        ):
            gauge = GaugeMetricFamily(name, help_text)
            gauge.add_metric([], value)
            yield gauge


class Metrics:
    """The metrics of one app."""

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "lifeledger_http_request_duration_seconds",
            "HTTP request latency by method, route template and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.writes = Counter(
            "lifeledger_writes",
            "Acts and entries written through the API, by kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self._lag: LagCollector | None = None

    def watch_lag(self, lag: Callable[[], tuple[int, int]]) -> None:
        self._lag = LagCollector(lag)

    def wrote(self, kind: str, outcome: str) -> None:
        self.writes.labels(kind, outcome).inc()

    def exposition(self) -> bytes:
        registry = self.registry
        if self.multiprocess_dir:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
        if self._lag is not None:
            lag_registry = CollectorRegistry(auto_describe=False)
            lag_registry.register(self._lag)
            text += generate_latest(lag_registry)
        return text


class MetricsMiddleware:
    """Times every HTTP request and labels it with its route template (not the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.latency.labels(scope["method"], template, str(status[0])).observe(
                time.perf_counter() - started
            )
