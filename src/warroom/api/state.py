"""What every request handler may reach: settings, configuration, database."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from warroom.alerts.context import PipelineConfig
from warroom.alerts.writer import AlertWriter
from warroom.auth import service as auth
from warroom.auth.roles import Role
from warroom.auth.service import Principal
from warroom.clock import utcnow
from warroom.config import WarroomConfig
from warroom.db import Database
from warroom.errors import PermissionDenied, Unauthenticated
from warroom.escalation.service import EscalationSetup
from warroom.incidents.service import SeverityPolicy
from warroom.integrations.keys import KeyCache
from warroom.observability.metrics import Metrics
from warroom.settings import Settings
from warroom.users import service as users


@dataclass
class AppState:
    settings: Settings
    config: WarroomConfig
    db: Database
    policy: SeverityPolicy
    pipeline: PipelineConfig
    metrics: Metrics
    escalation: EscalationSetup
    writer: AlertWriter
    integration_keys: KeyCache


def app_state(request: Request) -> AppState:
    return request.app.state.warroom  # type: ignore[no-any-return]


State = Annotated[AppState, Depends(app_state)]

_bearer = HTTPBearer(auto_error=False, description="an API token: `warroom token create`")


SESSION_COOKIE = "warroom_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _principal(
    state: State,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """An API token (scripts), else a signed-in user's session cookie (the console).

    Cookie-authenticated writes must echo the session's CSRF token in `X-CSRF-Token`
    (or a `csrf_token` form field), so another site cannot act through the browser.
    """
    token = credentials.credentials if credentials else None
    cookie = request.cookies.get(SESSION_COOKIE)
    with state.db.reading() as session:
        if token or not cookie:
            return auth.authenticate(session, token)
        found = users.session_user(session, cookie, utcnow())
        if found is None:
            raise Unauthenticated("your session has expired; sign in again")
        user, user_session = found
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent, user_session.csrf_token):
                raise PermissionDenied("missing or wrong CSRF token")
        return Principal(name=user.email, role=Role(user.role))


def requires(role: Role) -> object:
    """A dependency that authenticates the caller and checks their role."""

    def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        principal.require(role)
        return principal

    return Depends(check)


Viewer = Annotated[Principal, requires(Role.VIEWER)]
Responder = Annotated[Principal, requires(Role.RESPONDER)]
Admin = Annotated[Principal, requires(Role.ADMIN)]
