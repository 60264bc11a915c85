"""Grafana unified alerting webhook contact point (payload ``version: "1"``).

Same shape as the Alertmanager webhook plus Grafana fields (``orgId``, ``title``,
``state``, ``message``; per alert ``values``/``valueString``, ``silenceURL``,
``dashboardURL``, ``panelURL``, ``imageURL``).  Those extras stay in ``raw`` and are
not annotations: ``values`` changes on every evaluation and must not churn the
content hash.  Grafana's own ``fingerprint`` is identity when present.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from warroom.alerts.formats._fields import json_type, require_aware
from warroom.alerts.formats.alertmanager_webhook import group_meta, parse_group_alerts
from warroom.alerts.formats.base import FormatError, ParseResult

__all__ = ["GrafanaFormat"]

SUPPORTED_VERSION = "1"
_META_KEYS = (
    "receiver", "status", "orgId", "groupKey", "externalURL", "truncatedAlerts",
    "version", "title", "state", "message",
)


class GrafanaFormat:
    """Grafana webhook notification body."""

    slug: str = "grafana"

    def parse(
        self,
        payload: object,
        *,
        now: datetime,
        options: Mapping[str, Any] | None = None,
    ) -> ParseResult:
        """Parse a Grafana group notification; bad alerts become ItemErrors."""
        now = require_aware(now)
        if not isinstance(payload, dict):
            raise FormatError(
                f"body must be a JSON object (Grafana webhook payload), got {json_type(payload)}"
            )
        version = payload.get("version")
        # Some Grafana builds omit version; orgId alone identifies the payload then.
        if version is None and "orgId" not in payload:
            raise FormatError("'version' is required (Grafana sends \"1\")", field="version")
        if version is not None and version != SUPPORTED_VERSION:
            hint = ""
            if version == "4":
                hint = "; Alertmanager payloads use the 'alertmanager_webhook' format"
            raise FormatError(
                f"unsupported Grafana webhook 'version' {str(version)[:20]!r}: "
                f"only \"{SUPPORTED_VERSION}\" is supported{hint}",
                field="version",
            )
        result = parse_group_alerts(payload, now, self.slug, trust_fingerprint=True)
        result.meta.update(group_meta(payload, _META_KEYS))
        for key in ("groupLabels", "commonLabels"):
            if isinstance(payload.get(key), dict):
                result.meta[key] = payload[key]
        return result
