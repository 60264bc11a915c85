"""Alertmanager API v2 ``POST /api/v2/alerts`` bodies, as Prometheus and amtool send them.

Semantics follow Alertmanager 0.25's ``postAlertsHandler``: zero or missing times are
unset; ``startsAt`` defaults to ``endsAt`` if only that is given, else to now; an alert
whose ``endsAt`` is not after now is resolved; empty label values are dropped before
validation; every item is validated on its own and valid ones are kept even when
others fail (Alertmanager then answers 400 with the joined messages, see
``alertmanager_error_text``).  Messages use Alertmanager's wording where it has one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from warroom.alerts.fingerprint import alertmanager_fingerprint, content_hash_from
from warroom.alerts.formats._fields import (
    INVALID_TIMESTAMP,
    FieldError,
    are_label_names,
    cached_timestamp,
    is_label_name,
    json_type,
    optional_str,
    parse_timestamp,
    require_aware,
    string_map,
    summary_for,
)
from warroom.alerts.formats.base import FormatError, ItemError, ParseResult
from warroom.alerts.model import AlertStatus, IncomingAlert, make_alert

__all__ = ["AlertmanagerFormat", "alertmanager_error_text", "validate_label_set"]


def validate_label_set(labels: Mapping[str, str], what: str) -> None:
    """Alertmanager's ``LabelSet.Validate``: names must match ``[a-zA-Z_][a-zA-Z0-9_]*``.

    Checked in sorted order so the reported name is deterministic (Go's map order is not).
    """
    if are_label_names(labels):
        return
    for name in sorted(labels):
        if not is_label_name(name):
            raise FieldError(f"{what}.{name}", f'invalid {_SET_NAMES[what]}: invalid name "{name}"')


_SET_NAMES = {"labels": "label set", "annotations": "annotations"}


def _parse_item(item: object, now: datetime, slug: str) -> IncomingAlert:
    if not isinstance(item, dict):
        raise FieldError(None, f"alert must be a JSON object, got {json_type(item)}")
    labels = string_map(item.get("labels"), "labels", drop_empty=True)
    annotations = string_map(item.get("annotations"), "annotations", drop_empty=False)
    starts_at = parse_timestamp(item.get("startsAt"), "startsAt")
    ends_at = parse_timestamp(item.get("endsAt"), "endsAt")
    generator_url = optional_str(item, "generatorURL")
    if starts_at is None:
        starts_at = ends_at if ends_at is not None else now
    # Same check order as Alertmanager's Alert.Validate.
    if ends_at is not None and ends_at < starts_at:
        raise FieldError("endsAt", "start time must be before end time")
    validate_label_set(labels, "labels")
    if not labels:
        raise FieldError("labels", "at least one label pair required")
    validate_label_set(annotations, "annotations")
    status = AlertStatus.FIRING if ends_at is None or ends_at > now else AlertStatus.RESOLVED
    return make_alert(
        labels=labels,
        annotations=annotations,
        fingerprint=alertmanager_fingerprint(labels),
        status=status,
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=generator_url or None,
        source_format=slug,
        dedup_key=None,
        summary=summary_for(annotations, labels),
        severity_hint=labels.get("severity"),
        raw=item,
    )


def _speedup() -> Callable[[object, datetime, str], IncomingAlert | None] | None:
    """``_amparse.parse_item`` (C, ``_amparse.c``) when it was built and still knows
    IncomingAlert's fields: it parses the common valid alert ~3x faster than
    ``_parse_item`` and returns None for any other item, which ``_parse_item`` then parses
    (the reference; the two must agree exactly, tests/unit/alerts/test_parse_speedup.py)."""
    try:
        from warroom.alerts import _amparse
    except ImportError:  # pragma: no cover - depends on the install
        return None
    # It fills IncomingAlert's slots itself, as the dataclass __init__ would.
    if (tuple(f.name for f in dataclasses.fields(IncomingAlert)) != _amparse.ALERT_FIELDS
            or hasattr(IncomingAlert, "__post_init__")):
        return None  # pragma: no cover - the speed-up tests fail then
    _amparse.configure(IncomingAlert, AlertStatus.FIRING, AlertStatus.RESOLVED,
                       cached_timestamp, INVALID_TIMESTAMP, content_hash_from)
    return _amparse.parse_item


_fast_item = _speedup()


class AlertmanagerFormat:
    """``postableAlerts``: a JSON array of ``{labels, annotations, startsAt, endsAt, ...}``."""

    slug: str = "alertmanager"

    def parse(
        self,
        payload: object,
        *,
        now: datetime,
        options: Mapping[str, Any] | None = None,
    ) -> ParseResult:
        """Parse a batch; each invalid alert becomes an ItemError, valid ones are kept."""
        now = require_aware(now)
        if not isinstance(payload, list):
            raise FormatError(
                f"body must be a JSON array of alerts (postableAlerts), got {json_type(payload)}"
            )
        result = ParseResult()
        alerts, slug = result.alerts, self.slug
        # The C path compares with `now` itself; a datetime subclass takes the Python one.
        fast = _fast_item if type(now) is datetime else None
        for index, item in enumerate(payload):
            if fast is not None:
                alert = fast(item, now, slug)
                if alert is not None:
                    alerts.append(alert)
                    continue
            try:
                alerts.append(_parse_item(item, now, slug))
            except FieldError as exc:
                result.errors.append(ItemError(index, exc.message, exc.field))
        return result


def alertmanager_error_text(errors: Sequence[ItemError]) -> str | None:
    """The 400 body Alertmanager would send (a JSON string), or None when all were valid.

    Alertmanager answers 400 for a partly *and* a fully invalid batch alike, joining
    the messages with '; ' (``types.MultiError``); the valid alerts are stored anyway.
    """
    if not errors:
        return None
    return "; ".join(e.message for e in errors)
