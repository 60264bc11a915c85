"""PagerDuty Events API v2: ``/v2/enqueue`` alert events and ``/v2/change/enqueue`` changes.

A body is one event, so any problem makes the whole body invalid: ``parse`` raises a
FormatError whose ``messages`` are PagerDuty-worded and go straight into
``pagerduty_error_body``.  Options: ``change`` (bool, the body came to
``/v2/change/enqueue``), ``strict_routing_key`` (require PagerDuty's 32 characters),
``new_key`` (callable making a dedup key for a trigger without one), ``dedup_scope``
(PagerDuty keys are unique per routing key: pass the integration id).
The routing key is a credential: it goes to ``meta['routing_key']`` for the service to
authenticate, and is redacted in ``raw``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from warroom.alerts.fingerprint import dedup_fingerprint
from warroom.alerts.formats._fields import (
    FieldError,
    new_dedup_key,
    parse_timestamp,
    require_aware,
    stringify,
)
from warroom.alerts.formats._fields import dedup_scope as _dedup_scope
from warroom.alerts.formats.base import FormatError, ParseResult, Problem
from warroom.alerts.model import (
    ActionKind,
    AlertAction,
    AlertStatus,
    ChangeEvent,
    make_alert,
)

__all__ = [
    "EVENT_ACTIONS",
    "SEVERITIES",
    "PagerDutyFormat",
    "pagerduty_accept_body",
    "pagerduty_change_accept_body",
    "pagerduty_error_body",
]

EVENT_ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
ROUTING_KEY_LENGTH = 32
REDACTED = "[redacted]"


def pagerduty_error_body(errors: Sequence[str]) -> dict[str, Any]:
    """PagerDuty's 400 body for an invalid event."""
    return {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)}


def pagerduty_accept_body(dedup_key: str) -> dict[str, Any]:
    """PagerDuty's 202 body for ``/v2/enqueue``; clients require the ``dedup_key``."""
    return {"status": "success", "message": "Event processed", "dedup_key": dedup_key}


def pagerduty_change_accept_body() -> dict[str, Any]:
    """Our 202 body for ``/v2/change/enqueue``."""
    return {"status": "success", "message": "Change event processed"}


class _Checker:
    """Collects PagerDuty-worded problems so one 400 can list them all, as PagerDuty does."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))

    def text(
        self,
        obj: Mapping[str, Any],
        key: str,
        field: str,
        *,
        required: bool,
        max_len: int | None = None,
    ) -> str | None:
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(field, f"'{field}' is missing or blank")
            return None
        if not isinstance(value, str):
            self.add(field, f"'{field}' is invalid (must be a string)")
            return None
        if max_len is not None and len(value) > max_len:
            limit = f"must be {max_len} characters or less"
            self.add(field, f"Length of '{field}' is incorrect ({limit})")
            return None
        return value

    def timestamp(self, obj: Mapping[str, Any], field: str) -> datetime | None:
        try:
            return parse_timestamp(obj.get("timestamp"), field)
        except FieldError:
            self.add(field, f"'{field}' is invalid (must be an ISO 8601 timestamp)")
            return None

    def links(self, body: Mapping[str, Any]) -> list[dict[str, str]]:
        return self._objects(body, "links", ("href", "text"), required="href")

    def images(self, body: Mapping[str, Any]) -> list[dict[str, str]]:
        images = self._objects(body, "images", ("src", "href", "alt"), required="src")
        for i, image in enumerate(images):
            if not image["src"].lower().startswith("https://"):
                self.add(f"images[{i}].src", f"'images[{i}].src' is invalid (must be an HTTPS URL)")
        return images

    def _objects(
        self, body: Mapping[str, Any], key: str, fields: tuple[str, ...], *, required: str
    ) -> list[dict[str, str]]:
        value = body.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(key, f"'{key}' is invalid (must be an array)")
            return []
        out: list[dict[str, str]] = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.add(f"{key}[{i}]", f"'{key}[{i}]' is invalid (must be an object)")
                continue
            entry = {}
            for name in fields:
                text = self.text(item, name, f"{key}[{i}].{name}", required=name == required)
                if text is not None:
                    entry[name] = text
            if required in entry:
                out.append(entry)
        return out

    def raise_if_any(self) -> None:
        if self.problems:
            raise FormatError.of(self.problems)


def _redacted(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "routing_key": REDACTED} if "routing_key" in body else dict(body)


class PagerDutyFormat:
    """One PagerDuty Events v2 event (alert or change)."""

    slug: str = "pagerduty"

    def parse(
        self,
        payload: object,
        *,
        now: datetime,
        options: Mapping[str, Any] | None = None,
    ) -> ParseResult:
        """Parse one event; any invalid field raises FormatError with every problem found."""
        now = require_aware(now)
        opts = options or {}
        if not isinstance(payload, dict):
            raise FormatError("Event object is invalid (body must be a JSON object)")
        check = _Checker()
        routing_key = check.text(payload, "routing_key", "routing_key", required=True)
        strict = bool(opts.get("strict_routing_key"))
        if routing_key is not None and strict and len(routing_key) != ROUTING_KEY_LENGTH:
            check.add(
                "routing_key", "Length of 'routing_key' is incorrect (should be 32 characters)"
            )
        meta: dict[str, Any] = {"routing_key": routing_key} if routing_key else {}
        if opts.get("change"):
            return self._change(payload, now, check, meta)
        action = payload.get("event_action")
        if action is None or action == "":
            check.add("event_action", "'event_action' is missing or blank")
        elif action not in EVENT_ACTIONS:
            check.add(
                "event_action",
                "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)",
            )
        dedup_key = check.text(
            payload, "dedup_key", "dedup_key", required=action in ("acknowledge", "resolve"),
            max_len=MAX_DEDUP_KEY,
        )
        scope = _dedup_scope(opts, self.slug)
        if action != "trigger":
            check.raise_if_any()
            assert dedup_key is not None  # required above for acknowledge / resolve
            kind = ActionKind.ACKNOWLEDGE if action == "acknowledge" else ActionKind.RESOLVE
            act = AlertAction(
                kind=kind,
                dedup_key=dedup_key,
                fingerprint=dedup_fingerprint(scope, dedup_key),
                source_format=self.slug,
                raw=_redacted(payload),
            )
            return ParseResult(actions=[act], meta=meta)
        return self._trigger(payload, now, opts, check, meta, dedup_key, scope)

    def _trigger(
        self,
        body: dict[str, Any],
        now: datetime,
        opts: Mapping[str, Any],
        check: _Checker,
        meta: dict[str, Any],
        dedup_key: str | None,
        scope: str,
    ) -> ParseResult:
        event = body.get("payload")
        if not isinstance(event, dict):
            check.add("payload", "'payload' is missing or invalid (must be an object)")
            event = {}
        summary = check.text(
            event, "summary", "payload.summary", required=True, max_len=MAX_SUMMARY
        )
        source = check.text(event, "source", "payload.source", required=True)
        severity = event.get("severity")
        if severity is None or severity == "":
            check.add("payload.severity", "'payload.severity' is missing or blank")
        elif severity not in SEVERITIES:
            check.add(
                "payload.severity",
                "'payload.severity' is invalid (must be one of: critical, error, warning, info)",
            )
        timestamp = check.timestamp(event, "payload.timestamp")
        extras = {
            k: check.text(event, k, f"payload.{k}", required=False)
            for k in ("component", "group", "class")
        }
        client = check.text(body, "client", "client", required=False)
        client_url = check.text(body, "client_url", "client_url", required=False)
        check.images(body)
        check.links(body)
        check.raise_if_any()
        assert summary is not None and source is not None and isinstance(severity, str)
        if dedup_key is None:
            dedup_key = new_dedup_key(opts, _redacted(body), now)
        labels = {"source": source, "severity": severity}
        labels.update({k: v for k, v in extras.items() if v})
        annotations = {"summary": summary}
        if client:
            annotations["client"] = client
        details = event.get("custom_details")
        if isinstance(details, dict):
            annotations.update({f"details.{k}": stringify(v) for k, v in details.items()})
        elif details is not None:
            annotations["details"] = stringify(details)
        alert = make_alert(
            labels=labels,
            annotations=annotations,
            fingerprint=dedup_fingerprint(scope, dedup_key),
            status=AlertStatus.FIRING,
            starts_at=timestamp or now,
            ends_at=None,
            generator_url=client_url,
            source_format=self.slug,
            dedup_key=dedup_key,
            summary=summary,
            severity_hint=severity,
            raw=_redacted(body),
        )
        return ParseResult(alerts=[alert], meta=meta)

    def _change(
        self, body: dict[str, Any], now: datetime, check: _Checker, meta: dict[str, Any]
    ) -> ParseResult:
        event = body.get("payload")
        if not isinstance(event, dict):
            check.add("payload", "'payload' is missing or invalid (must be an object)")
            event = {}
        summary = check.text(
            event, "summary", "payload.summary", required=True, max_len=MAX_SUMMARY
        )
        source = check.text(event, "source", "payload.source", required=False)
        timestamp = check.timestamp(event, "payload.timestamp")
        details = event.get("custom_details")
        if details is not None and not isinstance(details, dict):
            check.add(
                "payload.custom_details",
                "'payload.custom_details' is invalid (must be an object)",
            )
        links = check.links(body)
        check.raise_if_any()
        assert summary is not None
        change = ChangeEvent(
            summary=summary,
            source=source,
            timestamp=timestamp or now,
            custom_details=details if isinstance(details, dict) else {},
            links=links,
            source_format=self.slug,
            raw=_redacted(body),
        )
        return ParseResult(change_events=[change], meta=meta)
