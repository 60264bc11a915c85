from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.routing.matchers import Matcher, MatchType, parse_matchers
from warroom.suppression.silences import (
    Silence,
    SilenceError,
    SilenceState,
    can_update_in_place,
    expire,
    silencing,
)

T0 = datetime(2026, 11, 22, 21, 33, 19, 745000, tzinfo=UTC)
HOUR = timedelta(hours=1)


def silence(matchers: str = 'alertname="AmtoolTest"', start: datetime = T0,
            end: datetime = T0 + HOUR, sid: str = "s1") -> Silence:
    parsed = tuple(parse_matchers(matchers))
    return Silence(sid, parsed, start, end, "bench", "bench silence", start)


def test_state_boundaries_follow_alertmanager() -> None:
    s = silence()
    assert s.state(T0 - timedelta(microseconds=1)) is SilenceState.PENDING
    assert s.state(T0) is SilenceState.ACTIVE  # start inclusive
    assert s.state(T0 + HOUR - timedelta(microseconds=1)) is SilenceState.ACTIVE
    assert s.state(T0 + HOUR) is SilenceState.EXPIRED  # end exclusive


def test_silencing_returns_active_matching_ids_in_order() -> None:
    silences = [
        silence('alertname="A"', sid="exact"),
        silence('alertname=~"A|B", env!="dev"', sid="regex"),
        silence('alertname="A"', start=T0 + HOUR, end=T0 + 2 * HOUR, sid="pending"),
        silence('alertname="A"', start=T0 - 2 * HOUR, end=T0, sid="expired"),
        silence('alertname="B"', sid="other"),
    ]
    assert silencing({"alertname": "A"}, silences, T0) == ["exact", "regex"]
    assert silencing({"alertname": "A", "env": "dev"}, silences, T0) == ["exact"]
    assert silencing({"alertname": "A"}, silences, T0 + HOUR) == ["pending"]
    assert silencing({"alertname": "C"}, silences, T0) == []


def test_every_matcher_must_match() -> None:
    s = silence('alertname="A", instance="h1"')
    assert s.mutes({"alertname": "A", "instance": "h1"}, T0)
    assert not s.mutes({"alertname": "A"}, T0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"matchers": ()}, "at least one matcher"),
        ({"matchers": (Matcher("a", MatchType.REGEX, ".*"),)}, "empty string"),
        ({"matchers": (Matcher("a", MatchType.NOT_EQUAL, "x"),)}, "empty string"),
        ({"ends_at": T0 - timedelta(seconds=1)}, "end time"),
        ({"starts_at": T0.replace(tzinfo=None)}, "timezone-aware"),
    ],
)
def test_validation(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "id": "x", "matchers": (Matcher("a", MatchType.EQUAL, "1"),), "starts_at": T0,
        "ends_at": T0 + HOUR, "created_by": "me", "comment": "c", "updated_at": T0,
    }
    base.update(kwargs)
    with pytest.raises(SilenceError, match=message):
        Silence(**base)  # type: ignore[arg-type]


def test_one_non_empty_matcher_is_enough_with_match_all_others() -> None:
    s = silence('alertname="A", instance=~".*"')
    assert s.mutes({"alertname": "A"}, T0)


def test_to_api_matches_captured_shape() -> None:
    s = silence()
    assert s.to_api(T0) == {
        "id": "s1",
        "status": {"state": "active"},
        "updatedAt": "2026-11-22T21:33:19.745Z",
        "comment": "bench silence",
        "createdBy": "bench",
        "startsAt": "2026-11-22T21:33:19.745Z",
        "endsAt": "2026-11-22T22:33:19.745Z",
        "matchers": [
            {"isEqual": True, "isRegex": False, "name": "alertname", "value": "AmtoolTest"}
        ],
    }
    assert s.to_api(T0 + HOUR)["status"] == {"state": "expired"}


def test_expire_active_pending_and_expired() -> None:
    now = T0 + timedelta(minutes=5)
    active = expire(silence(), now)
    assert (active.starts_at, active.ends_at, active.updated_at) == (T0, now, now)
    assert active.state(now) is SilenceState.EXPIRED
    pending = expire(silence(start=T0 + HOUR, end=T0 + 2 * HOUR), now)
    assert (pending.starts_at, pending.ends_at) == (now, now)
    assert pending.state(now) is SilenceState.EXPIRED
    with pytest.raises(SilenceError, match="already expired"):
        expire(silence(), T0 + HOUR)


def test_can_update_in_place() -> None:
    now = T0 + timedelta(minutes=5)
    old = silence()
    assert can_update_in_place(old, silence(end=T0 + 2 * HOUR), now)  # extend active
    assert not can_update_in_place(old, silence(end=now - timedelta(seconds=1)), now)
    assert not can_update_in_place(old, silence(start=T0 + timedelta(seconds=1)), now)
    assert not can_update_in_place(old, silence('alertname="Other"'), now)
    pending = silence(start=T0 + HOUR, end=T0 + 2 * HOUR)
    assert can_update_in_place(pending, silence(start=now, end=T0 + 2 * HOUR), now)
    assert not can_update_in_place(pending, silence(start=T0, end=T0 + 2 * HOUR), now)
    assert not can_update_in_place(old, silence(end=T0 + 3 * HOUR), T0 + HOUR)  # expired


@given(offset=st.integers(min_value=-10**6, max_value=10**6))
def test_exactly_one_state_and_active_iff_in_range(offset: int) -> None:
    s = silence()
    now = T0 + timedelta(seconds=offset)
    assert s.is_active(now) is (T0 <= now < T0 + HOUR)
    assert (s.state(now) is SilenceState.PENDING) is (now < T0)
