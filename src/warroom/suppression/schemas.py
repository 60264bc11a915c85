"""I/O shapes of warroom's own silences API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from warroom.textfields import LongText, Name, ShortText


class SilenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    matchers: Annotated[list[ShortText], Field(min_length=1, max_length=50,
                                               description='e.g. ["alertname=X", "job=~\\"a|b\\""]')]
    starts_at: datetime | None = Field(default=None, description="default: now")
    ends_at: datetime | None = Field(default=None, description="give this or `duration`")
    duration: ShortText | None = Field(default=None, description="e.g. 2h; from starts_at")
    created_by: Name | None = Field(default=None, description="default: the caller")
    comment: Annotated[LongText, Field(min_length=1)]


class SilenceOut(BaseModel):
    id: str
    state: str
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    updated_at: datetime


class MaintenanceOut(BaseModel):
    id: str
    active: bool
    current_start: datetime | None
    current_end: datetime | None
    next_start: datetime | None
    services: list[str]
    timezone: str
