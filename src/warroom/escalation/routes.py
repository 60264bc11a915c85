"""HTTP: an incident's escalation state, manual escalation, and its deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from warroom.api.problems import problems
from warroom.api.state import Responder, State, Viewer
from warroom.clock import utcnow
from warroom.escalation import service
from warroom.escalation.models import Escalation, Timer
from warroom.incidents import service as incidents
from warroom.notify.models import Delivery

router = APIRouter(prefix="/api/v1", tags=["escalation"])


class EscalateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: int | None = Field(default=None, ge=0, le=19,
                              description="0-based level; default: the next one")


class TimerOut(BaseModel):
    kind: str
    due_at: datetime
    payload: dict[str, Any]


class EscalationOut(BaseModel):
    policy_id: str | None
    status: str
    level: int
    cycle: int
    conditions_fired: list[str]
    pending: list[TimerOut]
    snapshot: dict[str, Any] | None


class DeliveryOut(BaseModel):
    id: int
    person_id: str
    channel_id: str
    channel_type: str
    kind: str
    level: int | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def _state(session: Any, incident_id: Any) -> EscalationOut:
    state = session.get(Escalation, incident_id)
    timers = session.scalars(select(Timer).where(Timer.incident_id == incident_id,
                                                 Timer.status == "pending")
                             .order_by(Timer.due_at))
    pending = [TimerOut(kind=t.kind, due_at=t.due_at, payload=t.payload) for t in timers]
    if state is None:
        return EscalationOut(policy_id=None, status="none", level=-1, cycle=0,
                             conditions_fired=[], pending=pending, snapshot=None)
    level, cycle = service.position(session, state)
    return EscalationOut(policy_id=state.policy_id, status=state.status, level=level,
                         cycle=cycle, conditions_fired=list(state.conditions_fired or []),
                         pending=pending, snapshot=state.snapshot)


@router.get("/incidents/{incident_id}/escalation", response_model=EscalationOut,
            responses=problems(404))
def get_escalation(state: State, _who: Viewer, incident_id: str) -> EscalationOut:
    with state.db.reading() as session:
        incident = incidents.require_incident(session, incident_id)
        return _state(session, incident.id)


@router.post("/incidents/{incident_id}/escalate", response_model=EscalationOut,
             responses=problems(404))
def escalate(state: State, who: Responder, incident_id: str,
             body: EscalateIn | None = None) -> EscalationOut:
    """Page the next level now, or a chosen level; restarts a stopped escalation."""
    body = body or EscalateIn()
    with state.db.transaction() as session:
        incident = incidents.require_incident(session, incident_id, for_update=True)
        service.escalate(session, state.escalation, incident, body.level,
                         actor=who.actor, now=utcnow())
        session.flush()
        return _state(session, incident.id)


@router.get("/incidents/{incident_id}/deliveries", response_model=list[DeliveryOut],
            responses=problems(404))
def list_deliveries(state: State, _who: Viewer, incident_id: str) -> list[DeliveryOut]:
    with state.db.reading() as session:
        incident = incidents.require_incident(session, incident_id)
        rows = session.scalars(select(Delivery).where(Delivery.incident_id == incident.id)
                               .order_by(Delivery.id))
        return [DeliveryOut(id=r.id, person_id=r.person_id, channel_id=r.channel_id,
                            channel_type=r.channel_type, kind=r.kind, level=r.level,
                            status=r.status, attempts=r.attempts,
                            next_attempt_at=r.next_attempt_at, last_error=r.last_error,
                            created_at=r.created_at, delivered_at=r.delivered_at)
                for r in rows]
