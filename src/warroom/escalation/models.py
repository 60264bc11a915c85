"""ORM models: the escalation state frozen into an incident, and durable timers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, JSONType, UTCDateTime


class Escalation(Base):
    """An incident's escalation: the policy snapshot and its state. The level it has
    reached is on its timers (`service.position`), which firing writes anyway.

    `generation` changes whenever escalation is stopped or restarted; a timer carrying an
    older generation is stale and is discarded when it fires.
    """

    __tablename__ = "escalations"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))  # active | acknowledged | stopped
    generation: Mapped[int] = mapped_column(Integer, default=1)
    conditions_fired: Mapped[list[str]] = mapped_column(JSONType, default=list)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Timer(Base):
    """The next step of a chain (an escalation, reminders, condition checks), due at a time.
    Written in the transaction that made it necessary; the transaction that performs a
    step moves the same row on to the following step (`due_at`, `payload`), or marks it
    done when there is none, so a crash in between re-runs the step. `fired_at`: when the
    row last fired; past steps are on the incident's timeline."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # escalation | reminder | conditions
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
