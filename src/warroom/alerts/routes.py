"""warroom's own read API over stored alerts (for people, the CLI and the console)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from warroom.alerts.models import Alert
from warroom.alerts.schemas import AlertOut, AlertPage
from warroom.api.problems import problems
from warroom.api.state import State, Viewer
from warroom.errors import InvalidInput
from warroom.incidents import service as incidents
from warroom.routing.matchers import MatcherError, matches_all, parse_matchers
from warroom.textfields import ShortText

router = APIRouter(prefix="/api/v1", tags=["alerts"])


def alert_out(row: Alert) -> AlertOut:
    return AlertOut(
        fingerprint=row.fingerprint, status=row.status, labels=row.labels,
        annotations=row.annotations, summary=row.summary, severity_hint=row.severity_hint,
        dedup_key=row.dedup_key, source_format=row.source_format, service=row.service,
        route_id=row.route_id, group_key=row.group_key, suppressed=row.suppressed or {},
        incident_id=row.incident_id, starts_at=row.starts_at, ends_at=row.ends_at,
        first_seen_at=row.first_seen_at, last_seen_at=row.last_seen_at,
        receive_count=row.receive_count, generator_url=row.generator_url,
    )


@router.get("/alerts", response_model=AlertPage, responses=problems())
def list_alerts(
    state: State, _who: Viewer,
    status: Annotated[Literal["firing", "resolved"] | None, Query()] = None,
    suppressed: Annotated[bool | None, Query(description="only (un)suppressed alerts")] = None,
    filter: Annotated[ShortText | None, Query(description='matchers, e.g. {job="api"}')] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AlertPage:
    """Stored alerts, newest first; suppressed ones stay visible with the reason."""
    try:
        matchers = parse_matchers(filter) if filter else []
    except MatcherError as exc:
        raise InvalidInput(f"invalid filter: {exc}") from None
    query = select(Alert)
    if status:
        query = query.where(Alert.status == status)
    with state.db.reading() as session:
        if not matchers and suppressed is None:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(session.scalars(query.order_by(Alert.last_seen_at.desc(), Alert.id.desc())
                                        .limit(limit).offset(offset)))
        else:  # label matching happens in Python: it is Alertmanager's semantics, not SQL's
            everything = [r for r in session.scalars(query.order_by(Alert.last_seen_at.desc(),
                                                                    Alert.id.desc()))
                          if matches_all(matchers, r.labels)
                          and (suppressed is None or bool(r.suppressed) == suppressed)]
            total, rows = len(everything), everything[offset:offset + limit]
        return AlertPage(items=[alert_out(r) for r in rows], total=total, limit=limit,
                         offset=offset)


@router.get("/incidents/{incident_id}/alerts", response_model=list[AlertOut],
            responses=problems(404))
def incident_alerts(state: State, _who: Viewer, incident_id: str) -> list[AlertOut]:
    """The alerts correlated into an incident."""
    with state.db.reading() as session:
        incident = incidents.require_incident(session, incident_id)
        rows = session.scalars(select(Alert).where(Alert.incident_id == incident.id)
                               .order_by(Alert.first_seen_at, Alert.id))
        return [alert_out(r) for r in rows]
