"""Incident events, delivered to listeners inside the transaction that caused them.

Listeners (the escalation engine, for one) are attached to the `Database`, not to a
global registry, so each process wires its own and tests stay isolated. Whatever a
listener writes commits or rolls back together with the incident change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from warroom.incidents.models import Incident

HOOKS_KEY = "warroom.incident_listeners"


@dataclass(frozen=True)
class IncidentEvent:
    kind: str  # declared | acknowledged | investigating | ... | reopened | updated | role_assigned
    incident: Incident
    actor: str
    now: datetime
    details: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Session, IncidentEvent], None]


def emit(session: Session, event: IncidentEvent) -> None:
    for listener in session.info.get(HOOKS_KEY, ()):
        listener(session, event)
