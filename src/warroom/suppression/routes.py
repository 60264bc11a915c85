"""warroom's own silences API (the Alertmanager API v2 serves the same silences)."""

from __future__ import annotations

from fastapi import APIRouter

from warroom.api.problems import problems
from warroom.api.state import Responder, State, Viewer
from warroom.clock import as_utc, utcnow
from warroom.durations import parse_duration
from warroom.errors import InvalidInput
from warroom.routing.matchers import MatcherError, parse_matchers
from warroom.suppression import service
from warroom.suppression.schemas import MaintenanceOut, SilenceIn, SilenceOut
from warroom.suppression.silences import Silence

router = APIRouter(prefix="/api/v1", tags=["suppression"])


def silence_out(silence: Silence) -> SilenceOut:
    return SilenceOut(
        id=silence.id, state=silence.state(utcnow()).value,
        matchers=[str(m) for m in silence.matchers], starts_at=silence.starts_at,
        ends_at=silence.ends_at, created_by=silence.created_by, comment=silence.comment,
        updated_at=silence.updated_at,
    )


@router.get("/silences", response_model=list[SilenceOut], responses=problems())
def list_silences(state: State, _who: Viewer) -> list[SilenceOut]:
    with state.db.reading() as session:
        return [silence_out(s) for s in service.list_silences(session)]


@router.post("/silences", status_code=201, response_model=SilenceOut, responses=problems())
def create_silence(state: State, who: Responder, body: SilenceIn) -> SilenceOut:
    now = utcnow()
    try:
        matchers = [m for text in body.matchers for m in parse_matchers(text)]
        starts = as_utc(body.starts_at) if body.starts_at else now
        if body.ends_at is not None:
            ends = as_utc(body.ends_at)
        elif body.duration:
            ends = starts + parse_duration(body.duration)
        else:
            raise InvalidInput("give ends_at or duration")
    except (MatcherError, ValueError, OverflowError) as exc:
        raise InvalidInput(str(exc)) from None
    silence = service.build_silence(matchers=matchers, starts_at=starts, ends_at=ends,
                                    created_by=body.created_by or who.actor,
                                    comment=body.comment, now=now)
    with state.db.transaction() as session:
        service.upsert_silence(session, silence, now)
    return silence_out(silence)


@router.get("/silences/{silence_id}", response_model=SilenceOut, responses=problems(404))
def get_silence(state: State, _who: Viewer, silence_id: str) -> SilenceOut:
    with state.db.reading() as session:
        return silence_out(service.require_silence(session, silence_id))


@router.delete("/silences/{silence_id}", response_model=SilenceOut, responses=problems(404))
def expire_silence(state: State, _who: Responder, silence_id: str) -> SilenceOut:
    with state.db.transaction() as session:
        return silence_out(service.expire_silence(session, silence_id, utcnow()))


@router.get("/maintenance", response_model=list[MaintenanceOut], responses=problems())
def list_maintenance(state: State, _who: Viewer) -> list[MaintenanceOut]:
    """Configured recurring maintenance windows and whether each is open now."""
    now = utcnow()
    result = []
    for window in state.pipeline.maintenance:
        current = window.current(now)
        result.append(MaintenanceOut(
            id=window.id, active=current is not None,
            current_start=current[0] if current else None,
            current_end=current[1] if current else None,
            next_start=window.next_start(now), services=sorted(window.services),
            timezone=str(window.timezone),
        ))
    return result
