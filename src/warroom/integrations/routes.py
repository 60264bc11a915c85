"""Integration administration over HTTP (admins only); keys are shown once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from warroom.api.problems import problems
from warroom.api.state import Admin, State
from warroom.clock import utcnow
from warroom.integrations import service
from warroom.integrations.models import Integration
from warroom.textfields import Name

router = APIRouter(prefix="/api/v1", tags=["integrations"])


class IntegrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    format: Literal["alertmanager", "pagerduty", "grafana", "opsgenie", "generic"]
    service: Name | None = None
    options: dict[str, Any] = {}


class IntegrationOut(BaseModel):
    id: uuid.UUID
    name: str
    format: str
    service: str | None
    key_prefix: str
    declared_in: str
    created_at: datetime
    disabled_at: datetime | None


class IntegrationCreated(IntegrationOut):
    key: str


def _out(row: Integration) -> IntegrationOut:
    return IntegrationOut(id=row.id, name=row.name, format=row.format, service=row.service,
                          key_prefix=row.key_prefix, declared_in=row.declared_in,
                          created_at=row.created_at, disabled_at=row.disabled_at)


@router.get("/integrations", response_model=list[IntegrationOut], responses=problems())
def list_integrations(state: State, _who: Admin) -> list[IntegrationOut]:
    with state.db.reading() as session:
        return [_out(r) for r in service.list_integrations(session)]


@router.post("/integrations", status_code=201, response_model=IntegrationCreated,
             responses=problems(409))
def create_integration(state: State, _who: Admin, body: IntegrationIn) -> IntegrationCreated:
    with state.db.transaction() as session:
        row, key = service.create_integration(
            session, name=body.name, format=body.format, service=body.service,
            options=body.options, now=utcnow())
        return IntegrationCreated(**_out(row).model_dump(), key=key)


@router.delete("/integrations/{name}", response_model=IntegrationOut, responses=problems(404))
def disable_integration(state: State, _who: Admin, name: Name) -> IntegrationOut:
    """Disable (keys stop working at once here, within seconds on other processes);
    alerts it sent stay."""
    with state.db.transaction() as session:
        row = service.require_integration(session, name)
        row.disabled_at = row.disabled_at or utcnow()
        out = _out(row)
    state.integration_keys.forget()
    return out
