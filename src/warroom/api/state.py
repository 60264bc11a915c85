"""What every request handler may reach: settings, configuration, database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from warroom.alerts.context import PipelineConfig
from warroom.auth import service as auth
from warroom.auth.roles import Role
from warroom.auth.service import Principal
from warroom.config import WarroomConfig
from warroom.db import Database
from warroom.incidents.service import SeverityPolicy
from warroom.observability.metrics import Metrics
from warroom.settings import Settings


@dataclass
class AppState:
    settings: Settings
    config: WarroomConfig
    db: Database
    policy: SeverityPolicy
    pipeline: PipelineConfig
    metrics: Metrics


def app_state(request: Request) -> AppState:
    return request.app.state.warroom  # type: ignore[no-any-return]


State = Annotated[AppState, Depends(app_state)]

_bearer = HTTPBearer(auto_error=False, description="an API token: `warroom token create`")


def _principal(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = credentials.credentials if credentials else None
    with state.db.reading() as session:
        return auth.authenticate(session, token)


def requires(role: Role) -> object:
    """A dependency that authenticates the caller and checks their role."""

    def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        principal.require(role)
        return principal

    return Depends(check)


Viewer = Annotated[Principal, requires(Role.VIEWER)]
Responder = Annotated[Principal, requires(Role.RESPONDER)]
Admin = Annotated[Principal, requires(Role.ADMIN)]
