"""Everything the alert pipeline needs from configuration, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from warroom.config import WarroomConfig
from warroom.incidents.service import SeverityPolicy
from warroom.routing.severity_map import SeverityMap
from warroom.routing.tree import Route, RouteCache
from warroom.suppression.inhibit import InhibitRule
from warroom.suppression.maintenance import MaintenanceWindow
from warroom.suppression.service import ActiveSilences
from warroom.triage.types import TypeRule


@dataclass(frozen=True)
class PipelineConfig:
    routes: Route
    policy: SeverityPolicy
    type_rules: tuple[TypeRule, ...]
    inhibit_rules: tuple[InhibitRule, ...]
    maintenance: tuple[MaintenanceWindow, ...]
    resolve_timeout: timedelta
    severity_map: SeverityMap = SeverityMap()
    # Read once a second (and after this process writes a silence), not once a batch.
    silences: ActiveSilences = field(default_factory=ActiveSilences, compare=False)
    # Routing decisions and group keys of `routes`, remembered (rebuilt with the config).
    routing: RouteCache = field(init=False, compare=False, repr=False)
    # Severities decided from labels, and severity ranks, remembered (see alerts.service).
    memo: dict[tuple[object, ...], object] = field(default_factory=dict, compare=False,
                                                   repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "routing", RouteCache(self.routes))

    @classmethod
    def from_config(cls, config: WarroomConfig, policy: SeverityPolicy) -> PipelineConfig:
        return cls(
            routes=config.routing_tree(), policy=policy, type_rules=config.type_rules(),
            inhibit_rules=tuple(config.inhibit_rules_built()),
            maintenance=tuple(config.maintenance_windows_built()),
            resolve_timeout=config.alerts.resolve_timeout,
        )
