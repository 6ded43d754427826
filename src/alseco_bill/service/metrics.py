"""The service's Prometheus metrics, in a registry of its own (one per app)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "alseco_requests", "Requests by route and status", ["route", "status"], registry=r
        )
        self.latency = Histogram(
            "alseco_request_seconds",
            "Request latency",
            ["route"],
            buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30),
            registry=r,
        )
        self.queue = Gauge("alseco_queue_depth", "Bills waiting for a worker", registry=r)
        self.in_flight = Gauge("alseco_in_flight", "Bills being rendered", registry=r)
        self.document = Histogram(
            "alseco_bills_per_document",
            "Bills laid out in one engine document",
            buckets=(1, 2, 4, 8, 16, 32, 50),
            registry=r,
        )
        self.rejections = Counter(
            "alseco_rejections", "Requests refused, by reason", ["reason"], registry=r
        )
        self.engine = Info("alseco_engine", "The print engine and its version", registry=r)
