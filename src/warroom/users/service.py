"""Account and session use cases. Callers own the transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from warroom.auth.roles import Role
from warroom.auth.tokens import hash_token
from warroom.errors import Conflict, InvalidInput, Unauthenticated
from warroom.users.models import User, UserSession

SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 10
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this keeps a login for an unknown email as slow as a wrong
    password. Not made on import (~130 ms, which every CLI command paid) but by
    `prepare_sign_in` when a server starts, so no sign-in pays for making it."""
    return _hasher.hash("warroom-timing-equaliser")


def prepare_sign_in() -> None:
    """Make the timing equaliser now (server start-up), not during the first sign-in,
    which would then be slower for an unknown email than for a wrong password."""
    _dummy_hash()


def create_user(session: Session, email: str, role: str, password: str, now: datetime) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise InvalidInput(f"{email!r} is not an email address")
    try:
        parsed = Role(role)
    except ValueError:
        raise InvalidInput(f"unknown role {role!r}; valid: viewer, responder, admin") from None
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD} characters")
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise Conflict(f"a user {email!r} already exists")
    user = User(email=email, role=parsed.value, password_hash=_hasher.hash(password),
                created_at=now)
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str  # the cookie value; only its hash is stored
    csrf_token: str
    expires_at: datetime


def sign_in(session: Session, email: str, password: str, now: datetime) -> SignedIn:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or user.disabled_at is not None:
        raise Unauthenticated("wrong email or password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + SESSION_LIFETIME
    session.add(UserSession(token_hash=hash_token(token), user_id=user.id, csrf_token=csrf,
                            created_at=now, expires_at=expires))
    session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    session.flush()
    return SignedIn(user, token, csrf, expires)


def session_user(session: Session, token: str | None, now: datetime
                 ) -> tuple[User, UserSession] | None:
    if not token:
        return None
    row = session.get(UserSession, hash_token(token))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    return user, row


def sign_out(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(UserSession).where(UserSession.token_hash == hash_token(token)))


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0
