"""The lifecycle's pure transition function and milestone rules."""

from datetime import UTC, datetime

import pytest

from warroom.errors import InvalidTransition
from warroom.incidents.lifecycle import Action, Status, milestone_updates, transition

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        (Status.TRIGGERED, Action.ACKNOWLEDGE, Status.ACKNOWLEDGED),
        (Status.TRIGGERED, Action.INVESTIGATE, Status.INVESTIGATING),  # ack is skippable
        (Status.TRIGGERED, Action.RESOLVE, Status.RESOLVED),
        (Status.ACKNOWLEDGED, Action.IDENTIFY, Status.IDENTIFIED),
        (Status.MITIGATED, Action.INVESTIGATE, Status.INVESTIGATING),  # the fix did not hold
        (Status.RESOLVED, Action.REOPEN, Status.TRIGGERED),
        (Status.RESOLVED, Action.CLOSE, Status.CLOSED),
    ],
)
def test_allowed_transitions(current: Status, action: Action, expected: Status) -> None:
    assert transition(current, action) is expected


@pytest.mark.parametrize(
    ("current", "action"),
    [
        (Status.ACKNOWLEDGED, Action.ACKNOWLEDGE),
        (Status.INVESTIGATING, Action.ACKNOWLEDGE),
        (Status.RESOLVED, Action.RESOLVE),
        (Status.TRIGGERED, Action.CLOSE),
        (Status.TRIGGERED, Action.REOPEN),
        (Status.RESOLVED, Action.INVESTIGATE),
    ],
)
def test_forbidden_transitions_name_both_states(current: Status, action: Action) -> None:
    with pytest.raises(InvalidTransition) as info:
        transition(current, action)
    assert info.value.current == current.value
    assert current.value in info.value.message and action.value in info.value.message


@pytest.mark.parametrize("action", list(Action))
def test_closed_is_final(action: Action) -> None:
    with pytest.raises(InvalidTransition):
        transition(Status.CLOSED, action)


def test_starting_work_counts_as_acknowledgement() -> None:
    updates = milestone_updates({"acknowledged_at": None}, Action.INVESTIGATE,
                                Status.INVESTIGATING, NOW)
    assert updates == {"investigating_at": NOW, "acknowledged_at": NOW}


def test_resolving_unanswered_incident_is_not_an_acknowledgement() -> None:
    updates = milestone_updates({"acknowledged_at": None}, Action.RESOLVE, Status.RESOLVED, NOW)
    assert updates == {"resolved_at": NOW}


def test_first_milestone_is_kept_and_reopen_clears_resolution() -> None:
    earlier = datetime(2026, 1, 1, 11, 0, tzinfo=UTC)
    again = milestone_updates({"investigating_at": earlier, "acknowledged_at": earlier},
                              Action.INVESTIGATE, Status.INVESTIGATING, NOW)
    assert again == {}
    reopened = milestone_updates({"resolved_at": earlier}, Action.REOPEN, Status.TRIGGERED, NOW)
    assert reopened == {"resolved_at": None, "closed_at": None, "reopened_at": NOW}
