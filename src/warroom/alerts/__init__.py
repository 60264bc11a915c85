"""Alerts: the normalised alert model, identity (fingerprints) and ingest formats."""

from warroom.alerts.fingerprint import alertmanager_fingerprint, content_hash, dedup_fingerprint
from warroom.alerts.model import (
    ActionKind,
    AlertAction,
    AlertStatus,
    ChangeEvent,
    IncomingAlert,
    make_alert,
)

__all__ = [
    "ActionKind",
    "AlertAction",
    "AlertStatus",
    "ChangeEvent",
    "IncomingAlert",
    "alertmanager_fingerprint",
    "content_hash",
    "dedup_fingerprint",
    "make_alert",
]
