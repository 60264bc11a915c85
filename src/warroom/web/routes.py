"""Console pages. Sign-in uses the same server-side sessions as the API; every form
carries the session's CSRF token; Jinja autoescaping keeps attacker-controlled alert
labels inert."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.alerts.models import Alert
from warroom.api.state import SESSION_COOKIE, AppState, app_state
from warroom.auth.roles import Role
from warroom.clock import utcnow
from warroom.durations import human_duration
from warroom.errors import WarroomError
from warroom.escalation import service as escalation
from warroom.incidents import service as incidents
from warroom.incidents.lifecycle import Action, Status
from warroom.incidents.models import Incident
from warroom.incidents.roles import ResponseRole
from warroom.incidents.schemas import IncidentPatch
from warroom.oncall.schedule import next_shifts, on_call_at
from warroom.routing.matchers import Matcher, MatchType
from warroom.suppression import service as silences
from warroom.timeline import service as timeline
from warroom.timeline.kinds import EntryType
from warroom.users import service as users

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

ACTIONS = {  # status -> the buttons that make sense: (action, label, css class, key)
    "triggered": [("acknowledge", "Acknowledge", "primary", "a"),
                  ("escalate", "Escalate", "", "e"), ("resolve", "Resolve", "danger", "r")],
    "acknowledged": [("investigate", "Investigating", "", "i"),
                     ("mitigate", "Mitigated", "", "m"), ("escalate", "Escalate", "", "e"),
                     ("resolve", "Resolve", "danger", "r")],
    "investigating": [("identify", "Identified", "", "d"), ("mitigate", "Mitigated", "", "m"),
                      ("escalate", "Escalate", "", "e"), ("resolve", "Resolve", "danger", "r")],
    "identified": [("mitigate", "Mitigated", "", "m"), ("escalate", "Escalate", "", "e"),
                   ("resolve", "Resolve", "danger", "r")],
    "mitigated": [("investigate", "Investigate again", "", "i"),
                  ("resolve", "Resolve", "danger", "r")],
    "resolved": [("close", "Close", "", "c"), ("reopen", "Reopen", "", "o")],
    "closed": [],
}


class _NeedsLogin(Exception):
    pass


def _viewer(state: AppState, request: Request) -> tuple[str, Role, str]:
    """(email, role, csrf) of the signed-in user, or raise to redirect to /login."""
    with state.db.reading() as session:
        found = users.session_user(session, request.cookies.get(SESSION_COOKIE), utcnow())
        if found is None:
            raise _NeedsLogin
        user, user_session = found
        return user.email, Role(user.role), user_session.csrf_token


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context)


def _guarded(request: Request) -> tuple[AppState, str, Role, str] | Response:
    state = app_state(request)
    try:
        email, role, csrf = _viewer(state, request)
    except _NeedsLogin:
        return RedirectResponse("/login", status_code=303)
    return state, email, role, csrf


def _check_form(request: Request, csrf: str, sent: str, role: Role) -> str | None:
    if sent != csrf:
        return "The form expired; reload the page and try again."
    if not role.allows(Role.RESPONDER):
        return "Viewers cannot change incidents."
    return None


def _age(since: datetime) -> str:
    return human_duration(utcnow() - since)


@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return _page(request, "login.html", user=None)


@router.post("/login")
def login(request: Request, email: str = Form(...), password: str = Form(...)) -> Response:
    state = app_state(request)
    try:
        with state.db.transaction() as session:
            signed = users.sign_in(session, email[:320], password[:1024], utcnow())
    except WarroomError as exc:
        return _page(request, "login.html", user=None, flash=exc.message, flash_error=True)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, signed.token, httponly=True, samesite="lax",
                        secure=(state.settings.public_url or "").startswith("https://"),
                        max_age=int(users.SESSION_LIFETIME.total_seconds()), path="/")
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    guarded = _guarded(request)
    if isinstance(guarded, Response):
        return guarded
    state, _, _, csrf = guarded
    if csrf_token == csrf:
        with state.db.transaction() as session:
            users.sign_out(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _incident_rows(state: AppState, show: str, severity: str) -> list[dict[str, Any]]:
    with state.db.reading() as session:
        query = select(Incident)
        if show != "all":
            query = query.where(Incident.status.in_([s.value for s in Status if s.is_open]))
        if severity:
            query = query.where(Incident.severity == severity)
        rows = list(session.scalars(query.order_by(Incident.created_at.desc()).limit(200)))
        rank = {lvl.name: lvl.rank for lvl in state.policy.scale.levels}
        rows.sort(key=lambda i: (rank.get(i.severity, 99), -i.created_at.timestamp()))
        return [{
            "reference": i.reference, "title": i.title, "severity": i.severity,
            "status": i.status, "age": _age(i.triggered_at), "assignee": i.assignee,
            "commander": next((r.person for r in i.roles if r.role == "incident_commander"),
                              None),
            "services": i.service_names,
        } for i in rows]


@router.get("/")
def incidents_page(request: Request, show: str = "open", severity: str = "",
                   fragment: str = "") -> Response:
    guarded = _guarded(request)
    if isinstance(guarded, Response):
        return guarded
    state, email, _, csrf = guarded
    rows = _incident_rows(state, show, severity[:32])
    if fragment:
        return _page(request, "_incident_rows.html", incidents=rows)
    return _page(request, "incidents.html", user=email, csrf=csrf, incidents=rows, show=show,
                 severity=severity, severities=state.policy.scale.names)


@router.get("/incidents/{ref}")
def incident_page(request: Request, ref: str, flash: str = "") -> Response:
    guarded = _guarded(request)
    if isinstance(guarded, Response):
        return guarded
    state, email, _, csrf = guarded
    with state.db.reading() as session:
        inc = incidents.get_incident(session, ref)
        if inc is None:
            return _page(request, "base.html", user=email, csrf=csrf,
                         flash=f"No incident {ref}.", flash_error=True)
        view = {"reference": inc.reference, "title": inc.title, "severity": inc.severity,
                "status": inc.status, "age": _age(inc.triggered_at), "type": inc.type,
                "services": inc.service_names, "description": inc.description,
                "roles": [{"role": r.role, "person": r.person} for r in inc.roles]}
        entries = [{"at": e.at.strftime("%Y-%m-%d %H:%M:%S"), "type": e.type,
                    "summary": e.summary, "actor": e.actor, "source": e.source}
                   for e in timeline.entries(session, inc.id)]
        alerts = list(session.scalars(select(Alert).where(Alert.incident_id == inc.id)
                                      .order_by(Alert.first_seen_at)))
    return _page(request, "incident.html", user=email, csrf=csrf, inc=view, timeline=entries,
                 alerts=alerts, actions=ACTIONS.get(view["status"], []), flash=flash[:200],
                 roles=[r.value for r in ResponseRole], entry_types=[t.value for t in EntryType],
                 severities=state.policy.scale.names)


def _back(ref: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"/incidents/{quote(ref)}?flash={quote(message)}", status_code=303)


Change = Callable[[Session, Incident, AppState, str], str]


def _change_incident(request: Request, ref: str, csrf_token: str, change: Change,
                     invalid: str) -> Response:
    """What every incident form shares: a signed-in responder, the form's CSRF token, one
    transaction on the locked incident, and a redirect back with what happened.
    `change` returns that message; a ValueError from it means the form held `invalid`."""
    guarded = _guarded(request)
    if isinstance(guarded, Response):
        return guarded
    state, email, role, csrf = guarded
    problem = _check_form(request, csrf, csrf_token, role)
    if problem:
        return _back(ref, problem)
    try:
        with state.db.transaction() as session:
            inc = incidents.require_incident(session, ref, for_update=True)
            message = change(session, inc, state, email)
    except ValueError:
        message = invalid
    except WarroomError as exc:
        message = exc.message
    return _back(ref, message)


@router.post("/incidents/{ref}/act")
def act(request: Request, ref: str, action: str = Form(...),
        csrf_token: str = Form("")) -> Response:
    def change(session: Session, inc: Incident, state: AppState, email: str) -> str:
        if action == "escalate":
            level = escalation.escalate(session, state.escalation, inc, None, actor=email,
                                        now=utcnow())
            return f"Escalated to level {level + 1}"
        incidents.act(session, inc, Action(action), actor=email, now=utcnow())
        return f"{inc.reference} is now {inc.status}"

    return _change_incident(request, ref, csrf_token, change,
                            f"Unknown action {action[:40]!r}")


@router.post("/incidents/{ref}/severity")
def severity(request: Request, ref: str, severity: str = Form(...),
             csrf_token: str = Form("")) -> Response:
    def change(session: Session, inc: Incident, state: AppState, email: str) -> str:
        incidents.update_incident(session, inc, IncidentPatch(severity=severity[:32]),
                                  actor=email, now=utcnow(), policy=state.policy)
        return f"Severity is now {inc.severity}"

    return _change_incident(request, ref, csrf_token, change, "Choose a severity")


@router.post("/incidents/{ref}/note")
def note(request: Request, ref: str, summary: str = Form(...), type: str = Form("note"),
         csrf_token: str = Form("")) -> Response:
    def change(session: Session, inc: Incident, state: AppState, email: str) -> str:
        incidents.add_note(session, inc, type=EntryType(type),
                           summary=summary[:10_000].replace("\x00", ""), details={},
                           actor=email, now=utcnow())
        return "Added to the timeline"

    return _change_incident(request, ref, csrf_token, change,
                            f"Unknown entry type {type[:40]!r}")


@router.post("/incidents/{ref}/role")
def role(request: Request, ref: str, role: str = Form(...), person: str = Form(...),
         csrf_token: str = Form("")) -> Response:
    who = person.strip()[:200].replace("\x00", "")

    def change(session: Session, inc: Incident, state: AppState, email: str) -> str:
        parsed = ResponseRole(role)
        if not who:
            raise ValueError("no person")
        incidents.assign_role(session, inc, parsed, who, actor=email, now=utcnow())
        return f"{who} is now {parsed.title}"

    return _change_incident(request, ref, csrf_token, change, "Choose a role and a person")


@router.get("/alerts")
def alerts_page(request: Request) -> Response:
    guarded = _guarded(request)
    if isinstance(guarded, Response):
        return guarded
    state, email, _, csrf = guarded
    with state.db.reading() as session:
        rows = list(session.scalars(select(Alert).order_by(Alert.last_seen_at.desc())
                                    .limit(300)))
        refs = {i.id: i.reference for i in session.scalars(
            select(Incident).where(Incident.id.in_({r.incident_id for r in rows
                                                    if r.incident_id})))}
    view = [{"status": r.status, "summary": r.summary, "labels": r.labels,
             "suppressed": r.suppressed or {}, "incident": refs.get(r.incident_id),
             "matcher": str(Matcher("alertname", MatchType.EQUAL,
                                    r.labels.get("alertname", "")))}
            for r in rows]
    return _page(request, "alerts.html", user=email, csrf=csrf, alerts=view)


@router.get("/silences")
def silences_page(request: Request, flash: str = "") -> Response:
    guarded = _guarded(request)
    if isinstance(guarded, Response):
        return guarded
    state, email, _, csrf = guarded
    now = utcnow()
    with state.db.reading() as session:
        rows = [{"id": s.id, "state": s.state(now).value,
                 "matchers": [str(m) for m in s.matchers],
                 "ends_at": s.ends_at.strftime("%Y-%m-%d %H:%M"), "created_by": s.created_by,
                 "comment": s.comment} for s in silences.list_silences(session)]
    return _page(request, "silences.html", user=email, csrf=csrf, silences=rows,
                 flash=flash[:200])


@router.post("/silences")
def create_silence(request: Request, matcher: str = Form(...),
                   csrf_token: str = Form("")) -> Response:
    guarded = _guarded(request)
    if isinstance(guarded, Response):
        return guarded
    state, email, role, csrf = guarded
    problem = _check_form(request, csrf, csrf_token, role)
    if problem:
        return RedirectResponse(f"/silences?flash={quote(problem)}", status_code=303)
    from warroom.routing.matchers import MatcherError, parse_matchers

    now = utcnow()
    try:
        silence = silences.build_silence(
            matchers=parse_matchers(matcher[:2000]), starts_at=now,
            ends_at=now + timedelta(hours=2), created_by=email,
            comment="silenced from the console", now=now)
        with state.db.transaction() as session:
            silences.upsert_silence(session, silence, now)
        message = f"Silenced {matcher} for 2 hours"
    except (MatcherError, WarroomError) as exc:
        message = getattr(exc, "message", str(exc))
    return RedirectResponse(f"/silences?flash={quote(message)}", status_code=303)


@router.post("/silences/{silence_id}/expire")
def expire_silence(request: Request, silence_id: str, csrf_token: str = Form("")) -> Response:
    guarded = _guarded(request)
    if isinstance(guarded, Response):
        return guarded
    state, _, role, csrf = guarded
    problem = _check_form(request, csrf, csrf_token, role)
    message = problem or "Silence expired"
    if not problem:
        try:
            with state.db.transaction() as session:
                silences.expire_silence(session, silence_id, utcnow())
        except WarroomError as exc:
            message = exc.message
    return RedirectResponse(f"/silences?flash={quote(message)}", status_code=303)


@router.get("/oncall")
def oncall_page(request: Request) -> Response:
    guarded = _guarded(request)
    if isinstance(guarded, Response):
        return guarded
    state, email, _, csrf = guarded
    now = utcnow()
    schedules = [{
        "id": s.id, "now": on_call_at(s, now),
        "next": [{"person": sh.person, "start": sh.start.strftime("%a %Y-%m-%d %H:%M UTC"),
                  "end": sh.end.strftime("%a %Y-%m-%d %H:%M UTC"), "layer": sh.layer}
                 for sh in next_shifts(s, now, 3)],
    } for s in state.config.schedules]
    return _page(request, "oncall.html", user=email, csrf=csrf, schedules=schedules,
                 services=state.config.services)
