"""Where CLI commands act: the local database, or a warroom server over HTTP.

Both backends speak the API's JSON shapes, so commands render one way whatever the target.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from warroom import errors
from warroom.clock import utcnow
from warroom.config import WarroomConfig
from warroom.db import Database
from warroom.escalation import service as escalation
from warroom.escalation.setup import attach
from warroom.incidents import service
from warroom.incidents.lifecycle import Action
from warroom.incidents.present import entry_out, incident_out
from warroom.incidents.report import build_report, render_markdown
from warroom.incidents.schemas import IncidentCreate, NoteIn
from warroom.incidents.service import SeverityPolicy
from warroom.timeline import service as timeline

JSON = dict[str, Any]


class Backend(Protocol):
    def list_incidents(self, params: JSON) -> JSON: ...
    def get_incident(self, ref: str) -> JSON: ...
    def declare(self, body: JSON) -> JSON: ...
    def act(self, ref: str, action: Action, body: JSON) -> JSON: ...
    def add_note(self, ref: str, body: JSON) -> JSON: ...
    def timeline(self, ref: str) -> list[JSON]: ...
    def report(self, ref: str, fmt: str) -> str | JSON: ...
    def escalate(self, ref: str, level: int | None) -> JSON: ...


class LocalBackend:
    """Acts directly on the configured database, as `actor`."""

    def __init__(self, db: Database, config: WarroomConfig, actor: str) -> None:
        self.db, self.policy, self.actor = db, SeverityPolicy.from_config(config), actor
        self.escalation = attach(db, config)

    def list_incidents(self, params: JSON) -> JSON:
        filt = service.IncidentFilter(
            statuses=params.get("status") or [], severities=params.get("severity") or [],
            service=params.get("service"), open_only=bool(params.get("open")),
        )
        limit, offset = params.get("limit", 50), params.get("offset", 0)
        with self.db.reading() as session:
            rows, total = service.list_incidents(
                session, filt, limit=limit, offset=offset, policy=self.policy
            )
            return {"items": [incident_out(r).model_dump(mode="json") for r in rows],
                    "total": total, "limit": limit, "offset": offset}

    def get_incident(self, ref: str) -> JSON:
        with self.db.reading() as session:
            return incident_out(service.require_incident(session, ref)).model_dump(mode="json")

    def declare(self, body: JSON) -> JSON:
        data = IncidentCreate.model_validate(body)
        with self.db.transaction() as session:
            incident = service.declare(
                session, data, actor=self.actor, now=utcnow(), policy=self.policy
            )
            return incident_out(incident).model_dump(mode="json")

    def act(self, ref: str, action: Action, body: JSON) -> JSON:
        with self.db.transaction() as session:
            incident = service.require_incident(session, ref, for_update=True)
            service.act(session, incident, action, actor=self.actor, now=utcnow(),
                        note=body.get("note"), root_cause=body.get("root_cause"))
            return incident_out(incident).model_dump(mode="json")

    def add_note(self, ref: str, body: JSON) -> JSON:
        note = NoteIn.model_validate(body)
        with self.db.transaction() as session:
            incident = service.require_incident(session, ref, for_update=True)
            entry = service.add_note(session, incident, type=note.type, summary=note.summary,
                                     details=note.details, actor=self.actor, now=utcnow())
            return entry_out(entry).model_dump(mode="json")

    def timeline(self, ref: str) -> list[JSON]:
        with self.db.reading() as session:
            incident = service.require_incident(session, ref)
            return [entry_out(e).model_dump(mode="json")
                    for e in timeline.entries(session, incident.id)]

    def report(self, ref: str, fmt: str) -> str | JSON:
        with self.db.reading() as session:
            incident = service.require_incident(session, ref)
            report = build_report(incident, timeline.entries(session, incident.id))
        return report if fmt == "json" else render_markdown(report)

    def escalate(self, ref: str, level: int | None) -> JSON:
        with self.db.transaction() as session:
            incident = service.require_incident(session, ref, for_update=True)
            reached = escalation.escalate(session, self.escalation, incident, level,
                                          actor=self.actor, now=utcnow())
            return {"incident": incident.reference, "level": reached}


_STATUS_ERRORS: dict[int, type[errors.WarroomError]] = {
    401: errors.Unauthenticated, 403: errors.PermissionDenied, 404: errors.NotFound,
    409: errors.Conflict, 413: errors.InvalidInput, 422: errors.InvalidInput,
    400: errors.InvalidInput,
}


class HttpBackend:
    """Talks to a warroom server's REST API with a bearer token."""

    def __init__(self, url: str, token: str | None, timeout: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=url.rstrip("/") + "/api/v1", headers=headers,
                                   timeout=timeout)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise errors.WarroomError(f"cannot reach {self.client.base_url}: {exc}") from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            if isinstance(detail, list):  # FastAPI validation errors
                detail = "; ".join(
                    f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}"
                    for d in detail
                )
            cls = _STATUS_ERRORS.get(response.status_code, errors.WarroomError)
            raise cls(f"{response.status_code}: {detail}")
        return response

    def list_incidents(self, params: JSON) -> JSON:
        clean = {k: v for k, v in params.items() if v not in (None, [], False)}
        return self._call("GET", "/incidents", params=clean).json()  # type: ignore[no-any-return]

    def get_incident(self, ref: str) -> JSON:
        return self._call("GET", f"/incidents/{ref}").json()  # type: ignore[no-any-return]

    def declare(self, body: JSON) -> JSON:
        return self._call("POST", "/incidents", json=body).json()  # type: ignore[no-any-return]

    def act(self, ref: str, action: Action, body: JSON) -> JSON:
        return self._call(  # type: ignore[no-any-return]
            "POST", f"/incidents/{ref}/{action.value}", json=body
        ).json()

    def add_note(self, ref: str, body: JSON) -> JSON:
        return self._call(  # type: ignore[no-any-return]
            "POST", f"/incidents/{ref}/timeline", json=body
        ).json()

    def timeline(self, ref: str) -> list[JSON]:
        return self._call("GET", f"/incidents/{ref}/timeline").json()  # type: ignore[no-any-return]

    def report(self, ref: str, fmt: str) -> str | JSON:
        response = self._call("GET", f"/incidents/{ref}/report", params={"format": fmt})
        return response.json() if fmt == "json" else response.text

    def escalate(self, ref: str, level: int | None) -> JSON:
        body = {} if level is None else {"level": level}
        state = self._call("POST", f"/incidents/{ref}/escalate", json=body).json()
        return {"incident": ref, "level": state["level"]}
