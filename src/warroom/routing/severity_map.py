"""Translate the severity words monitoring tools use into warroom's SEV1..SEV4.

Unknown words map to None so the caller, not this table, decides the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "DEFAULT_SEVERITY_MAP",
    "Severity",
    "SeverityMap",
    "map_severity",
    "parse_severity",
]


class Severity(StrEnum):
    """Incident severity; SEV1 is the most severe."""

    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"

    @property
    def rank(self) -> int:
        """1 for SEV1 ... 4 for SEV4, for "at least as severe as" comparisons."""
        return int(self.value[3:])


DEFAULT_SEVERITY_MAP: Mapping[str, Severity] = MappingProxyType(
    {
        "critical": Severity.SEV1,
        "high": Severity.SEV2,
        "error": Severity.SEV2,
        "warning": Severity.SEV3,
        "info": Severity.SEV4,
    }
)

_CANONICAL = re.compile(r"(?:sev|p)([1-4])", re.IGNORECASE)


def parse_severity(value: str) -> Severity | None:
    """Read the canonical spellings only: `SEV1`..`SEV4` and `P1`..`P4`, any case."""
    found = _CANONICAL.fullmatch(value.strip())
    return Severity(f"SEV{found.group(1)}") if found else None


def _coerce(value: Severity | str) -> Severity:
    if isinstance(value, Severity):
        return value
    severity = parse_severity(value)
    if severity is None:
        raise ValueError(f"unknown severity {value!r}: expected SEV1..SEV4 or P1..P4")
    return severity


@dataclass(frozen=True)
class SeverityMap:
    """Default words plus per-deployment overrides (keys are case-insensitive)."""

    overrides: Mapping[str, Severity] = field(default_factory=dict)

    def __post_init__(self) -> None:
        normalized = {key.strip().lower(): _coerce(sev) for key, sev in self.overrides.items()}
        object.__setattr__(self, "overrides", MappingProxyType(normalized))

    def lookup(self, value: str | None) -> Severity | None:
        """Overrides first, then the default words, then SEVn/Pn; otherwise None."""
        if value is None:
            return None
        key = value.strip().lower()
        if not key:
            return None
        if key in self.overrides:
            return self.overrides[key]
        if key in DEFAULT_SEVERITY_MAP:
            return DEFAULT_SEVERITY_MAP[key]
        return parse_severity(key)


def map_severity(
    value: str | None, overrides: Mapping[str, Severity | str] | None = None
) -> Severity | None:
    """One-shot form of `SeverityMap(overrides).lookup(value)`."""
    mapping = SeverityMap({k: _coerce(v) for k, v in (overrides or {}).items()})
    return mapping.lookup(value)
