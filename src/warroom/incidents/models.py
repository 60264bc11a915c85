"""ORM models of the incidents domain."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db.base import Base, JSONType, UTCDateTime
from warroom.incidents.lifecycle import Status


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(32), index=True)
    type: Mapped[str] = mapped_column(String(64), default="unknown")
    status: Mapped[str] = mapped_column(String(32), default=Status.TRIGGERED.value, index=True)
    source: Mapped[str] = mapped_column(String(32), default="human")
    labels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    root_cause: Mapped[str | None] = mapped_column(Text, nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(200), nullable=True)
    escalation_policy: Mapped[str | None] = mapped_column(String(200), nullable=True)
    drill: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    affected_users_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    error_rate_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    revenue_impact_per_hour: Mapped[float | None] = mapped_column(Float, nullable=True)
    security_incident: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    data_loss: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    core_feature_affected: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    triggered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    investigating_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    identified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    services: Mapped[list[IncidentService]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", lazy="selectin",
        order_by="IncidentService.service",
    )
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", lazy="selectin",
        order_by="RoleAssignment.assigned_at",
    )

    @property
    def reference(self) -> str:
        return f"INC-{self.number}"

    @property
    def service_names(self) -> list[str]:
        return sorted(s.service for s in self.services)


class IncidentService(Base):
    """An affected service; a table rather than a JSON list so lists filter by service."""

    __tablename__ = "incident_services"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    service: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    incident: Mapped[Incident] = relationship(back_populates="services")


class RoleAssignment(Base):
    """Who holds a response role (seed 002) on an incident."""

    __tablename__ = "incident_roles"
    __table_args__ = (UniqueConstraint("incident_id", "role", "person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))
    person: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str] = mapped_column(String(200))
    incident: Mapped[Incident] = relationship(back_populates="roles")


class Counter(Base):
    """Named monotonically increasing counters (incident numbers); the row lock orders them."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
