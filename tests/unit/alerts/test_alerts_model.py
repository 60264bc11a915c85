"""The normalised alert and its builders."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from warroom.alerts import AlertStatus, alertmanager_fingerprint, content_hash, make_alert


def make_incoming(**overrides: object):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {
        "labels": {"alertname": "A"},
        "annotations": {"summary": "s"},
        "fingerprint": alertmanager_fingerprint({"alertname": "A"}),
        "status": AlertStatus.FIRING,
        "starts_at": datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        "ends_at": None,
        "generator_url": None,
        "source_format": "alertmanager",
        "dedup_key": None,
        "summary": "s",
        "severity_hint": None,
        "raw": {"labels": {"alertname": "A"}},
    }
    fields.update(overrides)
    return make_alert(**fields)  # type: ignore[arg-type]


def test_make_alert_computes_content_hash_and_normalises_to_utc() -> None:
    alert = make_incoming()
    assert alert.starts_at == datetime(2026, 1, 1, tzinfo=UTC) and alert.starts_at.tzinfo is UTC
    assert alert.content_hash == content_hash(
        labels={"alertname": "A"}, annotations={"summary": "s"}, status="firing",
        ends_at=None, summary="s", severity=None,
    )


def test_incoming_alert_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        make_incoming().status = AlertStatus.RESOLVED  # type: ignore[misc]


def test_to_dict_is_json_ready_and_raw_optional() -> None:
    alert = make_incoming(status=AlertStatus.RESOLVED, ends_at=datetime(2026, 1, 1, 2, tzinfo=UTC))
    out = alert.to_dict()
    assert out["status"] == "resolved"
    assert out["starts_at"] == "2026-01-01T00:00:00.000000Z"
    assert out["ends_at"] == "2026-01-01T02:00:00.000000Z"
    assert out["raw"] == {"labels": {"alertname": "A"}}
    assert "raw" not in alert.to_dict(include_raw=False)


def test_raw_does_not_take_part_in_equality() -> None:
    assert make_incoming(raw={"a": 1}) == make_incoming(raw={"b": 2})
