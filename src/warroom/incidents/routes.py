"""HTTP routes of the incidents domain: thin adapters over `service`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from warroom.api.problems import problems
from warroom.api.state import Responder, State, Viewer
from warroom.clock import as_utc, utcnow
from warroom.incidents import service
from warroom.incidents.classify import Impact
from warroom.incidents.lifecycle import Action, Status
from warroom.incidents.present import entry_out, incident_out
from warroom.incidents.record import to_record
from warroom.incidents.report import build_report, render_markdown
from warroom.incidents.roles import ResponseRole
from warroom.incidents.schemas import (
    ClassifyOut,
    ImpactIn,
    IncidentCreate,
    IncidentOut,
    IncidentPage,
    IncidentPatch,
    NoteIn,
    ReportFormat,
    RoleAssign,
    SeverityOut,
    TimelineEntryOut,
    TransitionIn,
)
from warroom.textfields import Name
from warroom.timeline import service as timeline

router = APIRouter(prefix="/api/v1", tags=["incidents"])

ERRORS = problems()
NOT_FOUND = problems(404)


@router.get("/incidents", response_model=IncidentPage, responses=ERRORS)
def list_incidents(
    state: State,
    _who: Viewer,
    status: Annotated[list[Status] | None, Query(description="repeatable")] = None,
    severity: Annotated[list[Name] | None, Query(description="repeatable; aliases ok")] = None,
    service_: Annotated[Name | None, Query(alias="service")] = None,
    since: Annotated[datetime | None, Query(description="created at or after")] = None,
    until: Annotated[datetime | None, Query(description="created before")] = None,
    open: Annotated[bool, Query(description="only incidents not yet resolved")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> IncidentPage:
    filt = service.IncidentFilter(
        statuses=[s.value for s in status or []], severities=severity or [],
        service=service_, since=as_utc(since) if since else None,
        until=as_utc(until) if until else None, open_only=open,
    )
    with state.db.reading() as session:
        rows, total = service.list_incidents(
            session, filt, limit=limit, offset=offset, policy=state.policy
        )
        return IncidentPage(
            items=[incident_out(r) for r in rows], total=total, limit=limit, offset=offset
        )


@router.post("/incidents", status_code=201, response_model=IncidentOut,
             responses=problems(413))
def declare_incident(
    state: State, who: Responder, body: IncidentCreate, response: Response
) -> IncidentOut:
    with state.db.transaction() as session:
        incident = service.declare(
            session, body, actor=who.actor, now=utcnow(), policy=state.policy
        )
        out = incident_out(incident)
    response.headers["Location"] = f"/api/v1/incidents/{out.id}"
    return out


@router.get("/incidents/{incident_id}", response_model=IncidentOut,
            responses={**ERRORS, **NOT_FOUND})
def get_incident(state: State, _who: Viewer, incident_id: str) -> IncidentOut:
    with state.db.reading() as session:
        return incident_out(service.require_incident(session, incident_id))


@router.patch("/incidents/{incident_id}", response_model=IncidentOut,
              responses={**ERRORS, **NOT_FOUND})
def update_incident(
    state: State, who: Responder, incident_id: str, body: IncidentPatch
) -> IncidentOut:
    with state.db.transaction() as session:
        incident = service.require_incident(session, incident_id, for_update=True)
        service.update_incident(
            session, incident, body, actor=who.actor, now=utcnow(), policy=state.policy
        )
        return incident_out(incident)


def _transition_route(action: Action) -> None:
    def handler(
        state: State, who: Responder, incident_id: str, body: TransitionIn | None = None
    ) -> IncidentOut:
        body = body or TransitionIn()
        with state.db.transaction() as session:
            incident = service.require_incident(session, incident_id, for_update=True)
            service.act(
                session, incident, action, actor=who.actor, now=utcnow(),
                note=body.note, root_cause=body.root_cause,
            )
            return incident_out(incident)

    handler.__name__ = f"{action.value}_incident"
    router.add_api_route(
        f"/incidents/{{incident_id}}/{action.value}", handler, methods=["POST"],
        response_model=IncidentOut, summary=f"{action.value.capitalize()} an incident",
        responses=problems(404, 409),
    )


for _action in Action:
    _transition_route(_action)


@router.post("/incidents/{incident_id}/roles", response_model=IncidentOut,
             responses={**ERRORS, **NOT_FOUND})
def assign_role(state: State, who: Responder, incident_id: str, body: RoleAssign) -> IncidentOut:
    with state.db.transaction() as session:
        incident = service.require_incident(session, incident_id, for_update=True)
        service.assign_role(session, incident, body.role, body.person, actor=who.actor,
                            now=utcnow())
        return incident_out(incident)


@router.delete("/incidents/{incident_id}/roles/{role}", response_model=IncidentOut,
               responses={**ERRORS, **NOT_FOUND})
def unassign_role(
    state: State, who: Responder, incident_id: str, role: ResponseRole,
    person: Annotated[Name | None, Query()] = None,
) -> IncidentOut:
    with state.db.transaction() as session:
        incident = service.require_incident(session, incident_id, for_update=True)
        service.unassign_role(session, incident, role, person, actor=who.actor, now=utcnow())
        return incident_out(incident)


@router.get("/incidents/{incident_id}/timeline", response_model=list[TimelineEntryOut],
            responses={**ERRORS, **NOT_FOUND})
def get_timeline(state: State, _who: Viewer, incident_id: str) -> list[TimelineEntryOut]:
    with state.db.reading() as session:
        incident = service.require_incident(session, incident_id)
        return [entry_out(e) for e in timeline.entries(session, incident.id)]


@router.post("/incidents/{incident_id}/timeline", status_code=201,
             response_model=TimelineEntryOut, responses={**ERRORS, **NOT_FOUND})
def add_timeline_entry(
    state: State, who: Responder, incident_id: str, body: NoteIn
) -> TimelineEntryOut:
    with state.db.transaction() as session:
        incident = service.require_incident(session, incident_id, for_update=True)
        entry = service.add_note(
            session, incident, type=body.type, summary=body.summary, details=body.details,
            actor=who.actor, now=utcnow(), at=as_utc(body.at) if body.at else None,
        )
        session.flush()
        return entry_out(entry)


@router.get(
    "/incidents/{incident_id}/report",
    responses={**ERRORS, **NOT_FOUND, 200: {
        "description": "the report as Markdown (default) or JSON",
        "content": {"text/markdown": {}, "application/json": {}},
    }},
)
def get_report(
    state: State, _who: Viewer, incident_id: str, request: Request,
    format: Annotated[ReportFormat | None, Query(description="default: from Accept")] = None,
) -> Response:
    with state.db.reading() as session:
        incident = service.require_incident(session, incident_id)
        report = build_report(incident, timeline.entries(session, incident.id))
    wants_json = format == "json" or (
        format is None and "application/json" in request.headers.get("accept", "")
    )
    if wants_json:
        return JSONResponse(report)
    return PlainTextResponse(render_markdown(report), media_type="text/markdown")


@router.get("/incidents/{incident_id}/record", responses={**ERRORS, **NOT_FOUND, 200: {
    "description": "seed 004's incident record (JSON Schema 2020-12)",
    "content": {"application/json": {}}}})
def get_record(state: State, _who: Viewer, incident_id: str) -> dict[str, object]:
    with state.db.reading() as session:
        incident = service.require_incident(session, incident_id)
        return to_record(incident, timeline.entries(session, incident.id), state.policy.scale)


@router.post("/classify", response_model=ClassifyOut, responses=ERRORS)
def classify_impact(state: State, _who: Viewer, body: ImpactIn) -> ClassifyOut:
    result = state.policy.classify(Impact(**body.model_dump()))
    level = state.policy.scale.require(result.severity)
    return ClassifyOut(
        severity=level.name, reason=result.reason,
        response_time_seconds=level.response_time.total_seconds(),
        update_every_seconds=level.update_every.total_seconds() if level.update_every else None,
        required_roles=list(level.required_roles),
    )


@router.get("/severities", response_model=list[SeverityOut], responses=ERRORS)
def list_severities(state: State, _who: Viewer) -> list[SeverityOut]:
    return [
        SeverityOut(
            name=lvl.name, rank=lvl.rank, aliases=list(lvl.aliases),
            description=lvl.description,
            response_time_seconds=lvl.response_time.total_seconds(),
            update_every_seconds=lvl.update_every.total_seconds() if lvl.update_every else None,
            required_roles=list(lvl.required_roles),
        )
        for lvl in state.policy.scale.levels
    ]
