"""The Alertmanager API v2 subset that Prometheus and amtool use, answered by warroom.

Errors follow Alertmanager: a JSON *string* body. Authentication takes an integration
key (Bearer or basic-auth password) or, for reads and silences, a warroom API token.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any

import orjson
import re2
from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

import warroom
from warroom.alerts.fingerprint import alertmanager_fingerprint
from warroom.alerts.formats.alertmanager import alertmanager_error_text
from warroom.alerts.formats.base import FormatError
from warroom.alerts.models import Alert
from warroom.alerts.receive import BodyError, accept, decode
from warroom.alerts.writer import Overloaded
from warroom.api.state import AppState, app_state
from warroom.auth import service as auth
from warroom.auth.roles import Role
from warroom.clock import utcnow
from warroom.errors import InvalidInput, NotFound, Unauthenticated, WarroomError
from warroom.integrations import service as integrations
from warroom.routing.matchers import Matcher, MatcherError, matches_all, parse_matchers
from warroom.routing.tree import group_labels, iter_routes, match
from warroom.suppression import service as silences
from warroom.suppression.inhibit import inhibited_by
from warroom.suppression.maintenance import in_maintenance
from warroom.suppression.silences import Silence

router = APIRouter(tags=["alertmanager-api-v2"])
STARTED = utcnow()
AM_VERSION = "0.25.0"


def _am_error(status: int, message: str) -> Response:
    return Response(orjson.dumps(message), status_code=status, media_type="application/json")


def _rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _caller(state: AppState, request: Request, needed: Role) -> str:
    """Integration key (format alertmanager) or API token; returns the caller's name."""
    key = integrations.key_from_headers(request.headers)
    with state.db.reading() as session:
        integration = integrations.by_key(session, key)
        if integration is not None:
            return f"integration:{integration.name}"
        principal = auth.authenticate(session, key)
    principal.require(needed)
    return principal.name


async def _guard(state: AppState, request: Request, needed: Role) -> str | Response:
    try:
        return await run_in_threadpool(_caller, state, request, needed)
    except Unauthenticated as exc:
        return _am_error(401, exc.message)
    except WarroomError as exc:
        return _am_error(403, exc.message)


@router.post("/api/v2/alerts", summary="Receive alerts (Prometheus, amtool alert add)",
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
                 "type": "array", "items": {"type": "object"}}}}, "required": True}},
             responses={200: {"description": "stored"}, 400: {"description": "invalid"},
                        429: {"description": "too many alerts waiting; retry later"}})
async def post_alerts(request: Request) -> Response:
    """Answered once the alerts are committed (merged with concurrent requests, see
    `alerts.writer`). Served by `api.hot_path` in a running server; this route documents
    it and serves apps built without the hot path."""
    status, body = await answer_post(app_state(request), request.headers.get("authorization"),
                                     await request.body())
    headers = {"Retry-After": str(Overloaded.retry_after_seconds)} if status == 429 else None
    return Response(body, status_code=status, headers=headers,
                    media_type="application/json" if body else None)


async def answer_post(state: AppState, authorization: str | None,
                      body: bytes) -> tuple[int, bytes]:
    """`POST /api/v2/alerts`: the status and body Alertmanager would answer."""
    key = integrations.key_from_headers({"authorization": authorization or ""})
    try:
        accepted = await accept(state, key=key, body=body, slug="alertmanager",
                                expected_format="alertmanager")
    except Unauthenticated as exc:
        return 401, orjson.dumps(exc.message)
    except (BodyError, FormatError) as exc:
        return 400, orjson.dumps(str(exc))
    except InvalidInput as exc:
        return 400, orjson.dumps(exc.message)
    except Overloaded as exc:
        return 429, orjson.dumps(f"too many alerts waiting to be stored ({exc}); retry later")
    text = alertmanager_error_text(accepted.errors)
    if text:  # best-effort: the valid alerts are stored, the answer says what was not
        return 400, orjson.dumps(text)
    return 200, b""


def _matchers_from(filters: list[str] | None) -> list[Matcher]:
    result: list[Matcher] = []
    for text in filters or []:
        result.extend(parse_matchers(text))
    return result


def _alert_view(state: AppState, row: Alert, active: list[Silence],
                firing: list[dict[str, str]], now: datetime) -> dict[str, Any]:
    silenced = [s.id for s in active if s.mutes(row.labels, now)]
    silenced += [f"maintenance:{w}" for w in
                 in_maintenance(row.labels, row.service, state.pipeline.maintenance, now)]
    inhibition = inhibited_by(row.labels, [f for f in firing if f != row.labels],
                              state.pipeline.inhibit_rules)
    inhibited = []
    if inhibition is not None:
        inhibited = [alertmanager_fingerprint(inhibition.source_labels)]
    state_name = "suppressed" if silenced or inhibited else "active"
    return {
        "annotations": row.annotations, "endsAt": _rfc3339(row.ends_at),
        "fingerprint": row.fingerprint, "receivers": [{"name": row.route_id or "root"}],
        "startsAt": _rfc3339(row.starts_at),
        "status": {"inhibitedBy": inhibited, "silencedBy": silenced, "state": state_name},
        "updatedAt": _rfc3339(row.last_seen_at), "generatorURL": row.generator_url or "",
        "labels": row.labels,
    }


def _query_alerts(state: AppState, matchers: list[Matcher], flags: dict[str, bool],
                  receiver: str | None) -> list[tuple[Alert, dict[str, Any]]]:
    now = utcnow()
    receiver_re = re2.compile(f"^(?:{receiver})$") if receiver else None
    with state.db.reading() as session:
        rows = list(session.scalars(select(Alert).where(Alert.status == "firing")
                                    .order_by(Alert.fingerprint)))
        active = silences.active_silences(session, now)
    firing = [r.labels for r in rows] if state.pipeline.inhibit_rules else []
    result = []
    for row in rows:
        if matchers and not matches_all(matchers, row.labels):
            continue
        if receiver_re and not receiver_re.match(row.route_id or "root"):
            continue
        view = _alert_view(state, row, active, firing, now)
        status = view["status"]
        if status["state"] == "active" and not flags["active"]:
            continue
        if status["silencedBy"] and not flags["silenced"]:
            continue
        if status["inhibitedBy"] and not flags["inhibited"]:
            continue
        result.append((row, view))
    return result


Flag = Annotated[bool, Query()]


async def _alerts_for(
    request: Request, filters: list[str] | None, flags: dict[str, bool], receiver: str | None,
) -> list[tuple[Alert, dict[str, Any]]] | Response:
    """The alerts a GET /alerts or /alerts/groups asks for, or the error to answer."""
    state = app_state(request)
    who = await _guard(state, request, Role.VIEWER)
    if isinstance(who, Response):
        return who
    try:
        matchers = _matchers_from(filters)
        await state.writer.caught_up()  # alerts posted here before are listed
        return await run_in_threadpool(_query_alerts, state, matchers, flags, receiver)
    except (MatcherError, ValueError) as exc:
        return _am_error(400, f"bad matcher format: {exc}")


@router.get("/api/v2/alerts", summary="List alerts (amtool alert query)")
async def get_alerts(
    request: Request, active: Flag = True, silenced: Flag = True, inhibited: Flag = True,
    unprocessed: Flag = True, filter: Annotated[list[str] | None, Query()] = None,
    receiver: Annotated[str | None, Query()] = None,
) -> Response:
    rows = await _alerts_for(request, filter, {"active": active, "silenced": silenced,
                                               "inhibited": inhibited}, receiver)
    if isinstance(rows, Response):
        return rows
    return Response(orjson.dumps([view for _, view in rows]), media_type="application/json")


@router.get("/api/v2/alerts/groups", summary="Alerts grouped by route and group labels")
async def get_alert_groups(
    request: Request, active: Flag = True, silenced: Flag = True, inhibited: Flag = True,
    filter: Annotated[list[str] | None, Query()] = None,
    receiver: Annotated[str | None, Query()] = None,
) -> Response:
    rows = await _alerts_for(request, filter, {"active": active, "silenced": silenced,
                                               "inhibited": inhibited}, receiver)
    if isinstance(rows, Response):
        return rows
    routes = app_state(request).pipeline.routes
    groups: dict[str, dict[str, Any]] = defaultdict(dict)
    for row, view in rows:
        key = row.group_key or row.fingerprint
        if not groups[key]:
            route = match(routes, row.labels)[0]
            groups[key] = {"alerts": [], "labels": group_labels(route, row.labels),
                           "receiver": {"name": row.route_id or "root"}}
        groups[key]["alerts"].append(view)
    return Response(orjson.dumps(list(groups.values())), media_type="application/json")


def _parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be an RFC 3339 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{field}: invalid time {value!r}") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{field}: time needs an offset, e.g. 2026-01-01T00:00:00Z")
    return parsed


def _silence_from_body(body: Any, now: datetime) -> tuple[Silence, str | None]:
    if not isinstance(body, dict):
        raise InvalidInput("silence must be a JSON object")
    missing = [f for f in ("matchers", "startsAt", "endsAt", "createdBy", "comment")
               if f not in body]
    if missing:
        raise InvalidInput(f"missing required field(s): {', '.join(missing)}")
    raw_matchers = body["matchers"]
    if not isinstance(raw_matchers, list) or not raw_matchers:
        raise InvalidInput("matchers must be a non-empty list")
    try:
        matchers = [Matcher.from_api(m) for m in raw_matchers]
    except MatcherError as exc:
        raise InvalidInput(f"invalid matcher: {exc}") from None
    for name in ("createdBy", "comment"):
        if not isinstance(body[name], str) or not body[name].strip() or "\x00" in body[name]:
            raise InvalidInput(f"{name} must be a non-empty string")
    silence_id = body.get("id") or None
    if silence_id is not None and not isinstance(silence_id, str):
        raise InvalidInput("id must be a string")
    silence = silences.build_silence(
        matchers=matchers, starts_at=_parse_time(body["startsAt"], "startsAt"),
        ends_at=_parse_time(body["endsAt"], "endsAt"), created_by=body["createdBy"][:200],
        comment=body["comment"][:10_000], now=now, silence_id=None,
    )
    return silence, silence_id


def _store_silence(state: AppState, body: Any) -> str:
    now = utcnow()
    silence, existing = _silence_from_body(body, now)
    with state.db.transaction() as session:
        return silences.upsert_silence(session, silence, now, existing_id=existing)


@router.post("/api/v2/silences", summary="Create or update a silence (amtool silence add)",
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
                 "type": "object"}}}, "required": True}})
async def post_silence(request: Request) -> Response:
    state = app_state(request)
    who = await _guard(state, request, Role.RESPONDER)
    if isinstance(who, Response):
        return who
    try:
        silence_id = await run_in_threadpool(_store_silence, state, decode(await request.body()))
    except NotFound as exc:
        return _am_error(404, exc.message)
    except InvalidInput as exc:
        return _am_error(400, exc.message)
    return Response(orjson.dumps({"silenceID": silence_id}), media_type="application/json")


def _silence_filter(silence: Silence, matchers: list[Matcher]) -> bool:
    labels = {m.name: m.value for m in silence.matchers if not m.type.is_regex
              and not m.type.is_negative}
    return matches_all(matchers, labels)


@router.get("/api/v2/silences", summary="List silences (amtool silence query)")
async def get_silences(request: Request,
                       filter: Annotated[list[str] | None, Query()] = None) -> Response:
    state = app_state(request)
    who = await _guard(state, request, Role.VIEWER)
    if isinstance(who, Response):
        return who
    try:
        matchers = _matchers_from(filter)
    except (MatcherError, ValueError) as exc:
        return _am_error(400, f"bad matcher format: {exc}")

    def load() -> list[Silence]:
        with state.db.reading() as session:
            return silences.list_silences(session)

    now = utcnow()
    rows = [s.to_api(now) for s in await run_in_threadpool(load)
            if not matchers or _silence_filter(s, matchers)]
    return Response(orjson.dumps(rows), media_type="application/json")


@router.get("/api/v2/silence/{silence_id}", summary="One silence")
async def get_silence(request: Request, silence_id: str) -> Response:
    state = app_state(request)
    who = await _guard(state, request, Role.VIEWER)
    if isinstance(who, Response):
        return who

    def load() -> Silence | None:
        with state.db.reading() as session:
            return silences.get_silence(session, silence_id)

    silence = await run_in_threadpool(load)
    if silence is None:
        return _am_error(404, f"silence {silence_id} not found")
    return Response(orjson.dumps(silence.to_api(utcnow())), media_type="application/json")


@router.delete("/api/v2/silence/{silence_id}", summary="Expire a silence (amtool silence expire)")
async def delete_silence(request: Request, silence_id: str) -> Response:
    state = app_state(request)
    who = await _guard(state, request, Role.RESPONDER)
    if isinstance(who, Response):
        return who

    def expire() -> None:
        with state.db.transaction() as session:
            silences.expire_silence(session, silence_id, utcnow())

    try:
        await run_in_threadpool(expire)
    except NotFound as exc:
        return _am_error(404, exc.message)
    except InvalidInput as exc:
        return _am_error(400, exc.message)
    return Response(status_code=200)


@router.get("/api/v2/status", summary="Alertmanager status (amtool calls it first)")
async def get_status(request: Request) -> Response:
    state = app_state(request)
    who = await _guard(state, request, Role.VIEWER)
    if isinstance(who, Response):
        return who
    routes = ", ".join(rid for rid, _, _ in iter_routes(state.pipeline.routes))
    body = {
        "cluster": {"peers": [], "status": "disabled"},
        "config": {"original": f"# served by warroom {warroom.__version__}\n"
                               f"# routes: {routes}\n"},
        "uptime": _rfc3339(STARTED),
        "versionInfo": {"branch": "warroom", "buildDate": "", "buildUser": "warroom",
                        "goVersion": "none", "revision": warroom.__version__,
                        "version": AM_VERSION},
    }
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/api/v2/receivers", summary="Receivers (warroom's routes)")
async def get_receivers(request: Request) -> Response:
    state = app_state(request)
    who = await _guard(state, request, Role.VIEWER)
    if isinstance(who, Response):
        return who
    names = [{"name": rid} for rid, _, _ in iter_routes(state.pipeline.routes)]
    return Response(orjson.dumps(names), media_type="application/json")


@router.get("/-/healthy", include_in_schema=False)
@router.get("/-/ready", include_in_schema=False)
async def healthy() -> Response:
    return Response("OK", media_type="text/plain")
