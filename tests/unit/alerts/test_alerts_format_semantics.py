"""Behaviour of each format beyond the golden files: time rules, options, registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.alerts import ActionKind, AlertStatus, dedup_fingerprint
from warroom.alerts.formats import (
    FORMATS,
    Format,
    FormatError,
    OptionsError,
    UnknownFormatError,
    get_format,
    require_format,
)
from warroom.alerts.formats._fields import parse_timestamp
from warroom.alerts.formats.alertmanager import alertmanager_error_text
from warroom.alerts.formats.generic import GenericMapping, compile_path, resolve_path
from warroom.alerts.formats.opsgenie import opsgenie_accept_body, opsgenie_error_body

NOW = datetime(2026, 11, 22, 21, 57, tzinfo=UTC)
AM = require_format("alertmanager")


def _am_one(item: dict[str, object]):  # type: ignore[no-untyped-def]
    result = AM.parse([item], now=NOW)
    assert result.errors == [], result.errors
    return result.alerts[0]


# --- registry -------------------------------------------------------------------------


def test_registry_lists_the_six_builtin_slugs_in_order() -> None:
    assert list(FORMATS) == [
        "alertmanager", "alertmanager_webhook", "pagerduty", "grafana", "opsgenie", "generic",
    ]
    assert all(isinstance(fmt, Format) and fmt.slug == slug for slug, fmt in FORMATS.items())


def test_get_format_returns_none_and_require_format_names_known_slugs() -> None:
    assert get_format("nagios") is None
    with pytest.raises(UnknownFormatError, match="alertmanager_webhook"):
        require_format("nagios")


@pytest.mark.parametrize("slug", list(FORMATS))
def test_naive_now_is_a_programming_error(slug: str) -> None:
    with pytest.raises(TypeError, match="timezone-aware"):
        require_format(slug).parse([], now=datetime(2026, 1, 1), options={"mapping": {"title": "t"}})


# --- Alertmanager API v2 time rules ------------------------------------------------------


def test_missing_times_mean_firing_since_now_without_end() -> None:
    alert = _am_one({"labels": {"alertname": "X"}})
    assert (alert.status, alert.starts_at, alert.ends_at) == (AlertStatus.FIRING, NOW, None)


def test_ends_at_equal_to_now_is_resolved_and_future_is_firing() -> None:
    start = "2026-11-22T21:00:00Z"
    assert _am_one({"labels": {"a": "b"}, "startsAt": start, "endsAt": "2026-11-22T21:57:00Z"}).status is AlertStatus.RESOLVED
    assert _am_one({"labels": {"a": "b"}, "startsAt": start, "endsAt": "2026-11-22T21:57:00.001Z"}).status is AlertStatus.FIRING


def test_only_ends_at_sets_starts_at_to_it() -> None:
    alert = _am_one({"labels": {"a": "b"}, "endsAt": "2026-11-22T20:00:00Z"})
    assert alert.starts_at == alert.ends_at == datetime(2026, 11, 22, 20, tzinfo=UTC)


def test_empty_label_values_are_dropped_before_fingerprinting() -> None:
    alert = _am_one({"labels": {"alertname": "X", "empty": ""}})
    assert alert.labels == {"alertname": "X"}
    assert alert.fingerprint == _am_one({"labels": {"alertname": "X"}}).fingerprint


def test_only_empty_values_means_no_label_pair() -> None:
    result = AM.parse([{"labels": {"alertname": ""}}], now=NOW)
    assert [e.message for e in result.errors] == ["at least one label pair required"]


def test_partial_batch_keeps_valid_alerts_and_reports_joined_400_text() -> None:
    result = AM.parse([{"labels": {"a": "1"}}, {"labels": {}}, {"labels": {"b": "2"}, "startsAt": "x"}], now=NOW)
    assert [a.labels for a in result.alerts] == [{"a": "1"}]
    assert [e.index for e in result.errors] == [1, 2]
    assert alertmanager_error_text(result.errors) == (
        "at least one label pair required; 'startsAt' is not a valid RFC 3339 timestamp: 'x'"
    )
    assert alertmanager_error_text([]) is None


def test_empty_batch_is_fine() -> None:
    result = AM.parse([], now=NOW)
    assert (result.alerts, result.errors) == ([], [])


def test_summary_falls_back_to_alertname_then_labels() -> None:
    assert _am_one({"labels": {"alertname": "X"}}).summary == "X"
    assert _am_one({"labels": {"b": "2", "a": "1"}}).summary == "a=1, b=2"


# --- timestamps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T21:55:23.073Z", datetime(2026, 11, 22, 21, 55, 23, 73000, tzinfo=UTC)),
        ("2015-07-17T08:42:58.315+0000", datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)),
        ("2021-10-12T09:51:03.157076+02:00", datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC)),
        ("2026-01-01T00:00:00.123456789Z", datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2026-01-01T00:00:00", datetime(2026, 1, 1, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", None),
        ("0001-01-01T00:00:00.000Z", None),
        (None, None),
    ],
)
def test_timestamps_parse_to_utc_and_zero_time_is_unset(text: str | None, expected: datetime | None) -> None:
    assert parse_timestamp(text, "t") == expected


# --- PagerDuty ------------------------------------------------------------------------------

PD = require_format("pagerduty")
TRIGGER = {
    "routing_key": "rk", "event_action": "trigger",
    "payload": {"summary": "s", "source": "h", "severity": "info"},
}


def test_trigger_without_key_uses_new_key_option() -> None:
    result = PD.parse(TRIGGER, now=NOW, options={"new_key": lambda: "fresh"})
    assert result.alerts[0].dedup_key == "fresh"
    assert result.alerts[0].fingerprint == dedup_fingerprint("pagerduty", "fresh")


def test_trigger_without_key_gets_a_reproducible_key_distinct_per_moment() -> None:
    first = PD.parse(TRIGGER, now=NOW).alerts[0].dedup_key
    assert first == PD.parse(TRIGGER, now=NOW).alerts[0].dedup_key
    assert first != PD.parse(TRIGGER, now=NOW + timedelta(microseconds=1)).alerts[0].dedup_key


def test_dedup_scope_option_matches_trigger_and_resolve() -> None:
    opts = {"dedup_scope": "integration-7"}
    trig = PD.parse({**TRIGGER, "dedup_key": "k"}, now=NOW, options=opts).alerts[0]
    res = PD.parse({"routing_key": "rk", "event_action": "resolve", "dedup_key": "k"}, now=NOW, options=opts)
    assert res.actions[0].kind is ActionKind.RESOLVE
    assert res.actions[0].fingerprint == trig.fingerprint == dedup_fingerprint("integration-7", "k")


def test_routing_key_is_redacted_in_raw_but_kept_in_meta() -> None:
    result = PD.parse(TRIGGER, now=NOW)
    assert result.alerts[0].raw["routing_key"] == "[redacted]"
    assert result.meta["routing_key"] == "rk"
    assert TRIGGER["routing_key"] == "rk"  # the caller's body is untouched


def test_bad_option_values_raise_options_error() -> None:
    with pytest.raises(OptionsError):
        PD.parse(TRIGGER, now=NOW, options={"new_key": "not callable"})
    with pytest.raises(OptionsError):
        PD.parse(TRIGGER, now=NOW, options={"dedup_scope": ""})


# --- Opsgenie ---------------------------------------------------------------------------------

OG = require_format("opsgenie")


def test_opsgenie_create_and_close_share_identity() -> None:
    alert = OG.parse({"message": "m", "alias": "a1"}, now=NOW).alerts[0]
    close = OG.parse({}, now=NOW, options={"action": "close", "alias": "a1"}).actions[0]
    assert close.kind is ActionKind.RESOLVE and close.fingerprint == alert.fingerprint
    assert alert.severity_hint == "P3"


def test_opsgenie_bodies() -> None:
    with pytest.raises(FormatError) as info:
        OG.parse({"message": ""}, now=NOW)
    body = opsgenie_error_body(info.value, request_id="r-1", took=0.01)
    assert body == {"message": "Request body is not valid", "errors": {"message": "'message' can not be empty"},
                    "took": 0.01, "requestId": "r-1"}
    assert opsgenie_accept_body("r-2")["result"] == "Request will be processed"


# --- generic ------------------------------------------------------------------------------------


def test_paths_resolve_keys_indexes_and_quoted_keys() -> None:
    doc = {"a": {"b.c": [10, {"d": "x"}]}}
    assert resolve_path(doc, compile_path("$.a['b.c'][1].d")) == "x"
    assert resolve_path(doc, compile_path("a['b.c'].0")) == 10
    assert resolve_path(doc, compile_path("a.missing.d")) is None
    assert resolve_path(doc, compile_path("a['b.c'][5]")) is None


def test_generic_mapping_rejects_bad_paths_and_unknown_keys() -> None:
    with pytest.raises(ValueError, match="invalid path"):
        GenericMapping.model_validate({"title": "a..b"})
    with pytest.raises(ValueError, match="extra"):
        GenericMapping.model_validate({"title": "t", "colour": "red"})


def test_generic_without_or_with_bad_mapping_is_an_options_error() -> None:
    generic = require_format("generic")
    with pytest.raises(OptionsError, match="mapping"):
        generic.parse({}, now=NOW)
    with pytest.raises(OptionsError, match="invalid generic mapping"):
        generic.parse({}, now=NOW, options={"mapping": {"title": 5}})


def test_generic_accepts_a_mapping_object_and_status_shorthand() -> None:
    mapping = GenericMapping(title="name", status="state", labels="tags")  # type: ignore[arg-type]
    result = require_format("generic").parse(
        {"name": "n", "state": "RESOLVED", "tags": {"team": "db", "n": 3}}, now=NOW, options={"mapping": mapping}
    )
    alert = result.alerts[0]
    assert alert.status is AlertStatus.RESOLVED and alert.ends_at == NOW
    assert alert.labels == {"team": "db", "n": "3"}
