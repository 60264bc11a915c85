"""Property: shifts tile the window and agree with on_call_at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom.oncall import Schedule, next_shifts, on_call_at, shifts

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Sao_Paulo"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PEOPLE = ["a", "b", "c", "d"]

clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
members = st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4)
anchor = st.datetimes(datetime(2023, 1, 1), datetime(2027, 12, 31)).map(lambda d: d.replace(second=0, microsecond=0))

rotation = st.one_of(
    st.fixed_dictionaries({"type": st.just("daily"), "handoff": clock, "members": members, "start": anchor.map(str)}),
    st.fixed_dictionaries(
        {
            "type": st.just("weekly"),
            "handoff": st.builds(lambda d, c: f"{d} {c}", st.sampled_from(DAYS), clock),
            "members": members,
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("custom"),
            "length": st.sampled_from(["30m", "7h", "12h", "36h", "2d", "1w"]),
            "start": anchor.map(str),
            "members": members,
        }
    ),
)
restrict = st.one_of(
    st.fixed_dictionaries({"start": clock, "end": clock}, optional={"days": st.lists(st.sampled_from(DAYS), min_size=1, max_size=7)}),
    st.builds(
        lambda d1, c1, d2, c2: {"start": f"{d1} {c1}", "end": f"{d2} {c2}"},
        st.sampled_from(DAYS), clock, st.sampled_from(DAYS), clock,
    ),
)  # fmt: skip
instant = st.datetimes(datetime(2024, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    layers = [{"name": "full", "rotation": draw(rotation)}]
    for i in range(draw(st.integers(0, 2))):
        layers.append({"name": f"r{i}", "rotation": draw(rotation), "restrict": draw(st.lists(restrict, min_size=1, max_size=2))})
    overrides = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(instant)
        overrides.append({"person": draw(st.sampled_from(PEOPLE)), "start": start.isoformat(), "end": (start + draw(st.timedeltas(timedelta(minutes=1), timedelta(days=3)))).isoformat()})
    return Schedule.model_validate({"id": "p", "timezone": draw(st.sampled_from(ZONES)), "layers": layers, "overrides": overrides})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schedule=schedules(),
    start=instant,
    length=st.timedeltas(timedelta(minutes=1), timedelta(days=21)),
    probes=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=5),
)
def test_shifts_tile_the_window_and_agree_with_on_call_at(
    schedule: Schedule, start: datetime, length: timedelta, probes: list[float]
) -> None:
    end = start + length
    got = shifts(schedule, start, end)
    assert got, "a full-coverage layer means someone is always on call"
    assert got[0].start == start
    assert got[-1].end == end
    for prev, cur in zip(got, got[1:]):
        assert prev.end == cur.start  # no gaps, no overlaps
        assert (prev.person, prev.layer) != (cur.person, cur.layer)  # merged
    for sh in got:
        assert sh.start < sh.end
        assert sh.start.tzinfo is UTC
    for p in probes + [0.0]:
        t = min(start + length * p, end - timedelta(microseconds=1))  # float rounding
        (containing,) = [sh for sh in got if sh.contains(t)]
        assert on_call_at(schedule, t) == [containing.person]
    for sh in got:  # boundaries too
        assert on_call_at(schedule, sh.start) == [sh.person]


@settings(max_examples=60, deadline=None)
@given(schedule=schedules(), at=instant, count=st.integers(1, 4))
def test_next_shifts_is_a_prefix_of_shifts(schedule: Schedule, at: datetime, count: int) -> None:
    nxt = next_shifts(schedule, at, count)
    assert 1 <= len(nxt) <= count
    assert nxt[0].start == at
    assert nxt == shifts(schedule, at, nxt[-1].end)


@settings(max_examples=80, deadline=None)
@given(schedule=schedules(), start=instant, cut=st.timedeltas(timedelta(minutes=1), timedelta(days=5)), rest=st.timedeltas(timedelta(minutes=1), timedelta(days=5)))
def test_splitting_the_window_does_not_change_the_timeline(
    schedule: Schedule, start: datetime, cut: timedelta, rest: timedelta
) -> None:
    mid, end = start + cut, start + cut + rest
    whole = [(s.person, s.layer) for s in shifts(schedule, start, end)]
    left, right = shifts(schedule, start, mid), shifts(schedule, mid, end)
    joined = left + right
    if left and right and (left[-1].person, left[-1].layer) == (right[0].person, right[0].layer):
        joined = left[:-1] + [type(left[-1])(left[-1].person, left[-1].start, right[0].end, left[-1].layer)] + right[1:]
    assert [(s.person, s.layer) for s in joined] == whole
    assert [s.end for s in joined] == [s.end for s in shifts(schedule, start, end)]
