"""Durations as operators write them in config: Go/Prometheus style (`1h30m`, `90s`),
and the short human form used in reports and tables.

Plain numbers mean seconds so YAML like `group_window: 600` also works.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

__all__ = ["DurationError", "format_duration", "human_duration", "parse_duration"]


class DurationError(ValueError):
    """A duration string or number could not be understood."""


_UNIT_SECONDS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h|d|w)")
_NUMBER = re.compile(r"(\d+(?:\.\d*)?|\.\d+)")


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Parse `1h30m`, `90s`, `5m`, `0s`, `1.5h`, `2d`, `1w`, or a number of seconds.

    Negative durations are rejected: every duration in warroom config is a length.
    """
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise DurationError(f"duration must not be negative: {value}")
        return value
    if isinstance(value, bool):
        raise DurationError(f"duration must be a string or a number, not {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise DurationError(f"duration must be finite: {value!r}")
        if value < 0:
            raise DurationError(f"duration must not be negative: {value!r}")
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise DurationError(f"duration must be a string or a number, not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise DurationError("duration must not be empty")
    if text.startswith("-"):
        raise DurationError(f"duration must not be negative: {value!r}")
    if _NUMBER.fullmatch(text):
        return timedelta(seconds=float(text))
    seconds = 0.0
    pos = 0
    seen: set[str] = set()
    while pos < len(text):
        part = _PART.match(text, pos)
        if part is None:
            raise DurationError(
                f"invalid duration {value!r} at position {pos}: expected a number followed by "
                "one of ms, s, m, h, d, w (for example 1h30m)"
            )
        unit = part.group(2)
        if unit in seen:
            raise DurationError(f"invalid duration {value!r}: unit {unit!r} repeated")
        seen.add(unit)
        seconds += float(part.group(1)) * _UNIT_SECONDS[unit]
        pos = part.end()
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Render a duration in the shortest Go-style form parse_duration reads back (`1h30m`)."""
    if value < timedelta(0):
        raise DurationError(f"duration must not be negative: {value}")
    total_ms = round(value.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    parts: list[str] = []
    for unit, size in (("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000),
                       ("m", 60_000), ("s", 1000), ("ms", 1)):
        count, total_ms = divmod(total_ms, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def human_duration(delta: timedelta | None) -> str:
    """Short human form (`4m 12s`, `2h 5m`, `3d 1h`) for reports and tables."""
    if delta is None:
        return "—"
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rem = divmod(total, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, seconds = divmod(rem, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes}m"
    if minutes:
        return f"{sign}{minutes}m {seconds}s"
    return f"{sign}{seconds}s"
