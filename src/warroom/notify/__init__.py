"""Notify: render a message per channel and hand it to a channel plugin.

The escalation engine writes one delivery row per (person, channel) and, after commit, the
delivery service calls `render(message, channel.type, overrides=...)` then `channel.send(...)`;
channels raise `RetryableDeliveryError` or `PermanentDeliveryError` and never retry themselves.
"""

from warroom.notify.channels import BUILTIN, Channel, DeliveryReceipt, build_channel
from warroom.notify.config import ChannelConfig, parse_channel_config
from warroom.notify.errors import (
    DeliveryError,
    PermanentDeliveryError,
    RenderError,
    RetryableDeliveryError,
)
from warroom.notify.message import Message, MessageKind, Recipient
from warroom.notify.render import render

__all__ = [
    "BUILTIN",
    "Channel",
    "ChannelConfig",
    "DeliveryError",
    "DeliveryReceipt",
    "Message",
    "MessageKind",
    "PermanentDeliveryError",
    "Recipient",
    "RenderError",
    "RetryableDeliveryError",
    "build_channel",
    "parse_channel_config",
    "render",
]
