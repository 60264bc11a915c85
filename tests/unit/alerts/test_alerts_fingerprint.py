"""Identity (fingerprints) versus change detection (content hash)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warroom.alerts import AlertStatus, alertmanager_fingerprint, content_hash, dedup_fingerprint

T0 = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)


def _hash(**overrides: object) -> str:
    fields: dict[str, object] = {
        "labels": {"alertname": "A", "job": "x"},
        "annotations": {"summary": "s"},
        "status": "firing",
        "ends_at": None,
        "summary": "s",
        "severity": "warning",
    }
    fields.update(overrides)
    return content_hash(**fields)  # type: ignore[arg-type]


def test_empty_label_set_fingerprint_is_the_fnv_offset_basis() -> None:
    assert alertmanager_fingerprint({}) == "cbf29ce484222325"


def test_fingerprint_is_16_lowercase_hex_and_ignores_insertion_order() -> None:
    a = alertmanager_fingerprint({"b": "2", "a": "1"})
    assert a == alertmanager_fingerprint({"a": "1", "b": "2"})
    assert len(a) == 16 and a == a.lower() and int(a, 16) >= 0


def test_fingerprint_separates_name_from_value() -> None:
    # Without the 0xFF separators these would hash the same bytes "ab" + "c".
    assert alertmanager_fingerprint({"ab": "c"}) != alertmanager_fingerprint({"a": "bc"})


def test_fingerprint_hashes_utf8_and_sorts_by_code_point() -> None:
    assert alertmanager_fingerprint({"a": "é", "Z": "ü"}) == alertmanager_fingerprint({"Z": "ü", "a": "é"})
    assert alertmanager_fingerprint({"a": "é"}) != alertmanager_fingerprint({"a": "e"})


def test_dedup_fingerprint_is_scoped_and_never_a_label_fingerprint() -> None:
    fp = dedup_fingerprint("pagerduty", "db1/disk")
    assert fp == dedup_fingerprint("pagerduty", "db1/disk")
    assert fp != dedup_fingerprint("opsgenie", "db1/disk")
    assert fp != alertmanager_fingerprint({"pagerduty": "db1/disk"})
    assert len(fp) == 16


def test_dedup_fingerprint_survives_lone_surrogates() -> None:
    assert len(dedup_fingerprint("generic", "\ud800")) == 16


def test_content_hash_ignores_dict_order_and_is_sha256_hex() -> None:
    h = _hash(labels={"job": "x", "alertname": "A"})
    assert h == _hash() and len(h) == 64


def test_content_hash_changes_with_each_hashed_field() -> None:
    base = _hash()
    for change in (
        {"labels": {"alertname": "A", "job": "y"}},
        {"annotations": {"summary": "other"}},
        {"status": "resolved"},
        {"summary": "other"},
        {"severity": "critical"},
        {"severity": None},
    ):
        assert _hash(**change) != base, change


def test_firing_lease_renewal_is_not_a_change() -> None:
    assert _hash(ends_at=T0 + timedelta(minutes=4)) == _hash(ends_at=T0 + timedelta(minutes=5)) == _hash()


def test_resolution_time_is_part_of_a_resolved_alerts_content() -> None:
    first = _hash(status="resolved", ends_at=T0)
    assert first != _hash(status="resolved", ends_at=T0 + timedelta(seconds=1))
    assert first == _hash(status=AlertStatus.RESOLVED, ends_at=T0.astimezone())


def test_content_hash_accepts_lone_surrogates_from_lenient_json_decoders() -> None:
    assert _hash(annotations={"summary": "\ud800"}) != _hash()


def test_content_hash_is_the_same_for_ascii_and_non_ascii_spellings_of_a_dict() -> None:
    assert _hash(summary="café") == _hash(summary="caf\u00e9")
