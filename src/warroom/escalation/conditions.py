"""Conditions in CEL (Common Expression Language): safe, side-effect free, no `eval`.

The activation exposes `incident` (its fields) and `minutes_open`, e.g.
`incident.severity == "SEV1" && minutes_open >= 60.0` or `incident.data_loss`.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from warroom.incidents.models import Incident


class ConditionError(ValueError):
    pass


@lru_cache(maxsize=1)
def _environment() -> Any:
    """The CEL environment, built on first use: most configurations have no conditions,
    and cel-python with its parser is several MiB a server need not hold for nothing."""
    import celpy

    return celpy.Environment()


@lru_cache(maxsize=512)
def compile_condition(expression: str) -> Any:
    env = _environment()
    try:
        return env.program(env.compile(expression))
    except Exception as exc:  # celpy raises its own parse errors
        raise ConditionError(f"invalid condition {expression!r}: {exc}") from None


def activation(incident: Incident, now: datetime) -> dict[str, Any]:
    fields = {
        "severity": incident.severity, "status": incident.status, "type": incident.type,
        "title": incident.title, "services": incident.service_names,
        "labels": dict(incident.labels or {}),
        "data_loss": bool(incident.data_loss), "security_incident": bool(incident.security_incident),
        "core_feature_affected": bool(incident.core_feature_affected),
        "revenue_impact_per_hour": float(incident.revenue_impact_per_hour or 0.0),
        "affected_users_pct": float(incident.affected_users_pct or 0.0),
        "error_rate_pct": float(incident.error_rate_pct or 0.0),
        "acknowledged": incident.acknowledged_at is not None,
    }
    import celpy

    minutes = (now - incident.triggered_at).total_seconds() / 60.0
    return {"incident": celpy.json_to_cel(fields), "minutes_open": celpy.json_to_cel(minutes)}


def holds(expression: str, incident: Incident, now: datetime) -> bool:
    """Whether the condition holds; an evaluation error counts as not holding."""
    import celpy

    try:
        result = compile_condition(expression).evaluate(activation(incident, now))
    except Exception:
        return False
    return bool(result) if isinstance(result, bool | celpy.celtypes.BoolType) else False
