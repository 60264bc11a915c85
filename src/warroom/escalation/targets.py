"""Who a policy target means at an instant, and which channels reach them (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.oncall.config import OnCallConfig, Person
from warroom.oncall.schedule import on_call_at

# Kinds of contact a person's notification rules name, and the channel types serving them.
RULE_CHANNEL_TYPES: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "sms": ("twilio_sms", "twilio"),
    "phone": ("twilio_voice", "twilio"),
    "chat": ("slack", "teams"),
    "push": ("apprise", "pagerduty", "opsgenie", "webhook"),
}


def resolve_target(ref: str, oncall: OnCallConfig, at: datetime) -> list[str]:
    """Person ids for `person:x`, `schedule:s` (who is on call at `at`), `team:t` (the
    team's schedule's on-call, else all members)."""
    kind, _, name = ref.partition(":")
    if kind == "person":
        return [name] if any(p.id == name for p in oncall.people) else []
    if kind == "schedule":
        try:
            return on_call_at(oncall.schedule(name), at)
        except KeyError:
            return []
    if kind == "team":
        team = next((t for t in oncall.teams if t.id == name), None)
        if team is None:
            return []
        if team.schedule:
            return on_call_at(oncall.schedule(team.schedule), at)
        return list(team.members)
    return []


@dataclass(frozen=True)
class ChannelChoice:
    channel_id: str
    delay: timedelta


def choose_channels(
    person: Person, severity: str, via: Sequence[str], channels: Mapping[str, str],
) -> list[ChannelChoice]:
    """Channels for one person: the level's `via`, else the person's rules for this
    severity (with their delays), else every email channel (or every channel) configured.

    `channels` maps channel id to channel type.
    """
    if via:
        return [ChannelChoice(c, timedelta(0)) for c in via if c in channels]
    rules = [r for r in person.notification_rules if r.severity == severity]
    if rules:
        chosen: list[ChannelChoice] = []
        for rule in rules:
            kinds = RULE_CHANNEL_TYPES.get(rule.channel, ())
            match = next((cid for cid, ctype in channels.items() if ctype in kinds), None)
            if match:
                chosen.append(ChannelChoice(match, rule.delay))
        if chosen:
            return chosen
    emails = [cid for cid, ctype in channels.items() if ctype == "email"]
    if emails and person.email:
        return [ChannelChoice(emails[0], timedelta(0))]
    return [ChannelChoice(cid, timedelta(0)) for cid, ctype in channels.items()
            if ctype in ("console", "webhook", "slack")][:1]
