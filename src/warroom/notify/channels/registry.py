"""The explicit list of built-in channels, and third-party ones from entry points."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from warroom.notify.channels.apprise import AppriseChannel
from warroom.notify.channels.base import Channel
from warroom.notify.channels.console import ConsoleChannel
from warroom.notify.channels.email import EmailChannel
from warroom.notify.channels.opsgenie import OpsgenieChannel
from warroom.notify.channels.pagerduty import PagerDutyChannel
from warroom.notify.channels.slack import SlackChannel
from warroom.notify.channels.teams import TeamsChannel
from warroom.notify.channels.twilio import TwilioChannel
from warroom.notify.channels.webhook import WebhookChannel
from warroom.notify.config import ChannelConfig

ENTRY_POINT_GROUP = "warroom.channels"

ChannelFactory = Callable[[Any], Channel]

BUILTIN: dict[str, ChannelFactory] = {
    "email": EmailChannel,
    "webhook": WebhookChannel,
    "slack": SlackChannel,
    "teams": TeamsChannel,
    "pagerduty": PagerDutyChannel,
    "opsgenie": OpsgenieChannel,
    "twilio": TwilioChannel,
    "apprise": AppriseChannel,
    "console": ConsoleChannel,
}


def plugin_factories() -> dict[str, ChannelFactory]:
    """Third-party channel factories: entry point name = type slug, value = `factory(config)`."""
    return {ep.name: ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)}


def build_channel(config: ChannelConfig | Any) -> Channel:
    """The channel for `config`: built-ins by `config.type`, then `warroom.channels` plugins.

    Pass a config whose secrets were resolved (`config.resolve_secrets(environ)`).
    """
    factory = BUILTIN.get(config.type)
    if factory is None:
        # Built-ins win: a plugin cannot shadow a built-in slug.
        factory = plugin_factories().get(config.type)
    if factory is None:
        known = ", ".join(sorted(BUILTIN))
        raise ValueError(f"unknown channel type {config.type!r}; built-in types: {known}")
    return factory(config)
