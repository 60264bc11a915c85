"""I/O shapes of the token API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from warroom.auth.roles import Role
from warroom.textfields import Name


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    role: Role


class TokenOut(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str
