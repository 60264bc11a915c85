"""Notification channel plugins: one module per provider, listed in `registry.BUILTIN`."""

from warroom.notify.channels.base import Channel, DeliveryReceipt
from warroom.notify.channels.registry import BUILTIN, build_channel

__all__ = ["BUILTIN", "Channel", "DeliveryReceipt", "build_channel"]
