import pytest

from warroom.routing.severity_map import (
    DEFAULT_SEVERITY_MAP,
    Severity,
    SeverityMap,
    map_severity,
    parse_severity,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("critical", Severity.SEV1),
        ("CRITICAL", Severity.SEV1),
        (" Critical ", Severity.SEV1),
        ("high", Severity.SEV2),
        ("error", Severity.SEV2),
        ("warning", Severity.SEV3),
        ("Warning", Severity.SEV3),
        ("info", Severity.SEV4),
        ("P1", Severity.SEV1),
        ("p4", Severity.SEV4),
        ("SEV2", Severity.SEV2),
        ("sev3", Severity.SEV3),
        ("unknown", None),
        ("", None),
        (None, None),
        ("P5", None),
        ("SEV0", None),
        ("warn", None),
        ("critical-ish", None),
    ],
)
def test_default_mapping(value: str | None, expected: Severity | None) -> None:
    assert map_severity(value) is expected
    assert SeverityMap().lookup(value) is expected


def test_overrides_win_over_defaults_and_are_case_insensitive() -> None:
    mapping = SeverityMap({"Warning": Severity.SEV2, "page": "P1"})  # type: ignore[dict-item]
    assert mapping.lookup("warning") is Severity.SEV2
    assert mapping.lookup("PAGE") is Severity.SEV1
    assert mapping.lookup("critical") is Severity.SEV1  # defaults still apply
    assert map_severity("disaster", {"disaster": "SEV1"}) is Severity.SEV1
    assert map_severity("disaster") is None


def test_bad_override_value_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown severity"):
        SeverityMap({"x": "urgent"})  # type: ignore[dict-item]


def test_default_map_is_read_only_and_rank_orders() -> None:
    with pytest.raises(TypeError):
        DEFAULT_SEVERITY_MAP["x"] = Severity.SEV1  # type: ignore[index]
    assert [s.rank for s in Severity] == [1, 2, 3, 4]
    assert parse_severity("critical") is None  # only canonical spellings here
