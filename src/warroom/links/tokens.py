"""Link tokens: which incident, which action, for whom; signed and time-limited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from warroom.db.upsert import insert_ignore
from warroom.errors import InvalidInput
from warroom.links.models import AppSecret

ACTIONS = ("acknowledge", "resolve")
DEFAULT_MAX_AGE = 24 * 3600
SALT = "warroom.page-link"


def signing_secret(session: Session, now: datetime, configured: str | None = None) -> str:
    """The configured secret, else the one stored in the database (created on first use)."""
    if configured:
        return configured
    insert_ignore(session, AppSecret, [{"name": "link-signing", "value": secrets.token_hex(32),
                                        "created_at": now}], "name")
    row = session.get(AppSecret, "link-signing")
    assert row is not None
    return row.value


@dataclass(frozen=True)
class LinkClaim:
    incident_id: str
    action: str
    person: str


class LinkSigner:
    def __init__(self, secret: str, max_age: int = DEFAULT_MAX_AGE) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT)
        self.max_age = max_age

    def sign(self, incident_id: str, action: str, person: str) -> str:
        if action not in ACTIONS:
            raise ValueError(f"unknown link action {action!r}")
        return self._serializer.dumps({"i": incident_id, "a": action, "p": person})

    def verify(self, token: str) -> LinkClaim:
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise InvalidInput("this link has expired; open the incident in warroom") from None
        except BadSignature:
            raise InvalidInput("this link is not valid") from None
        if not isinstance(data, dict) or data.get("a") not in ACTIONS:
            raise InvalidInput("this link is not valid")
        return LinkClaim(str(data["i"]), str(data["a"]), str(data.get("p", "")))


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/a/{token}"
