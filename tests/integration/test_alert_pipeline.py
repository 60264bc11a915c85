"""The alert pipeline on a real database: dedup, correlation, timeline, auto-resolve,
reopen, severity, suppression, triage, expiry and concurrent senders.

Each test drives `warroom.alerts.service.ingest` with an explicit `now`, so windows and
expiry are exercised without sleeping.
"""

from __future__ import annotations

import textwrap
import time
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from warroom.alerts.context import PipelineConfig
from warroom.alerts.fingerprint import alertmanager_fingerprint
from warroom.alerts.formats import require_format
from warroom.alerts.model import AlertStatus, IncomingAlert, make_alert
from warroom.alerts.models import Alert
from warroom.alerts.service import Outcome, Sender, expire_stale, ingest
from warroom.clock import utcnow
from warroom.config.loader import parse_config
from warroom.db import Database
from warroom.incidents import service as incidents
from warroom.incidents.lifecycle import Action
from warroom.incidents.models import Incident
from warroom.incidents.service import SeverityPolicy
from warroom.routing.matchers import parse_matchers
from warroom.suppression import service as silences
from warroom.timeline.models import TimelineEntry

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def alert(alertname: str = "HighErrorRate", *, status: str = "firing", summary: str = "",
          at: datetime = T0, fingerprint: str | None = None, **labels: str) -> IncomingAlert:
    """An Alertmanager-webhook style alert (no lease: it fires until told otherwise);
    `fingerprint` gives it a fixed identity, as a dedup key does."""
    labels = {"alertname": alertname, **labels}
    firing = status == "firing"
    return make_alert(
        labels=labels, annotations={"summary": summary} if summary else {},
        fingerprint=fingerprint or alertmanager_fingerprint(labels),
        status=AlertStatus.FIRING if firing else AlertStatus.RESOLVED,
        starts_at=at, ends_at=None if firing else at, generator_url=None,
        source_format="alertmanager_webhook", dedup_key=None,
        summary=summary or alertname, severity_hint=labels.get("severity"), raw={},
    )


class Pipeline:
    """The pipeline with one configuration, plus read helpers over the database."""

    def __init__(self, db: Database, cfg: PipelineConfig) -> None:
        self.db, self.cfg = db, cfg

    def send(self, *alerts: IncomingAlert, at: datetime = T0) -> Outcome:
        with self.db.transaction() as session:
            return ingest(session, alerts, cfg=self.cfg, sender=Sender("test-sender"), now=at)

    def expire(self, at: datetime) -> int:
        with self.db.transaction() as session:
            return expire_stale(session, cfg=self.cfg, now=at)

    def incidents(self) -> list[Incident]:
        with self.db.reading() as session:
            return list(session.scalars(select(Incident).options(selectinload(Incident.services))
                                        .order_by(Incident.number)))

    def only_incident(self) -> Incident:
        found = self.incidents()
        assert len(found) == 1, [i.title for i in found]
        return found[0]

    def timeline(self, incident: Incident) -> list[TimelineEntry]:
        with self.db.reading() as session:
            return list(session.scalars(
                select(TimelineEntry).where(TimelineEntry.incident_id == incident.id)
                .order_by(TimelineEntry.at, TimelineEntry.id)))

    def kinds(self, incident: Incident) -> list[str]:
        return [e.kind for e in self.timeline(incident)]

    def stored(self, a: IncomingAlert) -> Alert:
        with self.db.reading() as session:
            row = session.scalar(select(Alert).where(Alert.fingerprint == a.fingerprint))
        assert row is not None
        return row


@pytest.fixture
def make_pipeline(db: Database) -> Callable[..., Pipeline]:
    """A pipeline configured from warroom.yaml text (empty: the defaults)."""

    def make(yaml_text: str = "") -> Pipeline:
        config = parse_config(textwrap.dedent(yaml_text))
        policy = SeverityPolicy(scale=config.severity_scale(), rules=config.classifier_rules(),
                                fallback=config.classifier_fallback())
        return Pipeline(db, PipelineConfig.from_config(config, policy))

    return make


@pytest.fixture
def pipeline(make_pipeline: Callable[..., Pipeline]) -> Pipeline:
    return make_pipeline()


def _alert_entries(p: Pipeline, incident: Incident) -> list[TimelineEntry]:
    return [e for e in p.timeline(incident) if e.kind.startswith("alert.")]


# --- dedup and correlation ------------------------------------------------------------


def test_repeat_updates_count_and_opens_nothing(pipeline: Pipeline) -> None:
    first = pipeline.send(alert(instance="a"), at=T0)
    assert (first.new, first.deduplicated) == (1, 0) and first.incidents_opened == ["INC-1"]
    again = pipeline.send(alert(instance="a"), at=T0 + 3 * MIN)
    assert (again.new, again.deduplicated, again.updated) == (0, 1, 0)
    assert again.incidents_opened == [] and again.incidents_touched == set()
    row = pipeline.stored(alert(instance="a"))
    assert row.receive_count == 2
    assert row.last_seen_at == T0 + 3 * MIN and row.first_seen_at == T0
    incident = pipeline.only_incident()
    assert pipeline.kinds(incident) == ["incident.declared", "alert.attached"]


def test_same_group_joins_one_incident_and_other_groups_open_their_own(
    pipeline: Pipeline,
) -> None:
    pipeline.send(alert("HighErrorRate", instance="a"), at=T0)
    joined = pipeline.send(alert("HighErrorRate", instance="b"), at=T0 + 2 * MIN)
    assert joined.incidents_opened == [] and joined.incidents_touched == {"INC-1"}
    other = pipeline.send(alert("DiskFull", instance="a"), at=T0 + 3 * MIN)
    assert other.incidents_opened == ["INC-2"]
    first, second = pipeline.incidents()
    assert pipeline.stored(alert("HighErrorRate", instance="a")).incident_id == first.id
    assert pipeline.stored(alert("HighErrorRate", instance="b")).incident_id == first.id
    assert pipeline.stored(alert("DiskFull", instance="a")).incident_id == second.id
    assert first.labels == {"alertname": "HighErrorRate"}


def test_route_group_by_splits_groups_by_its_labels(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    p = make_pipeline("""
        routing:
          group_by: [alertname, cluster]
    """)
    p.send(alert(cluster="eu", instance="a"), alert(cluster="eu", instance="b"),
           alert(cluster="us", instance="a"))
    refs = {i.labels["cluster"]: i for i in p.incidents()}
    assert set(refs) == {"eu", "us"}
    assert p.stored(alert(cluster="eu", instance="b")).incident_id == refs["eu"].id


def test_content_change_on_firing_alert_writes_updated_entry(pipeline: Pipeline) -> None:
    pipeline.send(alert(instance="a", summary="5% errors"), at=T0)
    changed = pipeline.send(alert(instance="a", summary="40% errors"), at=T0 + MIN)
    assert (changed.updated, changed.deduplicated, changed.new) == (1, 0, 0)
    incident = pipeline.only_incident()
    entries = _alert_entries(pipeline, incident)
    assert [e.kind for e in entries] == ["alert.attached", "alert.updated"]
    assert entries[1].details["alerts"][0]["summary"] == "40% errors"
    assert pipeline.stored(alert(instance="a")).summary == "40% errors"


def test_every_attach_and_resolve_is_a_monitoring_alert_entry_and_last_resolve_closes(
    pipeline: Pipeline,
) -> None:
    pipeline.send(alert(instance="a"), at=T0)
    pipeline.send(alert(instance="b"), at=T0 + MIN)
    pipeline.send(alert(instance="a", status="resolved", at=T0 + 2 * MIN), at=T0 + 2 * MIN)
    incident = pipeline.only_incident()
    assert incident.status == "triggered"  # b still fires
    pipeline.send(alert(instance="b", status="resolved", at=T0 + 3 * MIN), at=T0 + 3 * MIN)
    incident = pipeline.only_incident()
    assert incident.status == "resolved" and incident.resolved_at == T0 + 3 * MIN
    entries = _alert_entries(pipeline, incident)
    assert [e.kind for e in entries] == [
        "alert.attached", "alert.attached", "alert.resolved", "alert.resolved"]
    assert {(e.type, e.source) for e in entries} == {("alert", "monitoring")}
    assert "incident.resolved" in pipeline.kinds(incident)


def test_a_batch_of_attaches_is_one_entry_listing_every_alert(pipeline: Pipeline) -> None:
    pipeline.send(*(alert(instance=str(i)) for i in range(5)))
    entries = _alert_entries(pipeline, pipeline.only_incident())
    assert len(entries) == 1 and entries[0].details["count"] == 5
    assert sorted(a["labels"]["instance"] for a in entries[0].details["alerts"]) == [
        "0", "1", "2", "3", "4"]


def test_auto_resolve_false_keeps_the_incident_open(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    p = make_pipeline("""
        routing:
          routes:
            - id: manual
              matchers: ['team="db"']
              auto_resolve: false
    """)
    p.send(alert(team="db"), at=T0)
    p.send(alert(team="db", status="resolved", at=T0 + MIN), at=T0 + MIN)
    incident = p.only_incident()
    assert incident.status == "triggered"
    assert p.kinds(incident)[-1] == "alert.resolved"
    assert p.stored(alert(team="db")).status == "resolved"


def test_new_alert_reopens_within_reopen_window_and_opens_new_incident_after(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    p = make_pipeline("""
        routing:
          reopen_window: 30m
    """)
    p.send(alert(instance="a"), at=T0)
    p.send(alert(instance="a", status="resolved", at=T0 + MIN), at=T0 + MIN)
    assert p.only_incident().status == "resolved"

    reopened = p.send(alert(instance="b"), at=T0 + 20 * MIN)
    assert reopened.incidents_opened == [] and reopened.incidents_touched == {"INC-1"}
    incident = p.only_incident()
    assert incident.status == "triggered" and incident.resolved_at is None
    assert "incident.reopened" in p.kinds(incident)

    p.send(alert(instance="b", status="resolved", at=T0 + 21 * MIN), at=T0 + 21 * MIN)
    later = p.send(alert(instance="b"), at=T0 + 21 * MIN + 31 * MIN)
    assert later.incidents_opened == ["INC-2"]
    first, second = p.incidents()
    assert first.status == "resolved" and second.status == "triggered"
    assert p.stored(alert(instance="b")).incident_id == second.id


def test_without_reopen_window_a_refire_opens_a_new_incident(pipeline: Pipeline) -> None:
    pipeline.send(alert(instance="a"), at=T0)
    pipeline.send(alert(instance="a", status="resolved", at=T0 + MIN), at=T0 + MIN)
    refire = pipeline.send(alert(instance="a"), at=T0 + 2 * MIN)
    assert refire.incidents_opened == ["INC-2"] and refire.updated == 1


def test_repeats_of_an_alert_whose_incident_a_human_resolved_stay_quiet(
    pipeline: Pipeline, db: Database,
) -> None:
    pipeline.send(alert(instance="a"), at=T0)
    with db.transaction() as session:
        incident = incidents.require_incident(session, "INC-1", for_update=True)
        incidents.act(session, incident, Action.RESOLVE, actor="alice", now=T0 + MIN)
    repeat = pipeline.send(alert(instance="a"), at=T0 + 2 * MIN)
    assert repeat.incidents_opened == [] and repeat.deduplicated == 1
    assert pipeline.only_incident().status == "resolved"


# --- severity -------------------------------------------------------------------------

ROUTED = """
    routing:
      routes:
        - id: database
          matchers: ['team="db"']
          severity: SEV2
"""


@pytest.mark.parametrize(("labels", "expected"), [
    ({"severity": "critical"}, "SEV1"),
    ({"severity": "warning"}, "SEV3"),
    ({"severity": "info"}, "SEV4"),
    ({"severity": "P2"}, "SEV2"),
    ({}, "SEV3"),  # nothing known: the configured default
    ({"severity": "info", "team": "db"}, "SEV2"),  # the route's fixed severity wins
    ({"severity": "critical", "team": "db"}, "SEV2"),
])
def test_route_maps_alert_severity_to_incident_severity(
    make_pipeline: Callable[..., Pipeline], labels: dict[str, str], expected: str,
) -> None:
    p = make_pipeline(ROUTED)
    p.send(alert(**labels))
    assert p.only_incident().severity == expected


def test_later_more_severe_alert_in_the_group_raises_the_incident_severity(
    pipeline: Pipeline,
) -> None:
    pipeline.send(alert(instance="a", severity="warning"), at=T0)
    assert pipeline.only_incident().severity == "SEV3"
    pipeline.send(alert(instance="b", severity="critical"), at=T0 + MIN)
    incident = pipeline.only_incident()
    assert incident.severity == "SEV1"
    change = [e for e in pipeline.timeline(incident) if e.kind == "incident.severity_changed"]
    assert len(change) == 1 and change[0].details["from"] == "SEV3"
    assert change[0].details["to"] == "SEV1" and change[0].source == "monitoring"
    pipeline.send(alert(instance="c", severity="info"), at=T0 + 2 * MIN)
    assert pipeline.only_incident().severity == "SEV1"  # never lowered


def test_an_alert_escalating_its_own_severity_raises_the_incident(pipeline: Pipeline) -> None:
    pipeline.send(alert(severity="warning", fingerprint="dedup-1"), at=T0)
    escalated = pipeline.send(alert(severity="critical", fingerprint="dedup-1"), at=T0 + MIN)
    assert escalated.updated == 1
    incident = pipeline.only_incident()
    assert incident.severity == "SEV1"
    assert "incident.severity_changed" in pipeline.kinds(incident)


# --- suppression ----------------------------------------------------------------------


def test_silenced_alert_is_stored_counted_and_pages_on_resend_after_expiry(
    pipeline: Pipeline, db: Database,
) -> None:
    with db.transaction() as session:
        silence = silences.build_silence(
            matchers=parse_matchers('alertname="HighErrorRate"'), starts_at=T0,
            ends_at=T0 + 60 * MIN, created_by="alice", comment="deploy", now=T0)
        silence_id = silences.upsert_silence(session, silence, T0)
    muted = pipeline.send(alert(instance="a"), alert("Other"), at=T0 + MIN)
    assert (muted.new, muted.suppressed) == (2, 1)
    assert muted.incidents_opened == ["INC-1"]  # only the unsilenced one
    row = pipeline.stored(alert(instance="a"))
    assert row.suppressed == {"silenced_by": [silence_id]} and row.incident_id is None
    still = pipeline.send(alert(instance="a"), at=T0 + 30 * MIN)
    assert still.suppressed == 1 and still.incidents_opened == []

    after = pipeline.send(alert(instance="a"), at=T0 + 61 * MIN)
    assert after.suppressed == 0 and after.incidents_opened == ["INC-2"]
    row = pipeline.stored(alert(instance="a"))
    assert row.suppressed == {} and row.incident_id is not None


def test_inhibition_rule_suppresses_targets_sharing_the_equal_labels(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    p = make_pipeline("""
        inhibit_rules:
          - source_matchers: ['alertname="NodeDown"']
            target_matchers: ['severity="warning"']
            equal: [instance]
    """)
    p.send(alert("NodeDown", instance="a", severity="critical"), at=T0)
    out = p.send(alert("HighLatency", instance="a", severity="warning"),
                 alert("HighLatency", instance="b", severity="warning"), at=T0 + MIN)
    assert out.suppressed == 1
    inhibited = p.stored(alert("HighLatency", instance="a", severity="warning"))
    assert inhibited.suppressed == {"inhibited_by": ["rule 1"]}
    assert inhibited.incident_id is None
    assert p.stored(alert("HighLatency", instance="b", severity="warning")).incident_id
    assert sorted(i.labels["alertname"] for i in p.incidents()) == ["HighLatency", "NodeDown"]


def test_maintenance_window_for_a_service_suppresses_its_alerts(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    p = make_pipeline("""
        maintenance_windows:
          - id: checkout-upgrade
            services: [checkout]
            weekly: {start: "00:00", end: "24:00"}
    """)
    out = p.send(alert("Down", service="checkout"), alert("Down", service="payments"))
    assert out.suppressed == 1
    muted = p.stored(alert("Down", service="checkout"))
    assert muted.suppressed == {"maintenance": ["checkout-upgrade"]}
    assert muted.incident_id is None
    assert p.only_incident().service_names == ["payments"]


# --- triage ---------------------------------------------------------------------------


@pytest.mark.parametrize(("severity", "expected"), [("warning", "SEV2"), ("critical", "SEV1")])
def test_security_alert_is_typed_raised_to_sev2_and_triage_is_recorded(
    pipeline: Pipeline, severity: str, expected: str,
) -> None:
    pipeline.send(alert("CVEInProd", incident_type="security", severity=severity))
    incident = pipeline.only_incident()
    assert incident.type == "security" and incident.severity == expected
    triage = [e for e in pipeline.timeline(incident) if e.kind == "triage.classified"]
    assert len(triage) == 1
    assert "isolate-affected-services" in triage[0].summary
    assert "emergency-patch-workflow" in triage[0].summary
    assert triage[0].details["responses"] == [
        "isolate-affected-services", "emergency-patch-workflow"]


def test_untyped_alert_has_no_triage_entry(pipeline: Pipeline) -> None:
    pipeline.send(alert())
    incident = pipeline.only_incident()
    assert incident.type == "unknown" and "triage.classified" not in pipeline.kinds(incident)


# --- expiry ---------------------------------------------------------------------------


def _api_alerts(body: list[dict[str, Any]], now: datetime) -> Sequence[IncomingAlert]:
    return require_format("alertmanager").parse(body, now=now).alerts


def test_expire_stale_resolves_lapsed_alerts_and_auto_resolves_their_incident(
    pipeline: Pipeline,
) -> None:
    # Alertmanager API alerts without endsAt hold a resolve_timeout (5m) lease.
    pipeline.send(*_api_alerts([{"labels": {"alertname": "Lease", "i": "1"}},
                                {"labels": {"alertname": "Lease", "i": "2"}}], T0), at=T0)
    pipeline.send(*_api_alerts([{"labels": {"alertname": "Lease", "i": "2"}}], T0 + 3 * MIN),
                  at=T0 + 3 * MIN)  # a resend extends only i=2's lease
    assert pipeline.expire(T0 + 4 * MIN) == 0
    assert pipeline.expire(T0 + 6 * MIN) == 1
    assert pipeline.only_incident().status == "triggered"
    assert pipeline.expire(T0 + 9 * MIN) == 1
    incident = pipeline.only_incident()
    assert incident.status == "resolved" and incident.resolved_at == T0 + 9 * MIN
    kinds = pipeline.kinds(incident)
    assert kinds.count("alert.resolved") == 2 and "incident.resolved" in kinds
    assert pipeline.expire(T0 + 60 * MIN) == 0


def test_an_expired_alert_sent_again_fires_again(pipeline: Pipeline) -> None:
    pipeline.send(*_api_alerts([{"labels": {"alertname": "Lease"}}], T0), at=T0)
    pipeline.expire(T0 + 6 * MIN)
    again = pipeline.send(*_api_alerts([{"labels": {"alertname": "Lease"}}], T0 + 7 * MIN),
                          at=T0 + 7 * MIN)
    assert again.incidents_opened == ["INC-2"]


# --- concurrency ----------------------------------------------------------------------


@pytest.mark.parametrize("same_alert", [False, True], ids=["same-group", "same-alert"])
def test_concurrent_senders_of_one_new_group_open_exactly_one_incident(
    pipeline: Pipeline, same_alert: bool,
) -> None:
    workers = 6
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def send(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            pipeline.send(alert("Burst", instance="x" if same_alert else str(i)), at=utcnow())
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    incident = pipeline.only_incident()
    with pipeline.db.reading() as session:
        rows = list(session.scalars(select(Alert)))
    assert len(rows) == (1 if same_alert else workers)
    assert {r.incident_id for r in rows} == {incident.id}
    if same_alert:
        assert rows[0].receive_count == workers


def test_a_new_alert_another_writer_stored_first_becomes_a_repeat(pipeline: Pipeline) -> None:
    """PostgreSQL: a new alert is inserted after correlation, with its incident. A
    writer that found it unknown, then waited on its group's lock while another writer
    stored it, counts it as deduplicated, adds no second timeline line for it, and
    stores the new alerts of its own batch as usual."""
    db = pipeline.db
    if db.is_sqlite:
        pytest.skip("SQLite's write transaction excludes the other writer")
    burst, other = alert("Burst", instance="a"), alert("Burst", instance="b")
    outcome: list[Outcome] = []
    with db.transaction() as first:
        first_out = ingest(first, [burst], cfg=pipeline.cfg, sender=Sender("one"), now=T0)
        second = threading.Thread(target=lambda: outcome.append(
            pipeline.send(burst, other, at=T0 + MIN)))
        second.start()
        assert _waits_on_a_lock(db), "the second writer never waited for the group"
    second.join(30)
    assert first_out.new == 1 and first_out.incidents_opened == ["INC-1"]
    (out,) = outcome
    assert (out.received, out.new, out.deduplicated) == (2, 1, 1)
    assert out.incidents_opened == [] and out.incidents_touched == {"INC-1"}
    assert out.changes == {burst.fingerprint: "same", other.fingerprint: "new"}
    incident = pipeline.only_incident()
    with db.reading() as session:
        rows = {r.labels["instance"]: r for r in session.scalars(select(Alert))}
    assert rows["a"].receive_count == 2 and rows["b"].receive_count == 1
    assert {r.incident_id for r in rows.values()} == {incident.id}
    attached = [e for e in pipeline.timeline(incident) if e.kind == "alert.attached"]
    listed = [a["fingerprint"] for e in attached for a in e.details["alerts"]]
    assert sorted(listed) == sorted([burst.fingerprint, other.fingerprint])


def _waits_on_a_lock(db: Database, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            waiting = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()").scalar()
        if waiting:
            return True
        time.sleep(0.02)
    return False


def test_under_shared_locks_a_new_alert_another_writer_stored_first_becomes_a_repeat(
        pipeline: Pipeline) -> None:
    """PostgreSQL, two writers attaching to one open incident under shared locks: the
    second finds the first's uncommitted insert of the same alert, waits for its commit on
    the fingerprint itself (no group lock orders them any more), then stores it as a repeat
    and its own new alert as usual."""
    db = pipeline.db
    if db.is_sqlite:
        pytest.skip("SQLite's write transaction excludes the other writer")
    opener, burst, other = (alert("Burst", instance=i) for i in ("o", "a", "b"))
    pipeline.send(opener, at=T0)
    soon = T0 + timedelta(milliseconds=300)  # within LAST_ALERT_PRECISION: attach only
    outcome: list[Outcome] = []

    def second() -> None:
        with db.transaction() as session:
            outcome.append(ingest(session, [burst, other], cfg=pipeline.cfg,
                                  sender=Sender("two"), now=soon, shared=True))

    with db.transaction() as first:
        first_out = ingest(first, [burst], cfg=pipeline.cfg, sender=Sender("one"), now=soon,
                           shared=True)
        thread = threading.Thread(target=second)
        thread.start()
        assert _waits_on_a_lock(db), "the second writer never waited for the alert row"
    thread.join(30)
    assert first_out.new == 1 and first_out.incidents_touched == {"INC-1"}
    (out,) = outcome
    assert (out.received, out.new, out.deduplicated) == (2, 1, 1)
    assert out.incidents_opened == [] and out.incidents_touched == {"INC-1"}
    incident = pipeline.only_incident()
    with db.reading() as session:
        rows = {r.labels["instance"]: r for r in session.scalars(select(Alert))}
    assert rows["a"].receive_count == 2 and rows["b"].receive_count == 1
    assert {r.incident_id for r in rows.values()} == {incident.id}


def test_under_shared_locks_a_batch_that_must_change_an_incident_asks_for_exclusive_ones(
        pipeline: Pipeline) -> None:
    """Opening, bumping a group's last alert time, raising a severity and resolving all
    write: under shared locks each raises NeedsExclusiveLocks before committing anything,
    and the same batch then goes through with exclusive locks."""
    from warroom.alerts.service import NeedsExclusiveLocks

    db = pipeline.db
    first = alert("Disk", instance="a", severity="warning")
    cases = [
        ("a new group", [first], T0),
        ("a last alert time older than the precision", [alert("Disk", instance="b")],
         T0 + timedelta(seconds=5)),
        ("a higher severity", [alert("Disk", instance="c", severity="critical")],
         T0 + timedelta(seconds=5, milliseconds=300)),
        ("a resolve", [alert("Disk", instance="a", severity="warning", status="resolved")],
         T0 + timedelta(seconds=5, milliseconds=600)),
    ]
    for why, batch, at in cases:
        with pytest.raises(NeedsExclusiveLocks), db.transaction() as session:
            ingest(session, batch, cfg=pipeline.cfg, sender=Sender("s"), now=at, shared=True)
        out = pipeline.send(*batch, at=at)  # exclusive: as if the first try never ran
        assert (out.new, out.resolved) == ((0, 1) if why == "a resolve" else (1, 0)), why
    incident = pipeline.only_incident()
    assert incident.severity == "SEV1"
    assert pipeline.stored(first).status == "resolved"
