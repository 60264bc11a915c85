"""Inhibition: a firing "cause" alert mutes its symptoms (Alertmanager inhibit_rules)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from warroom.routing.matchers import Matcher, matches_all

__all__ = ["Inhibition", "InhibitRule", "inhibited_by"]


@dataclass(frozen=True)
class InhibitRule:
    """Targets are muted while a source alert fires with the same `equal` label values."""

    source_matchers: tuple[Matcher, ...] = ()
    target_matchers: tuple[Matcher, ...] = ()
    equal: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "source_matchers", tuple(self.source_matchers))
        object.__setattr__(self, "target_matchers", tuple(self.target_matchers))
        object.__setattr__(self, "equal", tuple(self.equal))

    def is_source(self, labels: Mapping[str, str]) -> bool:
        return matches_all(self.source_matchers, labels)

    def is_target(self, labels: Mapping[str, str]) -> bool:
        return matches_all(self.target_matchers, labels)

    def inhibiting_source(
        self, target_labels: Mapping[str, str], firing_alerts: Iterable[Mapping[str, str]]
    ) -> Mapping[str, str] | None:
        """The first firing alert that inhibits `target_labels` under this rule, if any.

        As in Alertmanager, when the target matches both sides of the rule, only
        sources that do not themselves match the target side count; so an alert
        never inhibits itself and two "both-sided" alerts cannot mute each other.
        A label missing on both alerts counts as equal (both are the empty string).
        """
        if not self.is_target(target_labels):
            return None
        two_sided = self.is_source(target_labels)
        for source in firing_alerts:
            if not self.is_source(source):
                continue
            if any(source.get(n, "") != target_labels.get(n, "") for n in self.equal):
                continue
            if two_sided and self.is_target(source):
                continue
            return source
        return None


@dataclass(frozen=True)
class Inhibition:
    """Why an alert is inhibited: which rule (index in config order) and which source."""

    rule_index: int
    rule: InhibitRule
    source_labels: Mapping[str, str]


def inhibited_by(
    target_labels: Mapping[str, str],
    firing_alerts: Iterable[Mapping[str, str]],
    rules: Sequence[InhibitRule],
) -> Inhibition | None:
    """The first rule and source alert that inhibit the target, or None.

    `firing_alerts` are the label sets of all currently firing (unresolved) alerts;
    each rule picks its own sources from them. Silenced alerts still inhibit.
    """
    alerts = list(firing_alerts)
    for index, rule in enumerate(rules):
        source = rule.inhibiting_source(target_labels, alerts)
        if source is not None:
            return Inhibition(index, rule, source)
    return None
