"""Small validators shared by the formats; each raises FieldError naming the field."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from warroom.alerts.formats.base import OptionsError

ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# Many names joined by NUL, which no valid name contains: one match checks a whole set.
_LABEL_NAMES = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*(?:\x00[a-zA-Z_][a-zA-Z0-9_]*)*")


class FieldError(Exception):
    """A field is wrong; converted to ItemError / FormatError by the format."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def require_aware(now: datetime) -> datetime:
    """Parsers need a timezone-aware clock; a naive one is a programming error."""
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise TypeError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def is_valid_utf8(text: str) -> bool:
    """False for strings holding lone surrogates (possible from JSON ``\\ud800``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_timestamp(value: object, field: str) -> datetime | None:
    """RFC 3339 / ISO 8601 timestamp to aware UTC; missing or Go's zero time gives None.

    A missing offset is read as UTC; fractions beyond microseconds are truncated.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(
            field, f"'{field}' must be an RFC 3339 timestamp string, got {json_type(value)}"
        )
    moment = _timestamp(value)
    if moment is _INVALID:
        raise FieldError(field, f"'{field}' is not a valid RFC 3339 timestamp: {value[:64]!r}")
    return moment  # type: ignore[return-value]


_INVALID = object()
INVALID_TIMESTAMP = _INVALID  # what cached_timestamp returns for a string it cannot read


@lru_cache(maxsize=8192)
def _timestamp(value: str) -> datetime | None | object:
    """Cached: a sender repeats the same few timestamps (an alert's start, a lease end)."""
    match = _TIMESTAMP.fullmatch(value.strip())
    if match is None:
        return _INVALID
    year, month, day, hour, minute, second, frac, zulu, sign, oh, om = match.groups()
    try:
        tz = UTC
        if sign:
            offset = timedelta(hours=int(oh), minutes=int(om))
            tz = timezone(-offset if sign == "-" else offset)
        micros = int((frac or "0")[:6].ljust(6, "0"))
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tzinfo=tz
        ).astimezone(UTC)
    except (ValueError, OverflowError):
        return _INVALID
    return None if moment == ZERO_TIME else moment


cached_timestamp = _timestamp  # parse_timestamp without the checks, for the C parser


def optional_str(obj: Mapping[str, Any], key: str, field: str | None = None) -> str | None:
    """``obj[key]`` if it is a string, None if absent or null; otherwise a FieldError."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        name = field or key
        raise FieldError(name, f"'{name}' must be a string, got {json_type(value)}")
    return value


def string_map(value: object, field: str, *, drop_empty: bool) -> dict[str, str]:
    """A JSON object of string values (null/missing is empty); empty values optionally dropped."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FieldError(field, f"'{field}' must be an object of strings, got {json_type(value)}")
    if _clean(value, drop_empty):
        return dict(value)
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise FieldError(
                f"{field}.{key}", f"'{field}.{key}' must be a string, got {json_type(item)}"
            )
        if not is_valid_utf8(key) or not is_valid_utf8(item):
            raise FieldError(f"{field}.{key}", f"'{field}' contains invalid UTF-8")
        if drop_empty and item == "":
            continue
        out[key] = item
    return out


def _clean(value: dict[Any, Any], drop_empty: bool) -> bool:
    """Whole-map check of the common case (all keys and values valid UTF-8 strings, no
    empty value to drop): two joins and encodes instead of two per entry. Anything else
    takes the per-entry loop, which says which entry is wrong."""
    try:
        "".join(value).encode("utf-8")
        "".join(value.values()).encode("utf-8")
    except (TypeError, UnicodeEncodeError):
        return False
    return not (drop_empty and "" in value.values())


def are_label_names(names: Collection[str]) -> bool:
    """True when every name is a valid label name (one regex match for the whole set;
    the separator count rules out a name that itself holds a NUL)."""
    joined = "\x00".join(names)
    if not names:
        return True
    return (_LABEL_NAMES.fullmatch(joined) is not None
            and joined.count("\x00") == len(names) - 1)


def is_label_name(name: str) -> bool:
    """Prometheus (pre-UTF-8) label name rule, which Alertmanager 0.25 enforces."""
    return _LABEL_NAME.fullmatch(name) is not None


def summary_for(annotations: Mapping[str, str], labels: Mapping[str, str]) -> str:
    """Title for label/annotation alerts: summary, else alertname, else the label set."""
    for text in (annotations.get("summary"), annotations.get("title"), labels.get("alertname")):
        if text:
            return text
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def dedup_scope(options: Mapping[str, Any], slug: str) -> str:
    """The namespace for dedup-key fingerprints (default: the format slug)."""
    scope = options.get("dedup_scope", slug)
    if not isinstance(scope, str) or not scope:
        raise OptionsError("option 'dedup_scope' must be a non-empty string")
    return scope


def new_dedup_key(
    options: Mapping[str, Any], body: Mapping[str, Any], now: datetime
) -> str:
    """Key for a trigger that came without one: ``options['new_key']()`` if given.

    Otherwise 32 hex digits derived from the body and ``now``: pure and reproducible,
    yet distinct per request as with PagerDuty, which returns a fresh key each time.
    """
    factory: Callable[[], str] | None = options.get("new_key")
    if factory is not None:
        if not callable(factory):
            raise OptionsError("option 'new_key' must be a callable returning a string")
        key = factory()
        if not isinstance(key, str) or not key:
            raise OptionsError("option 'new_key' returned no key")
        return key
    text = json.dumps(body, sort_keys=True, ensure_ascii=True, default=str)
    seed = f"{now.astimezone(UTC).isoformat()}\n{text}".encode("ascii")
    return hashlib.sha256(seed).hexdigest()[:32]


def stringify(value: object) -> str:
    """A JSON value as annotation text: strings as-is, the rest as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
