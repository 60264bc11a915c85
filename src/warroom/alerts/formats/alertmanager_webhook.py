"""Alertmanager webhook receiver payloads (``version: "4"``), as Alertmanager 0.25 posts them.

Alertmanager sends the whole group every time, not a diff; each alert carries its own
``status``, and firing alerts carry the zero ``endsAt``.  The per-alert parser is shared
with the Grafana format, whose payload has the same shape plus Grafana fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from warroom.alerts.fingerprint import alertmanager_fingerprint
from warroom.alerts.formats._fields import (
    FieldError,
    is_valid_utf8,
    json_type,
    optional_str,
    parse_timestamp,
    require_aware,
    string_map,
    summary_for,
)
from warroom.alerts.formats.base import FormatError, ItemError, ParseResult
from warroom.alerts.model import AlertStatus, IncomingAlert, make_alert

__all__ = ["AlertmanagerWebhookFormat", "parse_group_alerts", "parse_webhook_alert"]

SUPPORTED_VERSION = "4"
_META_KEYS = ("receiver", "status", "groupKey", "externalURL", "truncatedAlerts", "version")


def parse_webhook_alert(
    item: object, now: datetime, slug: str, *, trust_fingerprint: bool
) -> IncomingAlert:
    """One ``alerts[]`` entry. ``trust_fingerprint``: use the sender's ``fingerprint`` field."""
    if not isinstance(item, dict):
        raise FieldError(None, f"alert must be a JSON object, got {json_type(item)}")
    raw_status = item.get("status")
    if raw_status not in ("firing", "resolved"):
        if raw_status is None:
            raise FieldError("status", "'status' is required (firing or resolved)")
        got = str(raw_status)[:40]
        raise FieldError("status", f"'status' must be 'firing' or 'resolved', got {got!r}")
    status = AlertStatus(raw_status)
    labels = string_map(item.get("labels"), "labels", drop_empty=True)
    if not labels:
        raise FieldError("labels", "'labels' must have at least one label pair")
    annotations = string_map(item.get("annotations"), "annotations", drop_empty=False)
    starts_at = parse_timestamp(item.get("startsAt"), "startsAt")
    ends_at = parse_timestamp(item.get("endsAt"), "endsAt")
    generator_url = optional_str(item, "generatorURL")
    fingerprint = alertmanager_fingerprint(labels)
    if trust_fingerprint:
        given = optional_str(item, "fingerprint")
        if given:
            if not is_valid_utf8(given) or len(given) > 128:
                raise FieldError("fingerprint", "'fingerprint' must be a short UTF-8 string")
            fingerprint = given
    if starts_at is None:
        starts_at = ends_at if ends_at is not None else now
    if status is AlertStatus.FIRING:
        # Alertmanager blanks endsAt for firing alerts in notifications; a non-zero one
        # is still only a lease, not an end.
        ends_at = None
    elif ends_at is None:
        ends_at = now
    if ends_at is not None and ends_at < starts_at:
        raise FieldError("endsAt", "start time must be before end time")
    return make_alert(
        labels=labels,
        annotations=annotations,
        fingerprint=fingerprint,
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


def parse_group_alerts(
    payload: dict[str, Any], now: datetime, slug: str, *, trust_fingerprint: bool
) -> ParseResult:
    """Parse ``payload['alerts']`` best-effort into a ParseResult."""
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise FormatError(
            f"'alerts' must be an array, got {json_type(alerts)}", field="alerts"
        )
    result = ParseResult()
    for index, item in enumerate(alerts):
        try:
            result.alerts.append(
                parse_webhook_alert(item, now, slug, trust_fingerprint=trust_fingerprint)
            )
        except FieldError as exc:
            result.errors.append(ItemError(index, exc.message, exc.field))
    return result


def group_meta(payload: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """Body-level facts worth keeping (scalars only), e.g. ``groupKey`` as an incident key."""
    return {
        key: value
        for key in keys
        if isinstance(value := payload.get(key), str | int | float) and not isinstance(value, bool)
    }


class AlertmanagerWebhookFormat:
    """Alertmanager's webhook notification body, payload version "4"."""

    slug: str = "alertmanager_webhook"

    def parse(
        self,
        payload: object,
        *,
        now: datetime,
        options: Mapping[str, Any] | None = None,
    ) -> ParseResult:
        """Parse a group notification; bad alerts become ItemErrors."""
        now = require_aware(now)
        if not isinstance(payload, dict):
            raise FormatError(
                "body must be a JSON object (Alertmanager webhook payload), "
                f"got {json_type(payload)}"
            )
        version = payload.get("version")
        if version is None:
            raise FormatError("'version' is required (Alertmanager sends \"4\")", field="version")
        if version != SUPPORTED_VERSION:
            hint = "; Grafana payloads use the 'grafana' format" if version == "1" else ""
            raise FormatError(
                f"unsupported webhook payload 'version' {str(version)[:20]!r}: "
                f"only \"{SUPPORTED_VERSION}\" is supported{hint}",
                field="version",
            )
        result = parse_group_alerts(payload, now, self.slug, trust_fingerprint=False)
        result.meta.update(group_meta(payload, _META_KEYS))
        for key in ("groupLabels", "commonLabels"):
            if isinstance(payload.get(key), dict):
                result.meta[key] = payload[key]
        return result
