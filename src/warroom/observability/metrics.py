"""Prometheus metrics of one warroom process.

Counters and histograms count what this process did; incident and delivery gauges are
read from the database at scrape time, so every process reports the shared truth and
nothing is lost when a process restarts.

Under `warroom serve --workers N` each worker counts in files of its own in the
directory named by `PROMETHEUS_MULTIPROC_DIR` (prometheus_client's multiprocess mode,
chosen when the library is first imported), and a scrape of any worker adds up all of
them, so /metrics shows the server's totals whichever worker answers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from warroom.db import Database

LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class _DatabaseGauges(Collector):
    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from warroom.alerts import intake as intakes
        from warroom.alerts.models import Alert
        from warroom.incidents.models import Incident
        from warroom.notify.models import Delivery

        incidents = GaugeMetricFamily("warroom_incidents", "Incidents by status and severity",
                                      labels=["status", "severity"])
        alerts = GaugeMetricFamily("warroom_alerts", "Stored alerts by status",
                                   labels=["status"])
        deliveries = GaugeMetricFamily("warroom_deliveries", "Deliveries by status",
                                       labels=["status"])
        intake = GaugeMetricFamily(
            "warroom_alert_intake_requests", "Alert posts answered before processing: "
            "waiting to be processed, or failed (kept in alert_intake with their error)",
            labels=["state"])
        try:
            with self.db.reading() as session:
                for status, severity, count in session.execute(
                        select(Incident.status, Incident.severity, func.count())
                        .group_by(Incident.status, Incident.severity)):
                    incidents.add_metric([status, severity], count)
                for status, count in session.execute(
                        select(Alert.status, func.count()).group_by(Alert.status)):
                    alerts.add_metric([status], count)
                for status, count in session.execute(
                        select(Delivery.status, func.count()).group_by(Delivery.status)):
                    deliveries.add_metric([status], count)
                waiting, failed_count = intakes.counts(session)
                intake.add_metric(["waiting"], waiting)
                intake.add_metric(["failed"], failed_count)
        except Exception:  # a scrape must not fail because the database is briefly away
            return
        yield incidents
        yield alerts
        yield deliveries
        yield intake


class Metrics:
    """One registry per process (and per app in tests)."""

    def __init__(self, db: Database | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.alerts_received = Counter("warroom_alerts_received_total",
                                       "Alerts accepted, by integration format", ["format"],
                                       registry=r)
        self.alerts_new = Counter("warroom_alerts_new_total", "Alerts never seen before",
                                  ["format"], registry=r)
        self.alerts_deduplicated = Counter("warroom_alerts_deduplicated_total",
                                           "Repeats of a known alert with no change",
                                           ["format"], registry=r)
        self.alerts_suppressed = Counter("warroom_alerts_suppressed_total",
                                         "Alerts silenced, inhibited or in maintenance",
                                         ["format"], registry=r)
        self.alerts_rejected = Counter("warroom_alerts_rejected_total",
                                       "Invalid alerts or bodies, by format", ["format"],
                                       registry=r)
        self.incidents_opened = Counter("warroom_incidents_opened_total",
                                        "Incidents opened by alerts", ["format"], registry=r)
        self.timer_lag = Histogram("warroom_escalation_timer_lag_seconds",
                                   "Fire time minus due time of escalation timers",
                                   buckets=LAG_BUCKETS, registry=r)
        self.timers_fired = Counter("warroom_timers_fired_total", "Timers performed",
                                    registry=r)
        self.deliveries = Counter("warroom_deliveries_total", "Send attempts by outcome",
                                  ["channel", "outcome"], registry=r)
        self.dead_letters = Counter("warroom_dead_letters_total",
                                    "Deliveries given up on", ["channel"], registry=r)
        self.ingest_batch_requests = Histogram(
            "warroom_ingest_batch_requests", "Ingest requests committed per transaction "
            "(concurrent requests are merged)", buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=r)
        self.ingest_batch_seconds = Histogram(
            "warroom_ingest_batch_seconds", "Time to apply and commit one merged ingest batch",
            buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5), registry=r)
        # Summed over live workers under `serve --workers` (each has its own queue).
        self.ingest_queued_alerts = Gauge(
            "warroom_ingest_queued_alerts", "Alerts accepted by the API and waiting to be "
            "committed; requests get 429 once this reaches warroom_ingest_queue_limit_alerts",
            registry=r, multiprocess_mode="livesum")
        self.ingest_queue_limit = Gauge(
            "warroom_ingest_queue_limit_alerts", "Alerts that may wait to be committed "
            "before new requests are refused with 429", registry=r,
            multiprocess_mode="livesum")
        self.request_latency = Histogram("warroom_http_request_duration_seconds",
                                         "HTTP request latency", ["method", "route", "status"],
                                         registry=r)
        self._by_format: dict[str, tuple[Any, ...]] = {}
        self._gauges = _DatabaseGauges(db) if db is not None else None
        if self._gauges is not None:
            r.register(self._gauges)

    def record_ingest(self, fmt: str, outcome: Any, rejected: int = 0) -> None:
        received, new, deduplicated, suppressed, opened = self._ingest_counters(fmt)
        received.inc(outcome.received)
        new.inc(outcome.new)
        deduplicated.inc(outcome.deduplicated)
        suppressed.inc(outcome.suppressed)
        if outcome.incidents_opened:
            opened.inc(len(outcome.incidents_opened))
        if rejected:
            self.alerts_rejected.labels(fmt).inc(rejected)

    def _ingest_counters(self, fmt: str) -> tuple[Any, ...]:
        """The per-format counters, looked up once (ingest records on every request)."""
        found = self._by_format.get(fmt)
        if found is None:
            found = self._by_format[fmt] = tuple(
                c.labels(fmt) for c in (self.alerts_received, self.alerts_new,
                                        self.alerts_deduplicated, self.alerts_suppressed,
                                        self.incidents_opened))
        return found

    def exposition(self) -> bytes:
        shared = os.environ.get(MULTIPROCESS_DIR)
        if not shared:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=shared)
        if self._gauges is not None:
            registry.register(self._gauges)
        return generate_latest(registry)


MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def forget_dead_workers(path: str) -> None:
    """Drop the live gauges of worker processes that are gone (a worker killed without
    its shutdown, which the supervisor then replaced): a dead worker's queue is no
    longer waiting. Called by every worker when it starts."""
    from prometheus_client import multiprocess

    pids = {name.rsplit("_", 1)[-1].removesuffix(".db")
            for name in os.listdir(path) if name.startswith("gauge_live")}
    for pid in pids:
        if pid.isdigit() and not _alive(int(pid)):
            multiprocess.mark_process_dead(int(pid), path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
