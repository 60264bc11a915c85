"""Build the escalation engine's setup from configuration and attach it to a database."""

from __future__ import annotations

from datetime import timedelta

from warroom.config import WarroomConfig
from warroom.db import Database
from warroom.escalation.service import EscalationSetup, listener


def setup_from(config: WarroomConfig) -> EscalationSetup:
    return EscalationSetup(
        policies={p.id: p for p in config.escalation_policies},
        service_policies={s.id: s.escalation_policy for s in config.services
                          if s.escalation_policy},
        oncall=config.oncall(),
        channels=config.channel_types(),
        scale=config.severity_scale(),
        condition_interval=timedelta(seconds=30),
        fallbacks={str(c["id"]): str(c["fallback"]) for c in config.channels
                   if c.get("fallback")},
    )


def attach(db: Database, config: WarroomConfig) -> EscalationSetup:
    """Make incident changes on `db` drive escalation (replacing any earlier wiring)."""
    setup = setup_from(config)
    db.listeners[:] = [listener(setup)]
    return setup
