"""Severity scale resolution and duration parsing."""

from datetime import timedelta

import pytest

from warroom.durations import human_duration, parse_duration
from warroom.errors import UnknownSeverity
from warroom.incidents.severity import default_scale


@pytest.mark.parametrize(("given", "canonical"), [
    ("SEV1", "SEV1"), ("sev1", "SEV1"), ("P1", "SEV1"), ("critical", "SEV1"),
    ("high", "SEV2"), ("P3", "SEV3"), ("Medium", "SEV3"), ("low", "SEV4"),
])
def test_aliases_resolve_to_canonical_names(given: str, canonical: str) -> None:
    assert default_scale().canonical(given) == canonical


def test_unknown_severity_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownSeverity) as info:
        default_scale().require("SEV9")
    assert "SEV1" in info.value.message and "critical" in info.value.message
    assert info.value.valid[:4] == ["SEV1", "SEV2", "SEV3", "SEV4"]


def test_seed_defaults() -> None:
    sev1 = default_scale().require("SEV1")
    assert sev1.response_time == timedelta(0)
    assert sev1.update_every == timedelta(minutes=15)
    assert set(sev1.required_roles) == {"incident_commander", "tech_lead", "comms_lead", "scribe"}
    assert default_scale().require("SEV3").update_every == timedelta(hours=2)


@pytest.mark.parametrize(("text", "seconds"), [
    ("0s", 0), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172800), (15, 15),
    ("2.5", 2.5), ("500ms", 0.5),
])
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("bad", ["", "5 minutes", "m5", "-5m", -1, "1h-30m", True])
def test_parse_duration_rejects_nonsense(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)  # type: ignore[arg-type]


def test_human_duration() -> None:
    assert human_duration(timedelta(seconds=252)) == "4m 12s"
    assert human_duration(timedelta(hours=2, minutes=5)) == "2h 5m"
    assert human_duration(None) == "—"
