"""Integration use cases: create with a key shown once, authenticate senders by key."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.auth.tokens import hash_token
from warroom.config.schema import IntegrationConfig
from warroom.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from warroom.integrations.models import Integration

FORMATS = ("alertmanager", "pagerduty", "grafana", "opsgenie", "generic")


def new_key() -> str:
    # 32 hex characters: the length PagerDuty clients expect of a routing key.
    return secrets.token_hex(16)


def create_integration(
    session: Session, *, name: str, format: str, now: datetime, service: str | None = None,
    options: Mapping[str, Any] | None = None, key: str | None = None,
    declared_in: str = "api",
) -> tuple[Integration, str]:
    """A new integration and its plaintext key (never stored)."""
    if format not in FORMATS:
        raise InvalidInput(f"unknown format {format!r}; valid: {', '.join(FORMATS)}")
    if session.scalar(select(Integration).where(Integration.name == name)) is not None:
        raise Conflict(f"an integration named {name!r} already exists")
    if format == "generic":
        from warroom.alerts.formats.generic import GenericMapping

        GenericMapping.model_validate((options or {}).get("mapping", {}))
    plaintext = key or new_key()
    row = Integration(
        name=name, format=format, service=service, key_hash=hash_token(plaintext),
        key_prefix=plaintext[:6], options=dict(options or {}), declared_in=declared_in,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row, plaintext


def sync_declared(session: Session, declared: list[IntegrationConfig],
                  environ: Mapping[str, str], now: datetime) -> list[str]:
    """Make integrations declared in warroom.yaml exist with the key from their env var.

    Returns a warning per integration whose variable is unset (it is then left disabled).
    """
    warnings = []
    for item in declared:
        key = environ.get(item.key_env)
        row = session.scalar(select(Integration).where(Integration.name == item.name))
        if not key:
            warnings.append(f"integration {item.name!r}: ${item.key_env} is not set; disabled")
            if row is not None:
                row.disabled_at = row.disabled_at or now
            continue
        if row is None:
            create_integration(session, name=item.name, format=item.format, now=now,
                               service=item.service, options=item.options, key=key,
                               declared_in="config")
            continue
        row.format, row.service, row.options = item.format, item.service, dict(item.options)
        row.key_hash, row.key_prefix, row.disabled_at = hash_token(key), key[:6], None
    session.flush()
    return warnings


def list_integrations(session: Session) -> list[Integration]:
    return list(session.scalars(select(Integration).order_by(Integration.name)))


def require_integration(session: Session, name: str) -> Integration:
    row = session.scalar(select(Integration).where(Integration.name == name))
    if row is None:
        raise NotFound(f"no integration {name!r}")
    return row


def by_key(session: Session, key: str | None) -> Integration | None:
    if not key:
        return None
    row = session.scalar(select(Integration).where(Integration.key_hash == hash_token(key)))
    if row is None or row.disabled_at is not None:
        return None
    return row


def key_from_headers(headers: Mapping[str, str]) -> str | None:
    """The integration key from `Authorization: Bearer|Basic|GenieKey …`."""
    value = headers.get("authorization", "")
    scheme, _, credential = value.partition(" ")
    scheme, credential = scheme.lower(), credential.strip()
    if scheme in ("bearer", "geniekey"):
        return credential or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credential, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


UNKNOWN_KEY = ("missing or unknown integration key; send it as a Bearer token, a basic-auth "
               "password or (PagerDuty) the routing_key")


def authenticate(session: Session, key: str | None, *, expected_format: str | None = None,
                 ) -> Integration:
    row = by_key(session, key)
    if row is None:
        raise Unauthenticated(UNKNOWN_KEY)
    if expected_format and row.format != expected_format:
        raise InvalidInput(
            f"integration {row.name!r} has format {row.format!r}, not {expected_format!r}")
    return row
