"""ORM models of stored alerts and their correlation groups."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, JSONType, UTCDateTime


class Alert(Base):
    """The latest state of one alert identity (fingerprint); repeats update it in place."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_status_ends", "status", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # firing | resolved
    labels: Mapped[dict[str, str]] = mapped_column(JSONType)
    annotations: Mapped[dict[str, str]] = mapped_column(JSONType)
    summary: Mapped[str] = mapped_column(Text)
    severity_hint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    dedup_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    generator_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_format: Mapped[str] = mapped_column(String(32))
    integration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL"), nullable=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    receive_count: Mapped[int] = mapped_column(Integer, default=1)
    route_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    group_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    service: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Why it was not paged when it arrived: {"silenced_by": [...], "inhibited_by": [...],
    # "maintenance": [...]}; empty when it went through.
    suppressed: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class AlertGroup(Base):
    """The incident a correlation group currently feeds; its row lock orders concurrent
    alerts of the same group so they never open two incidents."""

    __tablename__ = "alert_groups"

    group_key: Mapped[str] = mapped_column(String(1000), primary_key=True)
    route_id: Mapped[str] = mapped_column(String(200))
    incident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True
    )
    last_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AlertIntake(Base):
    """A request's alerts accepted under load but not processed yet: the durable copy
    the alert writer answers on (`alerts.writer`), deleted in the transaction that
    processes them. A row left by a process that stopped is processed by any writer; one
    that failed to process is kept with its error (`failed_at`), never retried blindly."""

    __tablename__ = "alert_intake"

    # Random, chosen by the writer (`alerts.intake.journal`): never reused.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None once the integration is deleted: its accepted alerts are still processed.
    integration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL"), nullable=True)
    format: Mapped[str] = mapped_column(String(32))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    alert_count: Mapped[int] = mapped_column(Integer)  # how many of the body's alerts count
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
