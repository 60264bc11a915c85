"""The built-in ingest formats, listed explicitly: adding one means adding a line here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from warroom.alerts.formats.alertmanager import AlertmanagerFormat
from warroom.alerts.formats.alertmanager_webhook import AlertmanagerWebhookFormat
from warroom.alerts.formats.base import Format
from warroom.alerts.formats.generic import GenericFormat
from warroom.alerts.formats.grafana import GrafanaFormat
from warroom.alerts.formats.opsgenie import OpsgenieFormat
from warroom.alerts.formats.pagerduty import PagerDutyFormat

__all__ = [
    "BUILTIN_FORMATS",
    "FORMATS",
    "UnknownFormatError",
    "build_registry",
    "get_format",
    "require_format",
]

BUILTIN_FORMATS: tuple[Format, ...] = (
    AlertmanagerFormat(),
    AlertmanagerWebhookFormat(),
    PagerDutyFormat(),
    GrafanaFormat(),
    OpsgenieFormat(),
    GenericFormat(),
)


class UnknownFormatError(KeyError):
    """No format has this slug."""


def build_registry(formats: Iterable[Format]) -> Mapping[str, Format]:
    """Index formats by slug (e.g. built-ins plus entry-point plugins); duplicates are a bug."""
    registry: dict[str, Format] = {}
    for fmt in formats:
        if fmt.slug in registry:
            raise ValueError(f"duplicate ingest format slug {fmt.slug!r}")
        registry[fmt.slug] = fmt
    return MappingProxyType(registry)


FORMATS: Mapping[str, Format] = build_registry(BUILTIN_FORMATS)


def get_format(slug: str) -> Format | None:
    """The built-in format with this slug, or None."""
    return FORMATS.get(slug)


def require_format(slug: str) -> Format:
    """The built-in format with this slug; UnknownFormatError names the known ones."""
    fmt = FORMATS.get(slug)
    if fmt is None:
        raise UnknownFormatError(f"unknown ingest format {slug!r}; known: {', '.join(FORMATS)}")
    return fmt
