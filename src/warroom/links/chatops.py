"""Acknowledge / resolve from Slack buttons and from an SMS reply through Twilio.

Both endpoints verify the provider's request signature before anything else; the
secrets come from the channel entries in warroom.yaml (`signing_secret_env` on a slack
channel, `auth_token_env` on a twilio channel), resolved from the environment at start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from warroom.api.state import AppState, app_state
from warroom.clock import utcnow
from warroom.errors import WarroomError
from warroom.incidents import service as incidents
from warroom.incidents.lifecycle import Action
from warroom.settings import environment
from warroom.timeline.kinds import Source

router = APIRouter(tags=["chatops"], include_in_schema=False)
MAX_SKEW = 300
SMS_COMMAND = re.compile(r"^\s*(ack|acknowledge|res|resolve)\s+(?:inc-)?(\d{1,12})\s*$", re.I)


def _secret(state: AppState, channel_type: str, field: str,
            environ: Mapping[str, str] | None = None) -> str | None:
    env = environ if environ is not None else environment()
    for channel in state.config.channels:
        if channel.get("type") == channel_type and channel.get(field):
            return env.get(str(channel[field]))
    return None


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def twilio_signature(token: str, url: str, params: Mapping[str, str]) -> str:
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _act(state: AppState, ref: str, action: Action, actor: str, via: str) -> str:
    with state.db.transaction() as session:
        incident = incidents.require_incident(session, ref, for_update=True)
        if action is Action.ACKNOWLEDGE and incident.status != "triggered":
            return f"{incident.reference} is already {incident.status}"
        if action is Action.RESOLVE and incident.status in ("resolved", "closed"):
            return f"{incident.reference} is already {incident.status}"
        incidents.act(session, incident, action, actor=actor, now=utcnow(),
                      note=f"from {via}", source=Source.HUMAN)
        return f"{incident.reference} {incident.status}"


def _person_by(state: AppState, key: str, value: str) -> str | None:
    for person in state.config.people:
        if key == "slack" and person.chat.get("slack") == value:
            return person.id
        if key == "phone" and person.phone == value:
            return person.id
    return None


@router.post("/api/v1/chatops/slack/actions")
async def slack_actions(request: Request) -> Response:
    state = app_state(request)
    body = await request.body()
    secret = _secret(state, "slack", "signing_secret_env")
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    if not secret:
        return JSONResponse({"detail": "no slack signing secret configured"}, 404)
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SKEW:
        return JSONResponse({"detail": "stale or missing request timestamp"}, 401)
    if not hmac.compare_digest(slack_signature(secret, timestamp, body), signature):
        return JSONResponse({"detail": "bad signature"}, 401)
    try:
        payload = json.loads(dict(parse_qsl(body.decode())).get("payload", ""))
        action = payload["actions"][0]
        verb, ref = Action(action["action_id"]), str(action["value"])
        user = str(payload.get("user", {}).get("id", ""))
    except (ValueError, KeyError, IndexError, TypeError):
        return JSONResponse({"detail": "not a block action payload"}, 400)
    if verb not in (Action.ACKNOWLEDGE, Action.RESOLVE):
        return JSONResponse({"detail": f"unsupported action {verb.value}"}, 400)
    actor = _person_by(state, "slack", user) or f"slack:{user}"
    try:
        text = await run_in_threadpool(_act, state, ref, verb, actor, "Slack")
    except WarroomError as exc:
        return JSONResponse({"response_type": "ephemeral", "text": exc.message})
    return JSONResponse({"response_type": "in_channel", "replace_original": False,
                         "text": f"{text} by <@{user}>"})


def _twiml(message: str) -> Response:
    return Response(f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>"
                    f"{html.escape(message)}</Message></Response>", media_type="text/xml")


@router.post("/api/v1/chatops/twilio/sms")
async def twilio_sms(request: Request) -> Response:
    state = app_state(request)
    token = _secret(state, "twilio", "auth_token_env")
    if not token:
        return JSONResponse({"detail": "no twilio auth token configured"}, 404)
    params = dict(parse_qsl((await request.body()).decode()))
    base = (state.settings.public_url or state.settings.listen_url).rstrip("/")
    expected = twilio_signature(token, f"{base}{request.url.path}", params)
    if not hmac.compare_digest(expected, request.headers.get("x-twilio-signature", "")):
        return JSONResponse({"detail": "bad signature"}, 401)
    sender = params.get("From", "")
    match = SMS_COMMAND.match(params.get("Body", ""))
    if match is None:
        return _twiml("Reply ACK <number> or RESOLVE <number>, e.g. ACK 42")
    person = _person_by(state, "phone", sender)
    if person is None:
        return _twiml("This number is not on any warroom roster")
    verb = Action.ACKNOWLEDGE if match.group(1).lower().startswith("ack") else Action.RESOLVE
    try:
        text = await run_in_threadpool(_act, state, match.group(2), verb, person, "SMS")
    except WarroomError as exc:
        return _twiml(exc.message)
    return _twiml(text)
