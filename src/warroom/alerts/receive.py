"""The shared path of every ingest endpoint: decode, authenticate, parse, store, commit.

Kept apart from the routes so each endpoint only adds its protocol's request and answer
shapes. Decoding, authentication and parsing happen before any transaction; the alert
writer (`alerts.writer`) then commits the request, merged with whatever other requests
are waiting, and only then does the endpoint answer: a 2xx means durably committed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from warroom.alerts import service as pipeline
from warroom.alerts.formats import FormatError, ParseResult, require_format
from warroom.alerts.formats.base import ItemError
from warroom.alerts.intake import Intake, parse_options, sender_of
from warroom.alerts.writer import Submission
from warroom.api.state import AppState
from warroom.clock import utcnow
from warroom.errors import InvalidInput, Unauthenticated
from warroom.incidents.lifecycle import OPEN_STATES
from warroom.incidents.models import Incident, IncidentService
from warroom.integrations.models import Integration
from warroom.integrations.service import UNKNOWN_KEY
from warroom.timeline import service as timeline
from warroom.timeline.kinds import EntryType, Source

log = logging.getLogger("warroom.alerts")


class BodyError(InvalidInput):
    """The body is not JSON, or not the shape the format needs; `problems` lists why."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


def decode(body: bytes) -> Any:
    if not body.strip():
        raise BodyError("request body is empty; expected JSON")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BodyError(f"request body is not valid JSON: {exc}") from None
    # JSON can only carry NUL as the escape \u0000; PostgreSQL text and jsonb cannot
    # store it, so refuse it here on every database instead of failing at the INSERT.
    if b"\\u0000" in body and _has_nul(payload):
        raise BodyError("request body contains a NUL character (\\u0000) in a key or "
                        "string value; it cannot be stored")
    return payload


def _has_nul(payload: Any) -> bool:
    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            if any("\x00" in k for k in value):
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


@dataclass
class Received:
    integration: str
    parsed: ParseResult
    outcome: pipeline.Outcome
    changes_recorded: int = 0
    errors: list[str] = field(default_factory=list)


def receive(
    state: AppState, *, key: str | None, slug: str, payload: Any,
    expected_format: str, options: Mapping[str, Any] | None = None,
) -> Received:
    """Authenticate by integration key, parse with `slug`, store everything valid.

    Authentication and parsing happen before any transaction; the alert writer commits
    the alerts (retrying a lost deadlock or lock wait) before this returns.
    """
    now = utcnow()
    integration = _integration(state.integration_keys.lookup(key), expected_format)
    parsed = _parse(state, integration, slug, payload, now, options)
    sender = sender_of(integration)
    alerts = parsed.alerts[: state.config.alerts.max_alerts_per_request]
    recorded = 0
    work = None
    if parsed.actions or parsed.change_events:
        def work(session: Session) -> pipeline.Outcome:
            nonlocal recorded
            outcome = pipeline.ingest(session, alerts, cfg=state.pipeline, sender=sender,
                                      now=now)
            if parsed.actions:
                acted = pipeline.apply_actions(session, parsed.actions, cfg=state.pipeline,
                                               sender=sender, now=now)
                outcome.incidents_touched |= acted.incidents_touched
                outcome.resolved += acted.resolved
                outcome.dedup_keys += acted.dedup_keys
            recorded = _record_changes(session, parsed, integration, now)
            return outcome
    outcome = state.writer.write(Submission(sender, alerts, now, work))
    _record(state, integration, outcome, len(parsed.errors))
    errors = [f"alert {e.index}: {e.message}" for e in parsed.errors]
    if len(parsed.alerts) > len(alerts):
        errors.append(f"only the first {len(alerts)} alerts of {len(parsed.alerts)} were taken")
    return Received(integration.name, parsed, outcome, recorded, errors)


def _integration(found: Integration | None, expected_format: str) -> Integration:
    if found is None:
        raise Unauthenticated(UNKNOWN_KEY)
    if found.format != expected_format:
        raise InvalidInput(f"integration {found.name!r} has format {found.format!r}, "
                           f"not {expected_format!r}")
    return found


def _parse(state: AppState, integration: Integration, slug: str, payload: Any,
           now: datetime, options: Mapping[str, Any] | None) -> ParseResult:
    """Parse with `slug` and the integration's options; a body the format refuses as a
    whole is a BodyError (and counted as rejected)."""
    try:
        return require_format(slug).parse(payload, now=now,
                                          options=parse_options(integration, options))
    except FormatError as exc:
        state.metrics.alerts_rejected.labels(integration.format).inc()
        raise BodyError(str(exc), list(exc.messages)) from None


def _record(state: AppState, integration: Integration, outcome: pipeline.Outcome,
            rejected: int) -> None:
    state.metrics.record_ingest(integration.format, outcome, rejected)
    if outcome.incidents_opened:
        log.info("alerts from %s: %d new, %d repeated; incidents opened %s", integration.name,
                 outcome.new, outcome.deduplicated, ", ".join(outcome.incidents_opened),
                 extra={"integration": integration.name, "count": outcome.received,
                        "incident": ", ".join(sorted(outcome.incidents_touched))})


INLINE_PARSE_BYTES = 1024 * 1024  # bigger bodies are parsed off the event loop


@dataclass
class Accepted:
    integration: str
    errors: list[ItemError]


async def accept(state: AppState, *, key: str | None, body: bytes, slug: str,
                 expected_format: str) -> Accepted:
    """`receive` for the hot path (Prometheus): small bodies are parsed on the event
    loop, and the key usually comes from the cache, so a request costs no thread hop."""
    now = utcnow()
    found = state.integration_keys.cached(key)
    if found is None:
        found = await run_in_threadpool(state.integration_keys.lookup, key)
    integration = _integration(found, expected_format)

    def parse() -> ParseResult:
        return _parse(state, integration, slug, decode(body), now, None)

    parsed = parse() if len(body) <= INLINE_PARSE_BYTES else await run_in_threadpool(parse)
    alerts = parsed.alerts[: state.config.alerts.max_alerts_per_request]
    rejected = len(parsed.errors)
    if not alerts:
        _record(state, integration, pipeline.Outcome(), rejected)
        return Accepted(integration.name, parsed.errors)

    def processed(result: pipeline.Outcome | BaseException) -> None:
        if not isinstance(result, BaseException):
            _record(state, integration, result, rejected)

    # Answered once stored: under load, once journaled and before it is processed
    # (`alerts.intake`); `processed` then records the outcome in /metrics.
    intake = Intake(integration.id, slug, body, processed)
    await state.writer.write_async(Submission(sender_of(integration), alerts, now, intake=intake))
    return Accepted(integration.name, parsed.errors)


def _record_changes(session: Any, parsed: ParseResult, integration: Integration,
                    now: Any) -> int:
    """Change events land on the timelines of open incidents of the integration's service."""
    if not parsed.change_events or not integration.service:
        return 0
    open_ids = list(session.scalars(
        select(Incident.id).join(IncidentService, IncidentService.incident_id == Incident.id)
        .where(IncidentService.service == integration.service,
               Incident.status.in_([s.value for s in OPEN_STATES]))))
    for event in parsed.change_events:
        for incident_id in open_ids:
            timeline.append(
                session, incident_id, kind="change.recorded", type=EntryType.ACTION,
                summary=f"Change: {event.summary}", at=event.timestamp or now,
                source=Source.EXTERNAL, actor=f"integration:{integration.name}"[:200],
                details={"source": event.source, "custom_details": event.custom_details,
                         "links": event.links},
            )
    return len(open_ids) * len(parsed.change_events)


def outcome_body(received: Received) -> dict[str, Any]:
    o = received.outcome
    return {
        "integration": received.integration, "received": o.received, "new": o.new,
        "deduplicated": o.deduplicated, "updated": o.updated, "resolved": o.resolved,
        "suppressed": o.suppressed, "incidents_opened": o.incidents_opened,
        "incidents_touched": sorted(o.incidents_touched), "errors": received.errors,
    }
