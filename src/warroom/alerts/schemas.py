"""Output shapes of warroom's own alert API (the Alertmanager API keeps its own shapes)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AlertOut(BaseModel):
    fingerprint: str
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    summary: str
    severity_hint: str | None
    dedup_key: str | None
    source_format: str
    service: str | None
    route_id: str | None
    group_key: str | None
    suppressed: dict[str, Any]
    incident_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    receive_count: int
    generator_url: str | None


class AlertPage(BaseModel):
    items: list[AlertOut]
    total: int
    limit: int
    offset: int
