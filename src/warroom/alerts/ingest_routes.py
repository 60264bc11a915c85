"""Webhook-style ingest endpoints: Alertmanager webhook, Grafana, Opsgenie, generic JSON,
and the PagerDuty Events API v2 (`/v2/enqueue`, `/v2/change/enqueue`)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from warroom.alerts.formats.base import FormatError
from warroom.alerts.formats.opsgenie import opsgenie_accept_body, opsgenie_error_body
from warroom.alerts.formats.pagerduty import (
    pagerduty_accept_body,
    pagerduty_change_accept_body,
    pagerduty_error_body,
)
from warroom.alerts.receive import BodyError, Received, decode, outcome_body, receive
from warroom.alerts.writer import Overloaded
from warroom.api.state import app_state
from warroom.errors import InvalidInput, Unauthenticated
from warroom.integrations import service as integrations

router = APIRouter(tags=["ingest"])

JSON_BODY = {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}},
                             "required": True}}
ANSWERS = {200: {"description": "stored; counts and the incidents touched"},
           400: {"description": "invalid body; valid alerts of a batch are still stored"},
           401: {"description": "missing or unknown integration key"},
           413: {"description": "body too large"},
           429: {"description": "too many alerts waiting to be stored; retry after "
                                "`Retry-After` seconds (nothing of the request was stored)"}}
THROTTLED = {429: ANSWERS[429]}


def _json(body: Any, status: int = 200) -> Response:
    headers = {"Retry-After": str(Overloaded.retry_after_seconds)} if status == 429 else None
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers=headers)


def _overloaded(exc: Overloaded) -> str:
    return f"too many alerts waiting to be stored ({exc}); retry later"


async def _webhook(request: Request, *, slug: str, expected: str,
                   options: dict[str, Any] | None = None) -> Response:
    state = app_state(request)
    key = integrations.key_from_headers(request.headers)
    try:
        payload = decode(await request.body())
        received = await run_in_threadpool(receive, state, key=key, slug=slug, payload=payload,
                                           expected_format=expected, options=options)
    except Unauthenticated as exc:
        return _json({"detail": exc.message, "error": "unauthenticated"}, 401)
    except BodyError as exc:
        return _json({"detail": exc.message, "error": "invalid_body", "errors": exc.problems},
                     400)
    except InvalidInput as exc:
        return _json({"detail": exc.message, "error": "invalid_input"}, 400)
    except Overloaded as exc:
        return _json({"detail": _overloaded(exc), "error": "overloaded"}, 429)
    body = outcome_body(received)
    if received.errors:  # best-effort: valid alerts are stored; say what was skipped
        return _json({"detail": f"{len(received.errors)} problem(s) in the body; "
                      f"{received.outcome.received} valid alert(s) stored", **body}, 400)
    return _json(body)


@router.post("/api/v1/ingest/alertmanager", openapi_extra=JSON_BODY, responses=ANSWERS,
             summary="Alertmanager webhook receiver (payload version 4)")
async def ingest_alertmanager_webhook(request: Request) -> Response:
    return await _webhook(request, slug="alertmanager_webhook", expected="alertmanager")


@router.post("/api/v1/ingest/grafana", openapi_extra=JSON_BODY, responses=ANSWERS,
             summary="Grafana unified alerting webhook contact point")
async def ingest_grafana(request: Request) -> Response:
    return await _webhook(request, slug="grafana", expected="grafana")


@router.post("/api/v1/ingest/generic", openapi_extra=JSON_BODY, responses=ANSWERS,
             summary="Any JSON, mapped by the integration's configured field mapping")
async def ingest_generic(request: Request) -> Response:
    return await _webhook(request, slug="generic", expected="generic")


async def _opsgenie(request: Request, options: dict[str, Any] | None) -> Response:
    started = time.monotonic()
    request_id = str(uuid.uuid4())
    state = app_state(request)
    key = integrations.key_from_headers(request.headers)
    try:
        body = await request.body()
        payload = decode(body) if body.strip() or options is None else {}
        await run_in_threadpool(receive, state, key=key, slug="opsgenie", payload=payload,
                                expected_format="opsgenie", options=options)
    except Unauthenticated as exc:
        return _json({"message": exc.message, "took": 0.0, "requestId": request_id}, 401)
    except BodyError as exc:
        error = FormatError(exc.message)
        return _json(opsgenie_error_body(error, request_id, time.monotonic() - started), 422)
    except InvalidInput as exc:
        return _json({"message": exc.message, "took": 0.0, "requestId": request_id}, 422)
    except Overloaded as exc:
        return _json({"message": _overloaded(exc), "took": 0.0, "requestId": request_id}, 429)
    return _json(opsgenie_accept_body(request_id, round(time.monotonic() - started, 3)), 202)


@router.post("/api/v1/ingest/opsgenie", openapi_extra=JSON_BODY, status_code=202,
             responses=THROTTLED,
             summary="Opsgenie create-alert request (`Authorization: GenieKey <key>`)")
async def ingest_opsgenie(request: Request) -> Response:
    return await _opsgenie(request, None)


def _identifier_type(request: Request) -> str:
    # Opsgenie clients say how to read the path segment in `?identifierType=` (id, tiny
    # or alias; Opsgenie's default is id). Only aliases mean anything here, and the
    # format refuses the others rather than treating an alert id as an alias.
    return request.query_params.get("identifierType", "alias")


@router.post("/api/v1/ingest/opsgenie/alerts/{alias}/close", status_code=202, responses=THROTTLED,
             summary="Opsgenie close-alert request, by alias (`?identifierType=alias`)")
async def ingest_opsgenie_close(request: Request, alias: str) -> Response:
    return await _opsgenie(request, {"action": "close", "alias": alias,
                                     "identifier_type": _identifier_type(request)})


@router.post("/api/v1/ingest/opsgenie/alerts/{alias}/acknowledge", status_code=202,
             responses=THROTTLED,
             summary="Opsgenie acknowledge-alert request, by alias (`?identifierType=alias`)")
async def ingest_opsgenie_ack(request: Request, alias: str) -> Response:
    return await _opsgenie(request, {"action": "acknowledge", "alias": alias,
                                     "identifier_type": _identifier_type(request)})


def _pd_key(payload: Any, request: Request) -> str | None:
    if isinstance(payload, dict) and isinstance(payload.get("routing_key"), str):
        return str(payload["routing_key"])
    return integrations.key_from_headers(request.headers)


async def _pagerduty(request: Request, *, change: bool) -> Response:
    state = app_state(request)
    try:
        payload = decode(await request.body())
    except BodyError as exc:
        return _json(pagerduty_error_body([exc.message]), 400)
    options = {"change": change, "new_key": lambda: uuid.uuid4().hex}
    try:
        received: Received = await run_in_threadpool(
            receive, state, key=_pd_key(payload, request), slug="pagerduty", payload=payload,
            expected_format="pagerduty", options=options)
    except Unauthenticated:
        return _json(pagerduty_error_body(["Invalid routing key"]), 400)
    except BodyError as exc:
        return _json(pagerduty_error_body(exc.problems), 400)
    except InvalidInput as exc:
        return _json(pagerduty_error_body([exc.message]), 400)
    except Overloaded as exc:  # PagerDuty's clients retry a 429 with backoff
        return _json({"status": "throttle event", "message": "Too many events; retry later",
                      "errors": [_overloaded(exc)]}, 429)
    if change:
        return _json(pagerduty_change_accept_body(), 202)
    keys = received.outcome.dedup_keys or [""]
    return _json(pagerduty_accept_body(keys[0]), 202)


@router.post("/v2/enqueue", openapi_extra=JSON_BODY, status_code=202, responses=THROTTLED,
             summary="PagerDuty Events API v2: trigger / acknowledge / resolve")
async def pagerduty_enqueue(request: Request) -> Response:
    return await _pagerduty(request, change=False)


@router.post("/v2/change/enqueue", openapi_extra=JSON_BODY, status_code=202, responses=THROTTLED,
             summary="PagerDuty change events: land on timelines of the service's incidents")
async def pagerduty_change(request: Request) -> Response:
    return await _pagerduty(request, change=True)
