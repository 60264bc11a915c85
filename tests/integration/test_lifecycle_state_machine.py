"""Hypothesis state machine: the incidents service on a real database against a tiny
reference model of the lifecycle written independently of `lifecycle.py`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from warroom.db import Database
from warroom.errors import InvalidTransition
from warroom.incidents import service
from warroom.incidents.lifecycle import Action
from warroom.incidents.schemas import IncidentCreate
from warroom.timeline import service as timeline

OPEN = {"triggered", "acknowledged", "investigating", "identified", "mitigated"}
# The reference: from which states each action is legal, and where it leads.
MODEL = {
    "acknowledge": ({"triggered"}, "acknowledged"),
    "investigate": (OPEN - {"investigating"}, "investigating"),
    "identify": (OPEN - {"identified"}, "identified"),
    "mitigate": (OPEN - {"mitigated"}, "mitigated"),
    "resolve": (OPEN, "resolved"),
    "close": ({"resolved"}, "closed"),
    "reopen": ({"resolved"}, "triggered"),
}
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def lifecycle_machine(db: Database) -> type[RuleBasedStateMachine]:
    class Lifecycle(RuleBasedStateMachine):
        @initialize()
        def declare(self) -> None:
            self.clock = START
            with db.transaction() as session:
                inc = service.declare(session, IncidentCreate(title="state machine"),
                                      actor="hypothesis", now=self.clock)
                self.ref = str(inc.id)
            self.status = "triggered"
            self.acked_at: datetime | None = None
            self.resolved_at: datetime | None = None
            self.entries = 1

        @rule(action=st.sampled_from(sorted(MODEL)), minutes=st.integers(0, 90))
        def act(self, action: str, minutes: int) -> None:
            self.clock += timedelta(minutes=minutes)
            allowed_from, target = MODEL[action]
            try:
                with db.transaction() as session:
                    inc = service.require_incident(session, self.ref, for_update=True)
                    service.act(session, inc, Action(action), actor="hypothesis", now=self.clock)
            except InvalidTransition as exc:
                assert self.status not in allowed_from, f"{action} from {self.status} refused"
                assert exc.current == self.status
                return
            assert self.status in allowed_from, f"{action} from {self.status} was allowed"
            self.status = target
            self.entries += 1
            if target in {"acknowledged", "investigating", "identified", "mitigated"}:
                self.acked_at = self.acked_at or self.clock
            if target == "resolved":
                self.resolved_at = self.clock
            if action == "reopen":
                self.resolved_at = None

        @invariant()
        def matches_model(self) -> None:
            with db.reading() as session:
                inc = service.require_incident(session, self.ref)
                assert inc.status == self.status
                assert inc.acknowledged_at == self.acked_at
                if self.status in ("resolved", "closed"):
                    assert inc.resolved_at == self.resolved_at
                else:
                    assert inc.resolved_at is None
                assert inc.closed_at is None or self.status == "closed"
                assert len(timeline.entries(session, inc.id)) == self.entries

    return Lifecycle


def test_lifecycle_matches_reference_model(db: Database) -> None:
    machine = lifecycle_machine(db)
    machine.TestCase.settings = settings(
        max_examples=30, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=list(HealthCheck),
    )
    machine.TestCase().runTest()
