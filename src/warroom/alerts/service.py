"""The alert pipeline: store (dedup by fingerprint), suppress, correlate into incidents.

One call handles one request's batch in the caller's transaction, so a 2xx is only sent
after every accepted alert and its incident effects are committed together.

    parse (formats/) → normalise → upsert by fingerprint → route → suppress
        → correlate (group_by within the route's window) → incident + timeline
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.alerts import store
from warroom.alerts.context import PipelineConfig
from warroom.alerts.model import ActionKind, AlertAction, AlertStatus, IncomingAlert
from warroom.alerts.models import Alert
from warroom.db.sqlite_values import parse_time
from warroom.incidents import service as incidents
from warroom.incidents.lifecycle import Action, Status
from warroom.incidents.models import Incident
from warroom.incidents.schemas import IncidentCreate
from warroom.memo import remember
from warroom.routing.tree import RouteMatch, group_labels
from warroom.suppression.inhibit import inhibited_by
from warroom.suppression.maintenance import in_maintenance
from warroom.timeline import service as timeline
from warroom.timeline.kinds import EntryType, Source
from warroom.triage.types import triage

CHUNK = store.CHUNK
MAX_LISTED = 50
# Widths of the columns values from senders land in (alerts, alert_groups, incident
# services): senders may send longer, and PostgreSQL refuses what SQLite would store.
MAX_FINGERPRINT = 64
MAX_GROUP_KEY = 1000
MAX_DEDUP_KEY = 512
MAX_SEVERITY_HINT = 64
MAX_SERVICE = 200
#: Under shared locks a group's last alert time is not moved for every batch: only once it
#: is older than this (a write, so under exclusive locks). A correlation window can end
#: this much earlier than the last alert's arrival would make it.
LAST_ALERT_PRECISION = timedelta(seconds=1)
_STATUS_TEXT = {status: status.value for status in AlertStatus}  # `.value` is slow
_COUNTER = {"new": "new", "same": "deduplicated", "updated": "updated",
            "resolved": "resolved", "refired": "updated"}


class NeedsExclusiveLocks(Exception):
    """A batch ingested under shared locks (`ingest(shared=True)`) would change a
    correlation group or an incident: the caller rolls its transaction back and ingests
    it again with `shared=False`. `routine`: only to move a group's last alert time,
    which the next batches will not need again soon."""

    def __init__(self, why: str, *, routine: bool = False) -> None:
        super().__init__(why)
        self.routine = routine


@dataclass(frozen=True)
class Sender:
    """Who sent the alerts: an integration (or a person through the CLI/API)."""

    name: str
    integration_id: uuid.UUID | None = None
    service: str | None = None


@dataclass
class Outcome:
    """What a batch did; counts feed the API answer and /metrics."""

    received: int = 0
    new: int = 0
    deduplicated: int = 0
    updated: int = 0
    resolved: int = 0
    suppressed: int = 0
    incidents_opened: list[str] = field(default_factory=list)
    incidents_touched: set[str] = field(default_factory=set)
    dedup_keys: list[str] = field(default_factory=list)
    # Per fingerprint: the kind of change and the incidents it opened or touched, so a
    # writer that merged several requests into one batch can answer each of them.
    changes: dict[str, str] = field(default_factory=dict)
    opened_by: dict[str, str] = field(default_factory=dict)
    touched_by: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    suppressed_fps: set[str] = field(default_factory=set)

    def touch(self, fingerprint: str, reference: str) -> None:
        self.incidents_touched.add(reference)
        self.touched_by[fingerprint].add(reference)


@dataclass
class _Batch:
    """Timeline entries gathered per incident so a 500-alert burst is a few entries."""

    entries: dict[tuple[uuid.UUID, str], list[Any]] = field(
        default_factory=lambda: defaultdict(list))
    # Alerts whose resolution may resolve their incident, checked after the alert entries
    # are written so the timeline reads "alerts resolved", then "incident resolved".
    resolved: list[Any] = field(default_factory=list)


def _hashed(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def share_of(merged: Outcome, alerts: Sequence[IncomingAlert], cfg: PipelineConfig,
             now: datetime) -> Outcome:
    """One request's part of the outcome of a batch merged from several requests."""
    out = Outcome(received=len(alerts))
    seen: set[str] = set()
    for alert in alerts:
        fp = _identity(alert)
        if fp in seen:
            continue
        seen.add(fp)
        if alert.dedup_key:
            out.dedup_keys.append(alert.dedup_key)
        change = merged.changes.get(fp)
        if change is not None:
            counter = _COUNTER[change]
            setattr(out, counter, getattr(out, counter) + 1)
            out.changes[fp] = change
        if fp in merged.suppressed_fps:
            out.suppressed += 1
        opened = merged.opened_by.get(fp)
        if opened is not None and opened not in out.incidents_opened:
            out.incidents_opened.append(opened)
        out.incidents_touched |= merged.touched_by.get(fp, set())
    return out


def _identity(alert: IncomingAlert) -> str:
    """The fingerprint the alert is stored under (as `_normalise` gives it)."""
    fp = alert.fingerprint
    return fp if len(fp) <= MAX_FINGERPRINT else _hashed(fp)


def _normalise(alert: IncomingAlert, cfg: PipelineConfig, now: datetime) -> IncomingAlert:
    fingerprint = _identity(alert)
    if fingerprint != alert.fingerprint:  # e.g. a sender-given Grafana fingerprint
        alert = replace(alert, fingerprint=fingerprint)
    # Alertmanager API semantics: no end time means "firing until resolve_timeout passes
    # without a resend"; an end time in the past means resolved.
    if alert.source_format == "alertmanager" and alert.ends_at is None:
        alert = replace(alert, ends_at=now + cfg.resolve_timeout)
    if alert.status is AlertStatus.FIRING and alert.ends_at is not None and alert.ends_at <= now:
        alert = replace(alert, status=AlertStatus.RESOLVED)
    return alert


@dataclass(slots=True)
class _Routed:
    """Where an alert goes and why it is quiet, decided from its labels before storing."""

    route: RouteMatch
    group_key: str
    service: str | None
    suppressed: dict[str, list[str]]


@dataclass(slots=True)
class _State:
    """An alert as this batch leaves it: what correlation and the timeline read."""

    fingerprint: str
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    summary: str
    severity_hint: str | None
    incident_id: uuid.UUID | None
    routed: _Routed

    @property
    def group_key(self) -> str:
        return self.routed.group_key

    @property
    def service(self) -> str | None:
        return self.routed.service

    @property
    def suppressed(self) -> dict[str, list[str]]:
        return self.routed.suppressed


def _new_row(a: IncomingAlert, routed: _Routed, sender: Sender, now: datetime,
             count: int) -> dict[str, Any]:
    return {
        "fingerprint": a.fingerprint, "content_hash": a.content_hash, "status": a.status.value,
        "labels": a.labels, "annotations": a.annotations, "summary": a.summary[:4000],
        "severity_hint": _hint(a), "dedup_key": a.dedup_key and a.dedup_key[:MAX_DEDUP_KEY],
        "generator_url": a.generator_url, "source_format": a.source_format,
        "integration_id": sender.integration_id, "starts_at": a.starts_at,
        "ends_at": a.ends_at, "first_seen_at": now, "last_seen_at": now, "updated_at": now,
        "receive_count": count, "route_id": routed.route.route_id,
        "group_key": routed.group_key, "service": routed.service,
        "suppressed": routed.suppressed, "incident_id": None, "raw": a.raw,
    }


def _hint(a: IncomingAlert) -> str | None:
    return (a.severity_hint or None) and a.severity_hint[:MAX_SEVERITY_HINT]


def _route(a: IncomingAlert, cfg: PipelineConfig, sender: Sender, active: list[Any],
           firing: list[dict[str, str]], now: datetime) -> _Routed:
    route, key = cfg.routing.decide(a.labels)
    service = route.settings.service or sender.service or a.labels.get("service")
    service = service[:MAX_SERVICE] if service else None
    suppressed: dict[str, list[str]] = {}
    if a.status is AlertStatus.FIRING and (active or firing or cfg.maintenance):
        silenced = [s.id for s in active if s.mutes(a.labels, now)]
        if silenced:
            suppressed["silenced_by"] = silenced
        inhibition = inhibited_by(a.labels, firing, cfg.inhibit_rules) if firing else None
        if inhibition is not None:
            suppressed["inhibited_by"] = [f"rule {inhibition.rule_index + 1}"]
        windows = in_maintenance(a.labels, service, cfg.maintenance, now)
        if windows:
            suppressed["maintenance"] = list(windows)
    return _Routed(route, _stored_group_key(key, route, a.fingerprint), service, suppressed)


def _firing_after(session: Session, cfg: PipelineConfig,
                  latest: dict[str, IncomingAlert]) -> list[dict[str, str]]:
    """Label sets of the alerts firing once this batch is stored: the inhibition sources."""
    if not cfg.inhibit_rules:
        return []
    firing = store.firing_label_sets(session)
    for fp, a in latest.items():
        if a.status is AlertStatus.FIRING:
            firing[fp] = a.labels
        else:
            firing.pop(fp, None)
    return list(firing.values())


def ingest(
    session: Session, alerts: Sequence[IncomingAlert], *, cfg: PipelineConfig, sender: Sender,
    now: datetime, shared: bool = False,
) -> Outcome:
    """Store a batch and apply its incident effects; flushes, never commits.

    `shared` (PostgreSQL): lock the correlation groups and incidents for reading only, so
    that concurrent batches attaching alerts to the same open incidents do not queue for
    each other (two writers of new alerts into the same groups waited 130+ ms for each
    other's 1,000-alert batches). Raises NeedsExclusiveLocks as soon as the batch would
    change one of them (open, reopen, raise or resolve an incident, move a group's last
    alert time, see `LAST_ALERT_PRECISION`); nothing it did may then be committed.
    """
    out = Outcome(received=len(alerts))
    latest: dict[str, IncomingAlert] = {}
    counts: dict[str, int] = defaultdict(int)
    for alert in alerts:  # a repeat inside one batch: the last one wins
        normalised = _normalise(alert, cfg, now)
        latest[normalised.fingerprint] = normalised
        counts[normalised.fingerprint] += 1
    if not latest:
        return out
    fingerprints = sorted(latest)  # a fixed lock order keeps concurrent batches deadlock-free
    active = cfg.silences.get(session, now)
    firing = _firing_after(session, cfg, latest)
    routed = {fp: _route(latest[fp], cfg, sender, active, firing, now) for fp in fingerprints}
    states, changes, unwritten = _store(session, latest, routed, counts, sender, now, out)
    ordered = [states[fp] for fp in fingerprints if fp in states]
    locked = _lock_in_order(session, ordered, changes, now, shared=shared)
    batch = _Batch()
    attached: list[tuple[str, uuid.UUID]] = []
    for state in ordered:
        incident_id = _effects(session, locked, state, changes[state.fingerprint], cfg, sender,
                               now, out, batch)
        if incident_id is not None:
            if state.fingerprint in unwritten:
                unwritten[state.fingerprint]["incident_id"] = incident_id
            else:
                attached.append((state.fingerprint, incident_id))
    inserted = store.insert_new(session, list(unwritten.values()))
    raced = {fp for fp in unwritten if fp not in inserted}  # PostgreSQL only: see _store
    if raced:
        _unclaim(out, batch, raced)
    store.attach(session, attached)
    store.save_groups(session, locked.groups.values())
    if shared and batch.resolved:  # `_lock_in_order` saw them coming; never resolve here
        raise NeedsExclusiveLocks("an alert resolved: its incident may resolve")
    del locked
    _finish(session, batch, cfg, sender, now, out)
    if raced:  # stored by another writer meanwhile: now they are repeats of its alerts
        again = ingest(session, [latest[fp] for fp in sorted(raced) for _ in range(counts[fp])],
                       cfg=cfg, sender=sender, now=now, shared=shared)
        _merge(out, again)
    session.flush()
    return out


def _unclaim(out: Outcome, batch: _Batch, raced: set[str]) -> None:
    """Forget what this pass said of alerts another writer inserted first: they were
    counted as new and their timeline lines queued; `ingest` handles them again as the
    repeats they now are. Whatever correlation did for them holds: it ran under their
    group's lock, after the other writer's commit, so it chose the same incident."""
    out.new -= len(raced)
    for fp in raced:
        out.changes.pop(fp, None)
        if fp in out.suppressed_fps:
            out.suppressed_fps.discard(fp)
            out.suppressed -= 1
    for key, rows in list(batch.entries.items()):
        kept = [row for row in rows if row.fingerprint not in raced]
        if kept:
            batch.entries[key] = kept
        else:
            del batch.entries[key]


def _merge(out: Outcome, again: Outcome) -> None:
    """Add the second pass over raced alerts (`_unclaim`) to the batch's outcome; the
    alerts were received (and their dedup keys listed) once, by the first pass."""
    for name in (*dict.fromkeys(_COUNTER.values()), "suppressed"):
        setattr(out, name, getattr(out, name) + getattr(again, name))
    out.changes.update(again.changes)
    out.suppressed_fps |= again.suppressed_fps
    out.incidents_opened += [r for r in again.incidents_opened if r not in out.incidents_opened]
    for fp, reference in again.opened_by.items():
        out.opened_by.setdefault(fp, reference)
    for fp, references in again.touched_by.items():
        for reference in references:
            out.touch(fp, reference)


def _store(
    session: Session, latest: dict[str, IncomingAlert], routed: dict[str, _Routed],
    counts: dict[str, int], sender: Sender, now: datetime, out: Outcome,
) -> tuple[dict[str, _State], dict[str, str], dict[str, dict[str, Any]]]:
    """Insert the new alerts and update the known ones; say what changed for each.
    `routed` is in fingerprint order, the order rows are locked in.

    The new alerts' rows are returned unwritten, for the caller to insert once
    correlation has chosen their incidents: a row inserted with its incident is one
    write, where an insert and then an update cost PostgreSQL twice the time (a new
    index entry in every index, the foreign keys checked again: ~92 of ~200 µs a new
    alert). On SQLite no other writer can insert them meanwhile (the write transaction
    excludes it). On PostgreSQL another writer may: one that correlated the same alert
    held its group's lock until it committed, so the caller, which takes that lock
    before inserting, finds the row there, and treats the alert as a repeat (`ingest`).
    New alerts that correlation will not look at (resolved or suppressed, so no group
    lock orders them) are inserted now, and one found inserted is locked as known."""
    fingerprints = list(routed)
    known = store.lock_known(session, fingerprints)
    unknown = [fp for fp in fingerprints if fp not in known]
    rows = {fp: _new_row(latest[fp], routed[fp], sender, now, counts[fp]) for fp in unknown}
    unwritten = rows
    if session.get_bind().dialect.name != "sqlite":
        early = [fp for fp in unknown if rows[fp]["status"] == "resolved"
                 or rows[fp]["suppressed"]]  # in fingerprint order, the lock order
        inserted_now = set(early)
        unwritten = {fp: row for fp, row in rows.items() if fp not in inserted_now}
        inserted = store.insert_new(session, [rows[fp] for fp in early])
        if len(inserted) < len(early):  # another writer inserted some first
            known.update(store.lock_known(session, [fp for fp in early
                                                    if fp not in inserted]))
    states: dict[str, _State] = {}
    changes: dict[str, str] = {}
    touch: list[dict[str, Any]] = []
    seen: list[dict[str, Any]] = []
    touch_routed: list[dict[str, Any]] = []
    rewrite: list[dict[str, Any]] = []
    counted = dict.fromkeys(_COUNTER.values(), 0)
    for fp in fingerprints:
        a, r = latest[fp], routed[fp]
        status = _STATUS_TEXT[a.status]
        stored = known.get(fp)
        if stored is None:
            change = "new"
        elif stored.content_hash == a.content_hash and stored.status == status:
            change = "same"
        else:
            change = _change(stored, status)
        changes[fp] = change
        if stored is not None:
            params = {"fp": fp, "n": counts[fp], "now": now, "ends": a.ends_at}
            if change != "same":
                params.update(_route_params(r), hash=a.content_hash, st=status,
                              lab=a.labels, ann=a.annotations, sum=a.summary[:4000],
                              sev=_hint(a), gen=a.generator_url, rawv=a.raw,
                              starts=a.starts_at if change == "refired" else None)
                rewrite.append(params)
            elif _rerouted(stored, r):
                touch_routed.append(params | _route_params(r))
            elif stored.ends_at == a.ends_at:
                seen.append(params)
            else:
                touch.append(params)
        if change != "same" or not _settled(stored, status, r):  # type: ignore[arg-type]
            states[fp] = _State(fp, status, a.labels, a.annotations, a.summary,
                                a.severity_hint, stored.incident_id if stored else None, r)
        if r.suppressed:
            out.suppressed += 1
            out.suppressed_fps.add(fp)
        if a.dedup_key:
            out.dedup_keys.append(a.dedup_key)
        counted[_COUNTER[change]] += 1
    out.changes.update(changes)
    for counter, n in counted.items():
        setattr(out, counter, getattr(out, counter) + n)
    store.touch(session, touch)
    store.seen(session, seen)
    store.touch_routed(session, touch_routed)
    store.rewrite(session, rewrite)
    return states, changes, unwritten


def _change(stored: store.StoredAlert, status: str) -> str:
    """What kind of repeat this is, once its content or status differs from the stored
    state (`status`: the alert's, as text)."""
    if stored.status == "firing" and status == "resolved":
        return "resolved"
    if stored.status == "resolved" and status == "firing":
        return "refired"
    return "updated"


def _settled(stored: store.StoredAlert, status: str, r: _Routed) -> bool:
    """An unchanged repeat with no incident effect (see `_effects`): a resolved alert, a
    suppressed one, or one already attached to an incident. Prometheus resends every
    active alert every minute, so this is most of what arrives; such an alert is only
    touched (count, last seen), and correlation never looks at it."""
    return status == "resolved" or bool(r.suppressed) or stored.incident_id is not None


def _route_params(r: _Routed) -> dict[str, Any]:
    return {"route": r.route.route_id, "group": r.group_key, "svc": r.service,
            "supp": r.suppressed}


def _rerouted(stored: store.StoredAlert, r: _Routed) -> bool:
    return (stored.route_id != r.route.route_id or stored.group_key != r.group_key
            or stored.service != r.service or (stored.suppressed or {}) != r.suppressed)


def _quiet(row: Any, change: str) -> bool:
    """An unchanged repeat of an alert already attached to an incident: nothing to do."""
    return change == "same" and row.incident_id is not None


@dataclass(slots=True)
class _IncidentView:
    """What correlation reads of a locked incident. The ORM object is loaded only when
    the batch acts on the incident (reopen, raise severity): most batches only attach."""

    id: uuid.UUID
    number: int
    status: str
    severity: str
    resolved_at: datetime | None
    orm: Incident | None = None

    @property
    def reference(self) -> str:
        return f"INC-{self.number}"

    @classmethod
    def of(cls, incident: Incident) -> _IncidentView:
        return cls(incident.id, incident.number, incident.status, incident.severity,
                   incident.resolved_at, incident)

    def load(self, session: Session) -> Incident:
        if self.orm is None:
            self.orm = session.get(Incident, self.id)  # locked already
            assert self.orm is not None
        return self.orm

    def sync(self) -> None:
        """Read back what acting on the ORM object changed."""
        assert self.orm is not None
        self.status, self.severity = self.orm.status, self.orm.severity
        self.resolved_at = self.orm.resolved_at


_INCIDENT_VIEW = (Incident.id, Incident.number, Incident.status, Incident.severity,
                  Incident.resolved_at)


@dataclass
class _Locked:
    """The groups and incidents a batch locked, by key: looked up once per alert."""

    groups: dict[str, store.Group] = field(default_factory=dict)
    incidents: dict[uuid.UUID, _IncidentView] = field(default_factory=dict)
    # Group key -> the incident correlation chose for it in this batch. Nothing in the
    # batch closes an incident before every alert is placed (auto-resolve comes after),
    # so the alerts after the first of a group get the same answer without asking again.
    feeding: dict[str, _IncidentView] = field(default_factory=dict)
    shared: bool = False  # read locks only: see `ingest`

    def incident(self, session: Session, incident_id: uuid.UUID | None) -> _IncidentView | None:
        if incident_id is None:
            return None
        found = self.incidents.get(incident_id)
        if found is None:
            row = session.execute(select(*_INCIDENT_VIEW).where(Incident.id == incident_id)
                                  .with_for_update(read=self.shared)).first()
            if row is not None:
                found = self.incidents[incident_id] = _IncidentView(*row)
        return found


def _lock_in_order(session: Session, rows: list[_State], changes: dict[str, str],
                   now: datetime, *, shared: bool = False) -> _Locked:
    """Take every lock the batch will need up front, in one global order: alerts (already
    locked, by fingerprint) → correlation groups (by key) → incidents (by id) → the
    incident counter (taken last, when declaring). Concurrent batches that touch the same
    groups then queue instead of deadlocking, and each lock is one statement, not one
    statement per alert. Returns the locked objects by key.

    `shared`: read locks, after checking what can be seen before any effect is applied
    (an alert resolving into an incident, a group with no open incident or an old last
    alert time): those raise NeedsExclusiveLocks at once."""
    locked = _Locked(shared=shared)
    keys = sorted({r.group_key for r in rows if r.group_key and r.status == "firing"
                   and not r.suppressed and not _quiet(r, changes[r.fingerprint])})
    incident_ids = {r.incident_id for r in rows
                    if r.incident_id is not None and not _quiet(r, changes[r.fingerprint])}
    if shared and any(r.incident_id is not None and changes[r.fingerprint] == "resolved"
                      for r in rows):
        raise NeedsExclusiveLocks("an alert resolved: its incident may resolve")
    locked.groups = store.lock_groups(session, keys, shared=shared)
    if shared:
        groups = [locked.groups.get(k) for k in keys]
        if any(g is None or g.incident_id is None or g.last_alert_at is None for g in groups):
            raise NeedsExclusiveLocks("a group needs an incident")
        if any(now - g.last_alert_at > LAST_ALERT_PRECISION for g in groups):  # type: ignore
            raise NeedsExclusiveLocks("a group needs a newer last alert time", routine=True)
    incident_ids |= {g.incident_id for g in locked.groups.values() if g.incident_id is not None}
    ordered = sorted(incident_ids, key=str)
    for i in range(0, len(ordered), CHUNK):
        for view in _lock_incidents(session, ordered[i:i + CHUNK], shared=shared):
            locked.incidents[view.id] = view
    return locked


def _lock_incidents(session: Session, ids: list[uuid.UUID], *,
                    shared: bool = False) -> list[_IncidentView]:
    if session.get_bind().dialect.name == "sqlite":  # every batch: no per-row processing
        rows = session.connection().exec_driver_sql(
            "SELECT id, number, status, severity, resolved_at FROM incidents "
            f"WHERE id IN ({', '.join('?' * len(ids))})", tuple(i.hex for i in ids))
        return [_IncidentView(uuid.UUID(hex=id_), number, status, severity,
                              parse_time(resolved))
                for id_, number, status, severity, resolved in rows]
    return [_IncidentView(*row) for row in session.execute(
        select(*_INCIDENT_VIEW).where(Incident.id.in_(ids)).order_by(Incident.id)
        .with_for_update(read=shared))]


def _effects(
    session: Session, locked: _Locked, row: _State, change: str, cfg: PipelineConfig,
    sender: Sender, now: datetime, out: Outcome, batch: _Batch,
) -> uuid.UUID | None:
    """Apply one alert's incident effects; returns the incident it newly attaches to."""
    if row.status == "resolved":
        if change == "resolved" and row.incident_id is not None:
            batch.entries[(row.incident_id, "alert.resolved")].append(row)
            batch.resolved.append(row)
        return None
    if row.suppressed or _quiet(row, change):
        return None
    route = row.routed.route
    incident = locked.incident(session, row.incident_id)
    if incident is not None and Status(incident.status).is_open:
        if change in ("updated", "refired"):
            batch.entries[(incident.id, f"alert.{change}")].append(row)
            _raise_severity(session, incident, row, route, cfg, sender, now,
                            shared=locked.shared)
            out.touch(row.fingerprint, incident.reference)
        return None
    # Not attached to an open incident: a new alert, a refire, or one that was suppressed
    # when it arrived and no longer is. Repeats of an alert whose incident a human already
    # resolved stay quiet, so resolving is not undone by the next resend.
    if incident is not None and change == "same":
        return None
    incident = _correlate(session, locked, row, route, cfg, sender, now, out)
    row.incident_id = incident.id
    batch.entries[(incident.id, "alert.attached")].append(row)
    # An alert joining an incident its group already feeds may be more severe than the
    # one that opened it (a no-op for the alert that just opened it).
    _raise_severity(session, incident, row, route, cfg, sender, now, shared=locked.shared)
    out.touch(row.fingerprint, incident.reference)
    return incident.id


def _stored_group_key(key: str, route: RouteMatch, fingerprint: str) -> str:
    """The route's group key (`key`) as stored; one too long becomes a digest of itself.

    An alert that has none of the group_by labels (a PagerDuty event, an Opsgenie alert,
    a generic webhook without `alertname`) is its own group: two unrelated events must not
    share an incident just because both lack the label.
    """
    if not key:
        return f"{route.route_id[:MAX_GROUP_KEY - 40]}:alert:{fingerprint}"
    if len(key) > MAX_GROUP_KEY:
        key = f"{route.route_id[:MAX_GROUP_KEY - 80]}:sha256:{_hashed(key)}"
    return key


MEMO_SIZE = 4096


def _severity_of(row: _State, route: RouteMatch, cfg: PipelineConfig) -> str:
    """The severity the route gives this alert; remembered per route, severity label and
    hint, since every alert of a storm asks (whether it raises its incident's)."""
    settings = route.settings
    label = None if settings.severity is not None else row.labels.get(settings.severity_label)
    key = ("severity", route.route_id, label, row.severity_hint)
    found = cfg.memo.get(key)
    if found is None:
        found = remember(cfg.memo, key, _decide_severity(row, route, cfg), MEMO_SIZE)
    return found  # type: ignore[return-value]


def _decide_severity(row: _State, route: RouteMatch, cfg: PipelineConfig) -> str:
    level = route.severity_for(row.labels, cfg.severity_map)
    if level is None and row.severity_hint:
        level = cfg.severity_map.lookup(row.severity_hint)
    found = cfg.policy.scale.get(level.value) if level else None
    return found.name if found else cfg.policy.scale.default


def _more_severe(cfg: PipelineConfig, a: str, b: str) -> bool:
    return _rank(cfg, a) < _rank(cfg, b)


def _rank(cfg: PipelineConfig, name: str) -> int:
    key = ("rank", name)
    rank = cfg.memo.get(key)
    if rank is None:  # an unknown name raises: nothing is remembered
        rank = remember(cfg.memo, key, cfg.policy.scale.require(name).rank, MEMO_SIZE)
    return rank  # type: ignore[return-value]


def _correlate(
    session: Session, locked: _Locked, row: _State, route: RouteMatch, cfg: PipelineConfig,
    sender: Sender, now: datetime, out: Outcome,
) -> _IncidentView:
    """The incident this alert's group feeds, opening or reopening one per the route."""
    key = row.group_key
    fed = locked.feeding.get(key)
    if fed is not None:  # another alert of the batch already chose it: it still holds
        return fed
    incident = _choose_incident(session, locked, row, route, cfg, sender, now, out)
    locked.feeding[key] = incident
    return incident


def _choose_incident(
    session: Session, locked: _Locked, row: _State, route: RouteMatch, cfg: PipelineConfig,
    sender: Sender, now: datetime, out: Outcome,
) -> _IncidentView:
    key = row.group_key
    group = locked.groups.get(key)
    if group is None:  # not pre-locked (a caller outside ingest): lock it now
        if locked.shared:
            raise NeedsExclusiveLocks(f"group {key} was not locked")
        group = store.lock_groups(session, [key])[key]
        locked.groups[key] = group
    assert group is not None
    settings = route.settings
    incident = locked.incident(session, group.incident_id)
    if incident is not None:
        status = Status(incident.status)
        recent = group.last_alert_at is not None and (
            now - group.last_alert_at <= settings.group_window)
        if locked.shared:  # attach only: its last alert time is fresh (`_lock_in_order`)
            if status.is_open and recent:
                return incident
            raise NeedsExclusiveLocks(f"group {key} needs a change")
        if status.is_open and (recent or _has_firing(session, incident.id)):
            group.last_alert_at, group.changed = now, True
            return incident
        if (status is Status.RESOLVED and incident.resolved_at is not None
                and now - incident.resolved_at <= settings.reopen_window):
            name = row.labels.get("alertname", row.fingerprint)
            incidents.act(session, incident.load(session), Action.REOPEN, actor=sender.name,
                          now=now, note=f"alert {name} fired again", source=Source.MONITORING)
            incident.sync()
            group.last_alert_at, group.changed = now, True
            out.touch(row.fingerprint, incident.reference)
            return incident
    if locked.shared:
        raise NeedsExclusiveLocks(f"group {key} needs an incident")
    incident = _IncidentView.of(_open_incident(session, row, route, cfg, sender, now))
    locked.incidents[incident.id] = incident
    group.incident_id, group.last_alert_at, group.changed = incident.id, now, True
    out.incidents_opened.append(incident.reference)
    out.opened_by[row.fingerprint] = incident.reference
    return incident


def _has_firing(session: Session, incident_id: uuid.UUID) -> bool:
    return session.scalar(select(Alert.id).where(
        Alert.incident_id == incident_id, Alert.status == "firing").limit(1)) is not None


def _open_incident(session: Session, row: _State, route: RouteMatch, cfg: PipelineConfig,
                   sender: Sender, now: datetime) -> Incident:
    severity = _severity_of(row, route, cfg)
    decided = triage(row.labels, cfg.type_rules, route.settings.incident_type)
    if decided.min_severity and _more_severe(cfg, decided.min_severity, severity):
        severity = decided.min_severity
    grouped = group_labels(route, row.labels)
    alertname = row.labels.get("alertname")
    title = row.summary or alertname or "alert"
    if alertname and alertname not in title:
        title = f"{alertname}: {title}"
    data = IncidentCreate.model_construct(
        title=title[:500], description=row.annotations.get("description", "")[:65_536],
        severity=severity, type=decided.type, service=row.service, services=[],
        labels={k: v[:2000] for k, v in list(grouped.items())[:200]},
        impact=IncidentCreate.model_fields["impact"].default_factory(),  # type: ignore[misc]
        assignee=None, root_cause=None,
        escalation_policy=route.settings.escalation_policy,
    )
    incident = incidents.declare(session, data, actor=sender.name, now=now,
                                 policy=cfg.policy, source=Source.MONITORING,
                                 severity_reason=f"from alert labels via route {route.route_id}")
    if decided.responses or decided.rule is not None:
        timeline.append(
            session, incident.id, kind="triage.classified", type=EntryType.DECISION,
            summary=f"Triaged as {decided.type}"
            + (f"; automatic responses planned: {', '.join(decided.responses)}"
               if decided.responses else ""),
            at=now, source=Source.AUTOMATION, actor="triage",
            details={"type": decided.type, "min_severity": decided.min_severity,
                     "responses": list(decided.responses), "route": route.route_id,
                     "escalation_policy": route.settings.escalation_policy},
        )
    return incident


def _raise_severity(session: Session, incident: _IncidentView, row: _State,
                    route: RouteMatch, cfg: PipelineConfig, sender: Sender,
                    now: datetime, *, shared: bool = False) -> None:
    severity = _severity_of(row, route, cfg)
    if severity != incident.severity and _more_severe(cfg, severity, incident.severity):
        if shared:
            raise NeedsExclusiveLocks(f"{incident.reference} needs a higher severity")
        old = incident.severity
        incident.load(session).severity = incident.severity = severity
        timeline.append(
            session, incident.id, kind="incident.severity_changed",
            type=EntryType.SEVERITY_CHANGE, at=now, source=Source.MONITORING, actor=sender.name,
            summary=f"Severity raised from {old} to {severity} by alert {row.fingerprint}",
            details={"from": old, "to": severity, "alert": row.fingerprint},
        )


def _maybe_auto_resolve(session: Session, incident_id: uuid.UUID, rows: list[Any],
                        cfg: PipelineConfig, sender: Sender, now: datetime,
                        out: Outcome) -> None:
    """Resolve the incident once none of its alerts fires, if a route of the alerts that
    just resolved allows it."""
    if not any(cfg.routing.match(row.labels)[0].settings.auto_resolve for row in rows):
        return
    incident = session.get(Incident, incident_id, with_for_update=True)
    if incident is None or not Status(incident.status).is_open:
        return
    if _has_firing(session, incident.id):
        return
    session.flush()
    incidents.act(session, incident, Action.RESOLVE, actor=sender.name, now=now,
                  note="all alerts resolved", source=Source.MONITORING)
    for row in rows:
        out.touch(row.fingerprint, incident.reference)


_ENTRY_TEXT = {
    "alert.attached": ("attached", "Alert"),
    "alert.updated": ("updated", "Alert"),
    "alert.refired": ("firing again", "Alert"),
    "alert.resolved": ("resolved", "Alert"),
}


def _finish(session: Session, batch: _Batch, cfg: PipelineConfig, sender: Sender,
            now: datetime, out: Outcome) -> None:
    """Write the gathered alert entries, then resolve incidents left with no firing alert."""
    _write_entries(session, batch, sender, now)
    session.flush()
    by_incident: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in batch.resolved:
        by_incident[row.incident_id].append(row)
    for incident_id, rows in by_incident.items():
        _maybe_auto_resolve(session, incident_id, rows, cfg, sender, now, out)


def _write_entries(session: Session, batch: _Batch, sender: Sender, now: datetime) -> None:
    entries = []
    for (incident_id, kind), rows in batch.entries.items():
        verb, _ = _ENTRY_TEXT[kind]
        first = rows[0]
        name = first.labels.get("alertname") or first.summary or first.fingerprint
        summary = (f"Alert {name} {verb}" if len(rows) == 1
                   else f"{len(rows)} alerts {verb} ({name}, …)")
        entries.append(timeline.entry(
            incident_id, kind=kind, type=EntryType.ALERT, summary=summary, at=now,
            source=Source.MONITORING, actor=sender.name,
            details={"count": len(rows), "alerts": [
                {"fingerprint": r.fingerprint, "labels": r.labels, "summary": r.summary}
                for r in rows[:MAX_LISTED]]}))
    if entries:
        if session.new or session.dirty:
            session.flush()  # entries already pending (incident declared) come first
        timeline.append_all(session, entries)


def apply_actions(
    session: Session, actions: Sequence[AlertAction], *, cfg: PipelineConfig, sender: Sender,
    now: datetime,
) -> Outcome:
    """PagerDuty / Opsgenie acknowledge and resolve by dedup key."""
    out = Outcome(received=len(actions))
    batch = _Batch()
    for action in actions:
        out.dedup_keys.append(action.dedup_key)
        row = session.scalar(select(Alert).where(
            Alert.fingerprint == action.fingerprint).with_for_update())
        if row is None or row.status == "resolved":
            continue  # PagerDuty drops events for keys with no open alert
        if action.kind is ActionKind.RESOLVE:
            row.status, row.updated_at, row.last_seen_at = "resolved", now, now
            row.ends_at = now
            out.resolved += 1
            if row.incident_id is not None:
                batch.entries[(row.incident_id, "alert.resolved")].append(row)
                batch.resolved.append(row)
        elif row.incident_id is not None:
            incident = session.get(Incident, row.incident_id, with_for_update=True)
            if incident is not None and incident.status == Status.TRIGGERED.value:
                incidents.act(session, incident, Action.ACKNOWLEDGE, actor=sender.name, now=now,
                              note=f"acknowledged by {action.source_format} event",
                              source=Source.EXTERNAL)
                out.incidents_touched.add(incident.reference)
    _finish(session, batch, cfg, sender, now, out)
    session.flush()
    return out


def expire_stale(session: Session, *, cfg: PipelineConfig, now: datetime,
                 limit: int = 1000) -> int:
    """Resolve firing alerts whose end time passed without a resend (Alertmanager's
    resolve_timeout); run by the engine. Returns how many it resolved."""
    rows = list(session.scalars(
        select(Alert).where(Alert.status == "firing", Alert.ends_at.is_not(None),
                            Alert.ends_at <= now)
        .order_by(Alert.fingerprint).limit(limit).with_for_update(skip_locked=True)))
    if not rows:
        return 0
    out, batch = Outcome(), _Batch()
    sender = Sender(name="expiry")
    for row in rows:
        row.status, row.updated_at = "resolved", now
        if row.incident_id is not None:
            batch.entries[(row.incident_id, "alert.resolved")].append(row)
            batch.resolved.append(row)
    _finish(session, batch, cfg, sender, now, out)
    session.flush()
    return len(rows)
