"""The on-call API: people, teams, schedules, who is on call, shifts and iCal feeds.

Every answer is pinned to a fixed instant passed as `at`/`start`/`end`, except the tests
whose point is "now", which check that the default agrees with asking for that instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import icalendar
import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.config import WarroomConfig
from warroom.config.loader import parse_config
from warroom.db import Database
from warroom.oncall.routes import router
from warroom.settings import Settings

ONCALL = """
people:
  - id: alice
    name: Alice Example
    email: alice@example.com
    phone: "+4915550100"
    timezone: Europe/Berlin
    chat: {slack: U123}
    notification_rules:
      - {severity: sev1, channel: sms}
      - {severity: SEV1, channel: phone, delay: 5m}
  - {id: bob, name: Bob}
  - {id: carol, name: Carol, timezone: America/New_York}
teams:
  - {id: payments, name: Payments, members: [alice, bob], schedule: primary}
schedules:
  - id: primary
    name: Payments primary
    timezone: Europe/Berlin
    rotation:
      type: weekly
      handoff: "monday 09:00"
      start: "2026-01-05T09:00"
      members: [alice, bob, carol]
    overrides:
      - {person: carol, start: "2026-02-03T12:00", end: "2026-02-04T12:00"}
  - id: daily
    timezone: Europe/Berlin
    rotation:
      type: daily
      handoff: "09:00"
      start: "2026-03-27T09:00"
      members: [alice, bob]
"""

# Weekly "primary" (Europe/Berlin, 09:00 = 08:00Z in winter): alice from Jan 5, bob Jan 12,
# carol Jan 19, alice Jan 26, bob Feb 2 (carol's override Feb 3 11:00Z - Feb 4 11:00Z),
# carol Feb 9, ... carol again Mar 23 08:00Z - Mar 30 07:00Z across the DST change.


@pytest.fixture
def config() -> WarroomConfig:
    return parse_config(ONCALL)


@pytest.fixture
def client(settings: Settings, config: WarroomConfig, db: Database) -> Iterator[TestClient]:
    app = create_app(settings, config=config, db=db)
    if not any(getattr(r, "path", None) == "/api/v1/oncall" for r in app.routes):
        app.include_router(router)  # until warroom.api.app wires the on-call routes itself
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def viewer(make_token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token('viewer', 'vera')}"}


def _get(client: TestClient, headers: dict[str, str], path: str, status: int = 200,
         **params: object) -> object:
    response = client.get(path, headers=headers, params=params)
    assert response.status_code == status, response.text
    return response.json()


def _spans(shifts: list[dict[str, str]]) -> list[tuple[str, str, str, str]]:
    return [(s["person"], s["layer"], s["start"], s["end"]) for s in shifts]


ENDPOINTS = [
    "/api/v1/people", "/api/v1/people/alice", "/api/v1/people/alice/ical", "/api/v1/teams",
    "/api/v1/schedules", "/api/v1/schedules/primary", "/api/v1/schedules/primary/oncall",
    "/api/v1/schedules/primary/shifts", "/api/v1/schedules/primary/ical", "/api/v1/oncall",
]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_needs_a_token(client: TestClient, viewer: dict[str, str],
                                      path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get(path, headers=viewer).status_code == 200


def test_people_with_notification_rules_and_teams(client: TestClient,
                                                  viewer: dict[str, str]) -> None:
    people = _get(client, viewer, "/api/v1/people")
    assert [p["id"] for p in people] == ["alice", "bob", "carol"]
    alice = _get(client, viewer, "/api/v1/people/alice")
    assert alice == people[0]
    assert alice == {
        "id": "alice", "name": "Alice Example", "email": "alice@example.com",
        "phone": "+4915550100", "timezone": "Europe/Berlin", "chat": {"slack": "U123"},
        "notification_rules": [
            {"severity": "SEV1", "channel": "sms", "delay_seconds": 0.0},
            {"severity": "SEV1", "channel": "phone", "delay_seconds": 300.0},
        ],
        "teams": ["payments"],
    }
    assert people[2]["teams"] == [] and people[2]["notification_rules"] == []

    missing = client.get("/api/v1/people/zed", headers=viewer)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "unknown person 'zed'", "error": "not_found"}


def test_teams(client: TestClient, viewer: dict[str, str]) -> None:
    assert _get(client, viewer, "/api/v1/teams") == [
        {"id": "payments", "name": "Payments", "members": ["alice", "bob"],
         "schedule": "primary"}]


def test_oncall_at_fixed_instants_with_override(client: TestClient,
                                                viewer: dict[str, str]) -> None:
    path = "/api/v1/schedules/primary/oncall"
    before = _get(client, viewer, path, at="2026-02-03T10:00:00Z")
    assert before["on_call"] == ["bob"] and before["at"] == "2026-02-03T10:00:00Z"
    assert before["timezone"] == "Europe/Berlin" and before["name"] == "Payments primary"
    assert before["shift"] == {
        "schedule": "primary", "person": "bob", "layer": "default",
        "start": "2026-02-02T08:00:00Z", "end": "2026-02-03T11:00:00Z",
        "start_local": "2026-02-02T09:00:00+01:00", "end_local": "2026-02-03T12:00:00+01:00",
        "timezone": "Europe/Berlin"}

    during = _get(client, viewer, path, at="2026-02-03T12:30:00+01:00")  # 11:30Z
    assert during["on_call"] == ["carol"] and during["at"] == "2026-02-03T11:30:00Z"
    assert (during["shift"]["layer"], during["shift"]["start"], during["shift"]["end"]) == (
        "override", "2026-02-03T11:00:00Z", "2026-02-04T11:00:00Z")

    after = _get(client, viewer, path, at="2026-02-04T11:00:00Z")  # the override's end
    assert after["on_call"] == ["bob"]
    assert after["shift"]["start"] == "2026-02-04T11:00:00Z"
    assert after["shift"]["end"] == "2026-02-09T08:00:00Z"


def test_an_unencoded_plus_in_the_query_string_still_means_an_offset(
    client: TestClient, viewer: dict[str, str]
) -> None:
    # curl users write ?at=...+01:00 unencoded; the "+" arrives as a space.
    response = client.get("/api/v1/schedules/primary/oncall?at=2026-02-03T12:30:00+01:00",
                          headers=viewer)
    assert response.status_code == 200, response.text
    assert response.json()["at"] == "2026-02-03T11:30:00Z"


def test_overview_lists_every_schedule(client: TestClient, viewer: dict[str, str]) -> None:
    data = _get(client, viewer, "/api/v1/oncall", at="2026-03-29T12:00:00Z")
    assert data["at"] == "2026-03-29T12:00:00Z"
    assert [(s["schedule"], s["on_call"]) for s in data["schedules"]] == [
        ("primary", ["carol"]), ("daily", ["alice"])]
    daily = data["schedules"][1]["shift"]
    assert (daily["start"], daily["end"]) == ("2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z")


def test_schedules_show_now_and_next_three_shifts(client: TestClient,
                                                  viewer: dict[str, str]) -> None:
    schedules = _get(client, viewer, "/api/v1/schedules", at="2026-02-03T10:00:00Z")
    assert [s["id"] for s in schedules] == ["primary", "daily"]
    primary = schedules[0]
    assert primary["layers"] == ["default"] and primary["overrides"] == 1
    assert primary["now"]["on_call"] == ["bob"]
    assert _spans(primary["next_shifts"]) == [
        ("bob", "default", "2026-02-03T10:00:00Z", "2026-02-03T11:00:00Z"),
        ("carol", "override", "2026-02-03T11:00:00Z", "2026-02-04T11:00:00Z"),
        ("bob", "default", "2026-02-04T11:00:00Z", "2026-02-09T08:00:00Z"),
    ]
    one = _get(client, viewer, "/api/v1/schedules/primary", at="2026-02-03T10:00:00Z")
    assert one == primary


def test_default_now_agrees_with_asking_for_that_instant(client: TestClient,
                                                         viewer: dict[str, str]) -> None:
    before = datetime.now(UTC)
    implicit = _get(client, viewer, "/api/v1/oncall")
    after = datetime.now(UTC)
    at = datetime.fromisoformat(implicit["at"].replace("Z", "+00:00"))
    assert before <= at <= after
    assert _get(client, viewer, "/api/v1/oncall", at=implicit["at"]) == implicit

    listed = _get(client, viewer, "/api/v1/schedules")
    at = listed[0]["now"]["at"]
    assert _get(client, viewer, "/api/v1/schedules", at=at) == listed
    assert listed[0]["now"] == _get(client, viewer, "/api/v1/schedules/primary/oncall", at=at)
    assert len(listed[0]["next_shifts"]) == 3


def test_shifts_in_a_range(client: TestClient, viewer: dict[str, str]) -> None:
    page = _get(client, viewer, "/api/v1/schedules/primary/shifts",
                start="2026-02-02T00:00:00Z", end="2026-02-10T00:00:00Z")
    assert (page["schedule"], page["timezone"], page["start"], page["end"]) == (
        "primary", "Europe/Berlin", "2026-02-02T00:00:00Z", "2026-02-10T00:00:00Z")
    assert _spans(page["shifts"]) == [
        ("alice", "default", "2026-02-02T00:00:00Z", "2026-02-02T08:00:00Z"),
        ("bob", "default", "2026-02-02T08:00:00Z", "2026-02-03T11:00:00Z"),
        ("carol", "override", "2026-02-03T11:00:00Z", "2026-02-04T11:00:00Z"),
        ("bob", "default", "2026-02-04T11:00:00Z", "2026-02-09T08:00:00Z"),
        ("carol", "default", "2026-02-09T08:00:00Z", "2026-02-10T00:00:00Z"),
    ]
    carol = _get(client, viewer, "/api/v1/schedules/primary/shifts", person="carol",
                 start="2026-02-02T00:00:00Z", end="2026-02-10T00:00:00Z")
    assert [s["layer"] for s in carol["shifts"]] == ["override", "default"]
    default_end = _get(client, viewer, "/api/v1/schedules/primary/shifts",
                       start="2026-02-02T00:00:00Z")
    assert default_end["end"] == "2026-02-16T00:00:00Z"


def test_daily_rotation_keeps_the_local_handoff_across_spring_forward(
    client: TestClient, viewer: dict[str, str]
) -> None:
    page = _get(client, viewer, "/api/v1/schedules/daily/shifts",
                start="2026-03-27T00:00:00Z", end="2026-03-31T00:00:00Z")
    shifts = page["shifts"][1:]  # the first is the pre-start shift, clipped at `start`
    assert [(s["person"], s["start"]) for s in shifts] == [
        ("alice", "2026-03-27T08:00:00Z"),
        ("bob", "2026-03-28T08:00:00Z"),
        ("alice", "2026-03-29T07:00:00Z"),  # CEST from 2026-03-29 02:00 local
        ("bob", "2026-03-30T07:00:00Z"),
    ]
    assert [s["start_local"] for s in shifts] == [
        "2026-03-27T09:00:00+01:00", "2026-03-28T09:00:00+01:00",
        "2026-03-29T09:00:00+02:00", "2026-03-30T09:00:00+02:00"]
    assert shifts[1]["end"] == "2026-03-29T07:00:00Z"  # a 23-hour day
    weekly = _get(client, viewer, "/api/v1/schedules/primary/oncall", at="2026-03-29T12:00:00Z")
    assert (weekly["shift"]["start"], weekly["shift"]["end"]) == (
        "2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z")


@pytest.mark.parametrize(("params", "fragment"), [
    ({"start": "2026-01-01T00:00:00Z", "end": "2026-04-02T00:00:00Z"}, "at most 90 days"),
    ({"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "end must be after"),
    ({"start": "yesterday"}, "not an RFC 3339 time"),
    ({"start": "2026-01-01T00:00:00"}, "no UTC offset"),
    ({"start": "2026-01-01T00:00:00Z", "end": "9999-12-31T23:59:59Z"}, "outside"),
])
def test_bad_shift_ranges_are_422(client: TestClient, viewer: dict[str, str],
                                  params: dict[str, str], fragment: str) -> None:
    response = client.get("/api/v1/schedules/primary/shifts", headers=viewer, params=params)
    assert response.status_code == 422, response.text
    assert fragment in response.json()["detail"]


def test_exactly_90_days_is_allowed(client: TestClient, viewer: dict[str, str]) -> None:
    _get(client, viewer, "/api/v1/schedules/primary/shifts",
         start="2026-01-01T00:00:00Z", end="2026-04-01T00:00:00Z")


@pytest.mark.parametrize("path", ["/api/v1/oncall", "/api/v1/schedules",
                                  "/api/v1/schedules/primary/oncall",
                                  "/api/v1/schedules/primary/ical"])
@pytest.mark.parametrize("at", ["tomorrow", "2026-02-03 10:00", "0001-01-01T00:00:00+01:00",
                                "2026-13-01T00:00:00Z"])
def test_bad_times_are_422(client: TestClient, viewer: dict[str, str], path: str,
                           at: str) -> None:
    response = client.get(path, headers=viewer, params={"at": at})
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("path", ["/api/v1/schedules/nope/oncall",
                                  "/api/v1/schedules/nope/shifts", "/api/v1/schedules/nope",
                                  "/api/v1/schedules/nope/ical"])
def test_unknown_schedules_are_404_naming_them(client: TestClient, viewer: dict[str, str],
                                               path: str) -> None:
    response = client.get(path, headers=viewer)
    assert response.status_code == 404
    assert response.json()["detail"] == "unknown schedule 'nope'"


def test_shifts_for_an_unknown_person_are_404(client: TestClient,
                                              viewer: dict[str, str]) -> None:
    response = client.get("/api/v1/schedules/primary/shifts", headers=viewer,
                          params={"person": "zed"})
    assert response.status_code == 404 and "'zed'" in response.json()["detail"]


def _events(response: object) -> list[icalendar.Event]:
    cal = icalendar.Calendar.from_ical(response.content)  # type: ignore[attr-defined]
    return list(cal.walk("VEVENT"))


def test_schedule_ical_parses_back(client: TestClient, viewer: dict[str, str]) -> None:
    response = client.get("/api/v1/schedules/primary/ical", headers=viewer,
                          params={"at": "2026-02-03T12:00:00Z", "past_days": 7, "days": 14})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    assert 'filename="oncall-primary.ics"' in response.headers["content-disposition"]
    cal = icalendar.Calendar.from_ical(response.content)
    assert str(cal["X-WR-CALNAME"]) == "On-call: Payments primary"
    spans = [(str(e["SUMMARY"]).split()[0], e.decoded("DTSTART"), e.decoded("DTEND"))
             for e in cal.walk("VEVENT")]
    z = UTC
    assert spans == [
        ("alice", datetime(2026, 1, 26, 8, tzinfo=z), datetime(2026, 2, 2, 8, tzinfo=z)),
        ("bob", datetime(2026, 2, 2, 8, tzinfo=z), datetime(2026, 2, 3, 11, tzinfo=z)),
        ("carol", datetime(2026, 2, 3, 11, tzinfo=z), datetime(2026, 2, 4, 11, tzinfo=z)),
        ("bob", datetime(2026, 2, 4, 11, tzinfo=z), datetime(2026, 2, 9, 8, tzinfo=z)),
        ("carol", datetime(2026, 2, 9, 8, tzinfo=z), datetime(2026, 2, 16, 8, tzinfo=z)),
        ("alice", datetime(2026, 2, 16, 8, tzinfo=z), datetime(2026, 2, 23, 8, tzinfo=z)),
    ]
    assert len({str(e["UID"]) for e in cal.walk("VEVENT")}) == len(spans)


def test_person_ical_spans_schedules(client: TestClient, viewer: dict[str, str]) -> None:
    response = client.get("/api/v1/people/bob/ical", headers=viewer,
                          params={"at": "2026-04-06T12:00:00Z", "past_days": 1, "days": 1})
    assert response.status_code == 200, response.text
    assert 'filename="oncall-bob.ics"' in response.headers["content-disposition"]
    events = _events(response)
    assert [(str(e["SUMMARY"]), e.decoded("DTSTART"), e.decoded("DTEND")) for e in events] == [
        ("On call: daily", datetime(2026, 4, 5, 7, tzinfo=UTC), datetime(2026, 4, 6, 7, tzinfo=UTC)),
        ("On call: Payments primary", datetime(2026, 4, 6, 7, tzinfo=UTC),
         datetime(2026, 4, 13, 7, tzinfo=UTC)),
        ("On call: daily", datetime(2026, 4, 7, 7, tzinfo=UTC), datetime(2026, 4, 8, 7, tzinfo=UTC)),
    ]
    assert all("person=bob" in str(e["DESCRIPTION"]) for e in events)
    assert client.get("/api/v1/people/zed/ical", headers=viewer).status_code == 404


def test_ical_default_window_covers_30_days_back_and_90_ahead(
    client: TestClient, viewer: dict[str, str]
) -> None:
    at = datetime(2026, 6, 1, 12, tzinfo=UTC)
    events = _events(client.get("/api/v1/schedules/daily/ical", headers=viewer,
                                params={"at": at.isoformat()}))
    starts = [e.decoded("DTSTART") for e in events]
    assert min(starts) <= datetime(2026, 5, 2, 12, tzinfo=UTC)
    assert max(e.decoded("DTEND") for e in events) >= datetime(2026, 8, 30, 12, tzinfo=UTC)
    assert 120 <= len(events) <= 123


@pytest.mark.parametrize("params", [{"days": 0}, {"days": 367}, {"past_days": -1},
                                    {"past_days": 91}, {"days": "many"}])
def test_ical_window_is_bounded(client: TestClient, viewer: dict[str, str],
                                params: dict[str, object]) -> None:
    response = client.get("/api/v1/schedules/primary/ical", headers=viewer, params=params)
    assert response.status_code == 422


def test_empty_configuration_gives_empty_answers(
    settings: Settings, db: Database, viewer: dict[str, str]
) -> None:
    app = create_app(settings, config=WarroomConfig(), db=db)
    if not any(getattr(r, "path", None) == "/api/v1/oncall" for r in app.routes):
        app.include_router(router)
    with TestClient(app) as empty:
        assert _get(empty, viewer, "/api/v1/people") == []
        assert _get(empty, viewer, "/api/v1/schedules") == []
        assert _get(empty, viewer, "/api/v1/oncall", at="2026-01-01T00:00:00Z") == {
            "at": "2026-01-01T00:00:00Z", "schedules": []}
