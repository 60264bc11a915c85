"""The normalised alert every ingest format produces, and the other things senders say."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from warroom.alerts.fingerprint import content_hash

__all__ = [
    "ActionKind",
    "AlertAction",
    "AlertStatus",
    "ChangeEvent",
    "IncomingAlert",
    "make_alert",
]


class AlertStatus(StrEnum):
    """Whether the sender says the condition holds."""

    FIRING = "firing"
    RESOLVED = "resolved"


class ActionKind(StrEnum):
    """What a dedup-keyed sender (PagerDuty, Opsgenie) asks us to do to an open alert."""

    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class IncomingAlert:
    """One alert as a sender described it, normalised; identity and change hash included.

    ``fingerprint`` is identity (label set, or ``dedup_key`` when the sender has one);
    ``content_hash`` changes iff labels, annotations, status, summary, severity_hint or,
    for resolved alerts, ``ends_at`` change (see ``fingerprint.content_hash``).
    ``ends_at`` is None when the sender gave no end: the service applies its resolve
    timeout.  Timestamps are timezone-aware UTC.  ``raw`` is the original item for replay.
    """

    labels: dict[str, str]
    annotations: dict[str, str]
    fingerprint: str
    content_hash: str
    status: AlertStatus
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str | None
    source_format: str
    dedup_key: str | None
    summary: str
    severity_hint: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    def to_dict(self, *, include_raw: bool = True) -> dict[str, Any]:
        """JSON-ready form (timestamps as RFC 3339 UTC with microseconds)."""
        out: dict[str, Any] = {
            "fingerprint": self.fingerprint,
            "content_hash": self.content_hash,
            "status": str(self.status),
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "starts_at": _iso(self.starts_at),
            "ends_at": _iso(self.ends_at),
            "generator_url": self.generator_url,
            "source_format": self.source_format,
            "dedup_key": self.dedup_key,
            "summary": self.summary,
            "severity_hint": self.severity_hint,
        }
        if include_raw:
            out["raw"] = self.raw
        return out


def make_alert(
    *,
    labels: dict[str, str],
    annotations: dict[str, str],
    fingerprint: str,
    status: AlertStatus,
    starts_at: datetime,
    ends_at: datetime | None,
    generator_url: str | None,
    source_format: str,
    dedup_key: str | None,
    summary: str,
    severity_hint: str | None,
    raw: dict[str, Any],
) -> IncomingAlert:
    """Build an IncomingAlert, computing its content hash so no parser can get it wrong."""
    return IncomingAlert(
        labels=labels,
        annotations=annotations,
        fingerprint=fingerprint,
        content_hash=content_hash(
            labels=labels,
            annotations=annotations,
            status=str(status),
            ends_at=ends_at,
            summary=summary,
            severity=severity_hint,
        ),
        status=status,
        starts_at=starts_at.astimezone(UTC),
        ends_at=ends_at.astimezone(UTC) if ends_at is not None else None,
        generator_url=generator_url,
        source_format=source_format,
        dedup_key=dedup_key,
        summary=summary,
        severity_hint=severity_hint,
        raw=raw,
    )


@dataclass(frozen=True, slots=True)
class AlertAction:
    """Acknowledge or resolve the open alert with this dedup key (PagerDuty, Opsgenie).

    ``fingerprint`` is ``dedup_fingerprint(scope, dedup_key)``, the same identity the
    trigger got, so the service can look the alert up directly.
    """

    kind: ActionKind
    dedup_key: str
    fingerprint: str
    source_format: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    def to_dict(self, *, include_raw: bool = True) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "kind": str(self.kind),
            "dedup_key": self.dedup_key,
            "fingerprint": self.fingerprint,
            "source_format": self.source_format,
        }
        if include_raw:
            out["raw"] = self.raw
        return out


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A PagerDuty change event (deploy, config change): context for incidents, not an alert."""

    summary: str
    source: str | None
    timestamp: datetime
    custom_details: dict[str, Any]
    links: list[dict[str, str]]
    source_format: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    def to_dict(self, *, include_raw: bool = True) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "summary": self.summary,
            "source": self.source,
            "timestamp": _iso(self.timestamp),
            "custom_details": self.custom_details,
            "links": self.links,
            "source_format": self.source_format,
        }
        if include_raw:
            out["raw"] = self.raw
        return out
