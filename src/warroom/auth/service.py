"""Token use cases. Callers own the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.auth.models import ApiToken
from warroom.auth.roles import Role
from warroom.auth.tokens import hash_token, new_token
from warroom.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    name: str
    role: Role

    @property
    def actor(self) -> str:
        return self.name

    def require(self, needed: Role) -> None:
        if not self.role.allows(needed):
            raise PermissionDenied(
                f"{self.role.value} token {self.name!r} may not do this; needs {needed.value}"
            )


def create_token(session: Session, name: str, role: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token row and the plaintext token, which is never stored and shown once."""
    name = name.strip()
    if not name:
        raise InvalidInput("token name must not be empty")
    try:
        parsed = Role(role)
    except ValueError:
        raise InvalidInput(
            f"unknown role {role!r}; valid: {', '.join(r.value for r in Role)}"
        ) from None
    if session.scalar(select(ApiToken).where(ApiToken.name == name)) is not None:
        raise Conflict(f"a token named {name!r} already exists")
    plaintext = new_token()
    row = ApiToken(
        name=name, role=parsed.value, token_hash=hash_token(plaintext),
        prefix=plaintext[:8], created_at=now,
    )
    session.add(row)
    session.flush()
    return row, plaintext


def authenticate(session: Session, token: str | None) -> Principal:
    if not token:
        raise Unauthenticated("missing API token; send 'Authorization: Bearer <token>'")
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("invalid or revoked API token")
    return Principal(name=row.name, role=Role(row.role))


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at)))


def revoke_token(session: Session, name: str, now: datetime) -> ApiToken:
    row = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if row is None:
        raise NotFound(f"no token named {name!r}")
    row.revoked_at = now
    return row


def count_active(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))
    ) or 0
