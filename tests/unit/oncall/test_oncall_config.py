"""Configuration validation: field-named errors and cross-reference checks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from warroom.oncall import (
    OnCallConfig,
    Person,
    Schedule,
    Team,
    parse_duration,
    validate_references,
)

EXAMPLE: dict[str, Any] = {
    "people": [
        {
            "id": "alice",
            "name": "Alice",
            "email": "alice@example.com",
            "phone": "+15550100",
            "timezone": "Europe/Berlin",
            "chat": {"slack": "U123"},
            "notification_rules": [
                {"severity": "SEV1", "channel": "sms", "delay": "0s"},
                {"severity": "SEV1", "channel": "phone", "delay": "2m"},
                {"severity": "SEV3", "channel": "email"},
            ],
        },
        *({"id": p, "name": p.title()} for p in ["bob", "carol", "dan", "erin", "frank"]),
    ],
    "teams": [{"id": "payments", "name": "Payments", "members": ["alice", "bob"], "schedule": "primary"}],
    "schedules": [
        {
            "id": "primary",
            "timezone": "UTC",
            "rotation": {"type": "weekly", "handoff": "monday 09:00", "members": ["alice", "bob"]},
        },
        {
            "id": "secondary",
            "timezone": "Europe/Berlin",
            "layers": [
                {
                    "name": "day",
                    "rotation": {"type": "daily", "handoff": "09:00", "members": ["carol", "dan"]},
                    "restrict": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "18:00"},
                },
                {
                    "name": "custom",
                    "rotation": {"type": "custom", "length": "36h", "start": "2026-01-05T09:00", "members": ["erin", "frank"]},
                },
            ],
            "overrides": [{"person": "bob", "start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"}],
        },
    ],
}  # fmt: skip


def error_locs(exc: ValidationError) -> list[str]:
    return [".".join(str(p) for p in e["loc"]) for e in exc.errors()]


def test_example_config_validates() -> None:
    cfg = OnCallConfig.model_validate(EXAMPLE)
    alice = cfg.people[0]
    assert alice.notification_rules[1].delay == timedelta(minutes=2)
    assert alice.notification_rules[2].delay == timedelta(0)
    secondary = cfg.schedule("secondary")
    assert [layer.name for layer in secondary.effective_layers] == ["day", "custom"]
    assert secondary.layers[0].restrict[0].weekdays == frozenset(range(5))  # type: ignore[index]
    assert [layer.name for layer in cfg.schedule("primary").effective_layers] == ["default"]


@pytest.mark.parametrize(
    ("rotation", "loc", "message"),
    [
        ({"type": "weekly", "handoff": "funday 09:00", "members": ["a"]}, "rotation.weekly.handoff", "unknown weekday"),
        ({"type": "weekly", "handoff": "09:00", "members": ["a"]}, "rotation.weekly.handoff", "weekly time"),
        ({"type": "daily", "handoff": "25:00", "members": ["a"]}, "rotation.daily.handoff", "invalid time"),
        ({"type": "daily", "handoff": "9am", "members": ["a"]}, "rotation.daily.handoff", "invalid time"),
        ({"type": "daily", "members": []}, "rotation.daily.members", "at least 1"),
        ({"type": "custom", "length": "0h", "members": ["a"]}, "rotation.custom.length", "positive"),
        ({"type": "custom", "length": "-3h", "members": ["a"]}, "rotation.custom.length", "must not be negative"),
        ({"type": "custom", "length": "soon", "members": ["a"]}, "rotation.custom.length", "invalid duration"),
        ({"type": "hourly", "members": ["a"]}, "rotation", "does not match any of the expected tags"),
        ({"type": "daily", "members": ["a"], "color": "red"}, "rotation.daily.color", "Extra inputs"),
    ],
)  # fmt: skip
def test_rotation_errors_name_the_field(rotation: dict, loc: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Schedule.model_validate({"id": "s", "rotation": rotation})
    assert loc in error_locs(info.value)
    assert message in str(info.value)


def test_unknown_time_zone_names_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        Schedule.model_validate({"id": "s", "timezone": "Mars/Olympus", "rotation": {"type": "daily", "members": ["a"]}})
    assert error_locs(info.value) == ["timezone"]
    assert "unknown time zone 'Mars/Olympus'" in str(info.value)
    with pytest.raises(ValidationError) as info:
        Person.model_validate({"id": "p", "name": "P", "timezone": "Nowhere/Else"})
    assert error_locs(info.value) == ["timezone"]


def test_schedule_needs_exactly_one_of_rotation_or_layers() -> None:
    with pytest.raises(ValidationError, match="exactly one of 'rotation' or 'layers'"):
        Schedule.model_validate({"id": "s"})
    rot = {"type": "daily", "members": ["a"]}
    with pytest.raises(ValidationError, match="exactly one"):
        Schedule.model_validate({"id": "s", "rotation": rot, "layers": [{"name": "l", "rotation": rot}]})


def test_layer_validation() -> None:
    rot = {"type": "daily", "members": ["a"]}
    with pytest.raises(ValidationError, match="duplicate layer name"):
        Schedule.model_validate({"id": "s", "layers": [{"name": "x", "rotation": rot}, {"name": "x", "rotation": rot}]})
    with pytest.raises(ValidationError, match="reserved"):
        Schedule.model_validate({"id": "s", "layers": [{"name": "override", "rotation": rot}]})


@pytest.mark.parametrize(
    ("restrict", "loc", "message"),
    [
        ({"days": ["mon", "blursday"], "start": "09:00", "end": "17:00"}, "layers.0.restrict.0.days", "unknown weekday"),
        ({"start": "9", "end": "17:00"}, "layers.0.restrict.0.start", "invalid time"),
        ({"start": "fri 18:00", "end": "09:00"}, "layers.0.restrict.0", "both"),
        ({"start": "fri 18:00", "end": "mon 09:00", "days": ["fri"]}, "layers.0.restrict.0", "days is only allowed"),
        ({"days": [], "start": "09:00", "end": "17:00"}, "layers.0.restrict.0.days", "must not be empty"),
    ],
)  # fmt: skip
def test_restriction_errors(restrict: dict, loc: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Schedule.model_validate(
            {"id": "s", "layers": [{"name": "l", "rotation": {"type": "daily", "members": ["a"]}, "restrict": restrict}]}
        )
    assert loc in error_locs(info.value)
    assert message in str(info.value)


def test_override_must_end_after_start() -> None:
    with pytest.raises(ValidationError, match=r"overrides\[0\]: end must be after start"):
        Schedule.model_validate(
            {
                "id": "s",
                "rotation": {"type": "daily", "members": ["a"]},
                "overrides": [{"person": "a", "start": "2026-03-02T00:00Z", "end": "2026-03-01T00:00Z"}],
            }
        )


@pytest.mark.parametrize(
    ("person", "loc"),
    [
        ({"id": "a", "name": "A", "email": "not-an-email"}, "email"),
        ({"id": "a", "name": "A", "phone": "5550100"}, "phone"),
        ({"id": "a b", "name": "A"}, "id"),
        ({"id": "a", "name": "A", "notification_rules": [{"severity": "SEV1", "channel": "pigeon"}]}, "notification_rules.0.channel"),
        ({"id": "a", "name": "A", "notification_rules": [{"severity": "high", "channel": "sms"}]}, "notification_rules.0.severity"),
        ({"id": "a", "name": "A", "notification_rules": [{"severity": "SEV1", "channel": "sms", "delay": "2 fortnights"}]}, "notification_rules.0.delay"),
    ],
)  # fmt: skip
def test_person_errors_name_the_field(person: dict, loc: str) -> None:
    with pytest.raises(ValidationError) as info:
        Person.model_validate(person)
    assert error_locs(info.value) == [loc]


def test_severity_is_normalised() -> None:
    p = Person.model_validate({"id": "a", "name": "A", "notification_rules": [{"severity": "sev2", "channel": "sms"}]})
    assert p.notification_rules[0].severity == "SEV2"


def test_parse_duration() -> None:
    assert parse_duration("0s") == timedelta(0)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration("1w") == timedelta(weeks=1)
    for bad in ["", "h", "3x", "-1h"]:
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_validate_references_reports_every_dangling_id() -> None:
    people = [Person(id="alice", name="Alice"), Person(id="alice", name="Alice 2")]
    teams = [Team(id="t", name="T", members=["alice", "ghost"], schedule="nope")]
    schedules = [
        Schedule.model_validate(
            {
                "id": "s",
                "rotation": {"type": "daily", "members": ["alice", "zed"]},
                "overrides": [{"person": "yeti", "start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z"}],
            }
        ),
        Schedule.model_validate(
            {"id": "l", "layers": [{"name": "x", "rotation": {"type": "daily", "members": ["bigfoot"]}}]}
        ),
    ]
    issues = [str(i) for i in validate_references(people, teams, schedules)]
    assert issues == [
        "people[1].id: duplicate id 'alice'",
        "teams[0].members[1]: unknown person 'ghost'",
        "teams[0].schedule: unknown schedule 'nope'",
        "schedules[0].rotation.members[1]: unknown person 'zed'",
        "schedules[0].overrides[0].person: unknown person 'yeti'",
        "schedules[1].layers[0].rotation.members[0]: unknown person 'bigfoot'",
    ]
    assert validate_references(people[:1], [], schedules[:0]) == []


def test_full_config_rejects_dangling_references() -> None:
    bad = {**EXAMPLE, "teams": [{"id": "t", "name": "T", "members": ["nobody"]}]}
    with pytest.raises(ValidationError, match=r"teams\[0\].members\[0\]: unknown person 'nobody'"):
        OnCallConfig.model_validate(bad)


def test_models_are_frozen() -> None:
    p = Person(id="a", name="A")
    with pytest.raises(ValidationError):
        p.name = "B"  # type: ignore[misc]
