"""Severity levels: configuration with the seeds' defaults, and name/alias resolution."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from warroom.errors import UnknownSeverity


@dataclass(frozen=True)
class SeverityLevel:
    """One level of the scale (SEV1 is the most severe) and what it demands of responders."""

    name: str
    rank: int
    aliases: tuple[str, ...] = ()
    description: str = ""
    response_time: timedelta = timedelta(0)
    update_every: timedelta | None = None
    required_roles: tuple[str, ...] = ()
    record_priority: str = "P4"  # the seed-004 incident record's P1-P4 enum


@dataclass(frozen=True)
class SeverityScale:
    """The ordered set of levels, resolving names and aliases case-insensitively."""

    levels: tuple[SeverityLevel, ...]
    default: str
    _index: dict[str, SeverityLevel] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, SeverityLevel] = {}
        for level in self.levels:
            for key in (level.name, *level.aliases):
                index[key.casefold()] = level
        object.__setattr__(self, "_index", index)

    @property
    def names(self) -> list[str]:
        return [lvl.name for lvl in sorted(self.levels, key=lambda lvl: lvl.rank)]

    @property
    def accepted(self) -> list[str]:
        """Every spelling accepted as input, canonical names first."""
        names = self.names
        aliases = [a for lvl in sorted(self.levels, key=lambda v: v.rank) for a in lvl.aliases]
        return names + aliases

    def get(self, name: str) -> SeverityLevel | None:
        return self._index.get(name.strip().casefold())

    def require(self, name: str) -> SeverityLevel:
        level = self.get(name)
        if level is None:
            raise UnknownSeverity(name, self.accepted)
        return level

    def canonical(self, name: str) -> str:
        return self.require(name).name


def _minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


DEFAULT_LEVELS: tuple[SeverityLevel, ...] = (
    SeverityLevel(
        "SEV1", 1, ("P1", "critical"), "Complete outage, all users affected",
        timedelta(0), _minutes(15),
        ("incident_commander", "tech_lead", "comms_lead", "scribe"), "P1",
    ),
    SeverityLevel(
        "SEV2", 2, ("P2", "high"), "Major feature broken, many users affected",
        _minutes(15), _minutes(30), ("incident_commander", "tech_lead", "comms_lead"), "P2",
    ),
    SeverityLevel(
        "SEV3", 3, ("P3", "medium"), "Minor feature broken, some users affected",
        _minutes(60), _minutes(120), ("tech_lead",), "P3",
    ),
    SeverityLevel(
        "SEV4", 4, ("P4", "low"), "Cosmetic issue, minimal impact",
        timedelta(days=1), timedelta(days=1), (), "P4",
    ),
)


def default_scale() -> SeverityScale:
    return SeverityScale(DEFAULT_LEVELS, default="SEV3")


def scale_from(levels: Iterable[SeverityLevel], default: str) -> SeverityScale:
    return SeverityScale(tuple(levels), default=default)
