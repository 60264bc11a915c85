"""Opsgenie Alert API: create (``POST /v2/alerts``), close and acknowledge.

Close / acknowledge arrive as ``POST /v2/alerts/{alias}/close?identifierType=alias``;
the HTTP layer passes ``options={"action": "close", "alias": ...}``, or the body says
``{"action": "close", "alias": ...}``.  Only alias identifiers are supported: Opsgenie's
own alert ids and tiny ids mean nothing to us.  Other options: ``new_key`` (callable
giving an alias to a create without one), ``dedup_scope``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from warroom.alerts.fingerprint import dedup_fingerprint
from warroom.alerts.formats._fields import dedup_scope as _dedup_scope
from warroom.alerts.formats._fields import json_type, new_dedup_key, require_aware
from warroom.alerts.formats.base import FormatError, ParseResult, Problem
from warroom.alerts.model import ActionKind, AlertAction, AlertStatus, make_alert

__all__ = ["OpsgenieFormat", "opsgenie_accept_body", "opsgenie_error_body"]

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
DEFAULT_PRIORITY = "P3"
_LIMITS = {"message": 130, "alias": 512, "description": 15000, "entity": 512, "source": 100,
           "user": 100, "note": 25000}
_ACTIONS = {"close": ActionKind.RESOLVE, "acknowledge": ActionKind.ACKNOWLEDGE}


def opsgenie_accept_body(request_id: str, took: float = 0.0) -> dict[str, Any]:
    """Opsgenie's 202 body; the request id is the caller's to generate."""
    return {"result": "Request will be processed", "took": took, "requestId": request_id}


def opsgenie_error_body(error: FormatError, request_id: str, took: float = 0.0) -> dict[str, Any]:
    """Opsgenie's 422 body: ``errors`` maps each field to its problem."""
    return {
        "message": "Request body is not valid",
        "errors": {p.field or "body": p.message for p in error.problems},
        "took": took,
        "requestId": request_id,
    }


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))

    def text(self, body: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
        value = body.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(key, f"'{key}' can not be empty")
            return None
        if not isinstance(value, str):
            self.add(key, f"'{key}' must be a string, got {json_type(value)}")
            return None
        limit = _LIMITS.get(key)
        if limit is not None and len(value) > limit:
            self.add(key, f"'{key}' is too long ({len(value)} characters, limit is {limit})")
            return None
        return value

    def strings(self, body: Mapping[str, Any], key: str, limit: int) -> list[str]:
        value = body.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(key, f"'{key}' must be an array of strings")
            return []
        if len(value) > limit:
            self.add(key, f"'{key}' has {len(value)} entries, limit is {limit}")
        return list(value)

    def details(self, body: Mapping[str, Any]) -> dict[str, str]:
        value = body.get("details")
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            self.add("details", "'details' must be an object of string values")
            return {}
        return dict(value)


class OpsgenieFormat:
    """One Opsgenie alert request (create, close or acknowledge)."""

    slug: str = "opsgenie"

    def parse(
        self,
        payload: object,
        *,
        now: datetime,
        options: Mapping[str, Any] | None = None,
    ) -> ParseResult:
        """Parse one request; any invalid field raises FormatError listing every problem."""
        now = require_aware(now)
        opts = options or {}
        if not isinstance(payload, dict):
            raise FormatError(
                f"body must be a JSON object (Opsgenie alert request), got {json_type(payload)}"
            )
        scope = _dedup_scope(opts, self.slug)
        action = opts.get("action", payload.get("action", "create"))
        if isinstance(action, str) and action in _ACTIONS:
            return self._action(payload, opts, _ACTIONS[action], scope)
        if action != "create":
            raise FormatError(
                f"'action' must be one of create, close, acknowledge; got {str(action)[:40]!r}",
                field="action",
            )
        check = _Checker()
        message = check.text(payload, "message", required=True)
        alias = check.text(payload, "alias")
        description = check.text(payload, "description")
        entity = check.text(payload, "entity")
        source = check.text(payload, "source")
        check.text(payload, "user")
        check.text(payload, "note")
        priority = payload.get("priority", DEFAULT_PRIORITY)
        if priority not in PRIORITIES:
            check.add("priority", "'priority' must be one of P1, P2, P3, P4, P5")
        tags = check.strings(payload, "tags", 20)
        check.strings(payload, "actions", 10)
        details = check.details(payload)
        responders = payload.get("responders")
        if responders is not None and not (
            isinstance(responders, list) and all(isinstance(r, dict) for r in responders)
        ):
            check.add("responders", "'responders' must be an array of objects")
        if check.problems:
            raise FormatError.of(check.problems)
        assert message is not None and isinstance(priority, str)
        if alias is None:
            alias = new_dedup_key(opts, payload, now)
        labels = {"priority": priority}
        if entity:
            labels["entity"] = entity
        if source:
            labels["source"] = source
        if tags:
            labels["tags"] = ",".join(tags)
        annotations = {"summary": message}
        if description:
            annotations["description"] = description
        annotations.update({f"details.{k}": v for k, v in details.items()})
        alert = make_alert(
            labels=labels,
            annotations=annotations,
            fingerprint=dedup_fingerprint(scope, alias),
            status=AlertStatus.FIRING,
            starts_at=now,
            ends_at=None,
            generator_url=None,
            source_format=self.slug,
            dedup_key=alias,
            summary=message,
            severity_hint=priority,
            raw=payload,
        )
        return ParseResult(alerts=[alert])

    def _action(
        self, body: dict[str, Any], opts: Mapping[str, Any], kind: ActionKind, scope: str
    ) -> ParseResult:
        identifier_type = opts.get("identifier_type", body.get("identifierType", "alias"))
        if identifier_type != "alias":
            raise FormatError(
                "'identifierType' must be 'alias': alert ids and tiny ids are not supported",
                field="identifierType",
            )
        alias = opts.get("alias", body.get("alias"))
        if not isinstance(alias, str) or not alias.strip():
            raise FormatError("'alias' is required to close or acknowledge an alert", field="alias")
        if len(alias) > _LIMITS["alias"]:
            raise FormatError(f"'alias' is too long (limit is {_LIMITS['alias']})", field="alias")
        act = AlertAction(
            kind=kind,
            dedup_key=alias,
            fingerprint=dedup_fingerprint(scope, alias),
            source_format=self.slug,
            raw=body,
        )
        return ParseResult(actions=[act])
