from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10m", timedelta(minutes=10)),
        ("30s", timedelta(seconds=30)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("0s", timedelta(0)),
        ("1.5h", timedelta(minutes=90)),
        ("250ms", timedelta(milliseconds=250)),
        ("2d", timedelta(days=2)),
        ("1w2d", timedelta(days=9)),
        (" 5m ", timedelta(minutes=5)),
        ("600", timedelta(seconds=600)),
        ("0", timedelta(0)),
        (600, timedelta(seconds=600)),
        (0, timedelta(0)),
        (1.5, timedelta(seconds=1.5)),
        (timedelta(minutes=3), timedelta(minutes=3)),
    ],
)
def test_parse_duration(value: str | int | float | timedelta, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "  ", "-5m", -1, -0.5, "m", "5x", "1h-30m", "h1", "1m1m", "1 h", True,
     float("nan"), float("inf"), timedelta(seconds=-1), None],
)
def test_parse_duration_rejects(value: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(value)  # type: ignore[arg-type]


def test_error_names_position() -> None:
    with pytest.raises(DurationError, match="position 2"):
        parse_duration("1hxx")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(days=8, seconds=1), "1w1d1s"),
        (timedelta(milliseconds=1500), "1s500ms"),
    ],
)
def test_format_duration(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


@given(st.integers(min_value=0, max_value=10**10))
def test_format_then_parse_round_trips(ms: int) -> None:
    value = timedelta(milliseconds=ms)
    assert parse_duration(format_duration(value)) == value
