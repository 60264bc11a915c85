"""Generic JSON webhooks, normalised through an operator-written field mapping.

Paths are JSONPath-lite: ``data.title``, ``$.alerts[0].name``, ``meta['dotted.key']``;
a bare integer segment (``items.0``) also indexes an array.  A missing path yields no
value.  Identity: the mapped ``dedup_key`` if present, else the label set (Alertmanager
fingerprint), else the title.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from warroom.alerts.fingerprint import alertmanager_fingerprint, dedup_fingerprint
from warroom.alerts.formats._fields import (
    FieldError,
    dedup_scope,
    is_valid_utf8,
    json_type,
    parse_timestamp,
    require_aware,
    stringify,
)
from warroom.alerts.formats.base import FormatError, ItemError, OptionsError, ParseResult
from warroom.alerts.model import AlertStatus, IncomingAlert, make_alert

__all__ = ["GenericFormat", "GenericMapping", "StatusMapping", "compile_path", "resolve_path"]

_SEGMENT = re.compile(r"\.?([^.\[\]'\"]+)|\[(\d+)\]|\[(['\"])(.*?)\3\]")
_MISSING = object()
_DEFAULT_STATUS = {"firing": AlertStatus.FIRING, "resolved": AlertStatus.RESOLVED}

Path = tuple[str | int, ...]


@lru_cache(maxsize=1024)
def compile_path(path: str) -> Path:
    """Split a JSONPath-lite expression into keys and indexes; ValueError if malformed."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    segments: list[str | int] = []
    pos = 0
    while pos < len(text):
        match = _SEGMENT.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"invalid path {path!r} at position {pos}")
        name, index, _, quoted = match.groups()
        if name is not None:
            segments.append(int(name) if name.isdigit() else name)
        elif index is not None:
            segments.append(int(index))
        else:
            segments.append(quoted)
        pos = match.end()
    if not segments:
        raise ValueError(f"empty path {path!r}")
    return tuple(segments)


def resolve_path(document: object, path: Path) -> object:
    """The value at ``path``, or ``None`` when any step is missing."""
    current = document
    for segment in path:
        if isinstance(segment, int) and isinstance(current, list):
            if segment >= len(current):
                return None
            current = current[segment]
        elif isinstance(current, dict):
            current = current.get(str(segment), _MISSING)
            if current is _MISSING:
                return None
        else:
            return None
    return current


def _check_path(value: str) -> str:
    compile_path(value)
    return value


class StatusMapping(BaseModel):
    """Where the status is and how its values read; unmapped values are item errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    values: dict[str, AlertStatus] = Field(default_factory=dict)
    default: AlertStatus = AlertStatus.FIRING

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return _check_path(value)


class GenericMapping(BaseModel):
    """Operator configuration of a generic webhook: paths into each item.

    ``labels`` / ``annotations``: a mapping of name to path, or one path to an object.
    ``status``: a path, or a StatusMapping such as ``{"path": "state", "values":
    {"ok": "resolved", "alerting": "firing"}}``.  ``static_labels`` are added to every alert.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    items: str | None = None
    title: str
    severity: str | None = None
    dedup_key: str | None = None
    status: StatusMapping | None = None
    labels: dict[str, str] | str | None = None
    annotations: dict[str, str] | str | None = None
    static_labels: dict[str, str] = Field(default_factory=dict)
    starts_at: str | None = None
    ends_at: str | None = None
    generator_url: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status_shorthand(cls, value: object) -> object:
        return {"path": value} if isinstance(value, str) else value

    @field_validator(
        "items", "title", "severity", "dedup_key", "starts_at", "ends_at", "generator_url"
    )
    @classmethod
    def _paths(cls, value: str | None) -> str | None:
        return None if value is None else _check_path(value)

    @field_validator("labels", "annotations")
    @classmethod
    def _path_maps(cls, value: dict[str, str] | str | None) -> dict[str, str] | str | None:
        if isinstance(value, str):
            return _check_path(value)
        for path in (value or {}).values():
            _check_path(path)
        return value


def _mapping_from(options: Mapping[str, Any]) -> GenericMapping:
    mapping = options.get("mapping")
    if isinstance(mapping, GenericMapping):
        return mapping
    if mapping is None:
        raise OptionsError("the generic format needs a 'mapping' option (a GenericMapping)")
    try:
        return GenericMapping.model_validate(mapping)
    except ValidationError as exc:
        raise OptionsError(f"invalid generic mapping: {exc}") from None


def _scalar_text(value: object, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError(field, f"'{field}' must be a string or number, got {json_type(value)}")
    text = value if isinstance(value, str) else stringify(value)
    if not is_valid_utf8(text):
        raise FieldError(field, f"'{field}' contains invalid UTF-8")
    return text


def _time(value: object, field: str) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)  # epoch seconds
        except (ValueError, OverflowError, OSError):
            raise FieldError(field, f"'{field}' is not a valid epoch timestamp") from None
    return parse_timestamp(value, field)


def _named_values(item: object, spec: dict[str, str] | str | None, field: str) -> dict[str, str]:
    if spec is None:
        return {}
    if isinstance(spec, str):
        found = resolve_path(item, compile_path(spec))
        if found is None:
            return {}
        if not isinstance(found, dict):
            got = json_type(found)
            raise FieldError(field, f"'{field}' path {spec!r} must point to an object, got {got}")
        pairs = list(found.items())
    else:
        pairs = [(name, resolve_path(item, compile_path(path))) for name, path in spec.items()]
    out: dict[str, str] = {}
    for name, value in pairs:
        if value is None or value == "":
            continue
        text = value if isinstance(value, str) else stringify(value)
        if not is_valid_utf8(name) or not is_valid_utf8(text):
            raise FieldError(f"{field}.{name}", f"'{field}.{name}' contains invalid UTF-8")
        out[name] = text
    return out


def _get(item: object, path: str | None) -> object:
    return None if path is None else resolve_path(item, compile_path(path))


class GenericFormat:
    """Any JSON body, through ``options['mapping']`` (GenericMapping or its dict form)."""

    slug: str = "generic"

    def parse(
        self,
        payload: object,
        *,
        now: datetime,
        options: Mapping[str, Any] | None = None,
    ) -> ParseResult:
        """Parse one object or a list of items; bad items become ItemErrors."""
        now = require_aware(now)
        opts = options or {}
        mapping = _mapping_from(opts)
        scope = dedup_scope(opts, self.slug)
        items = payload if mapping.items is None else _get(payload, mapping.items)
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            where = f"path {mapping.items!r}" if mapping.items else "body"
            raise FormatError(
                f"{where} must be a JSON object or array of objects, got {json_type(items)}",
                field=mapping.items,
            )
        result = ParseResult()
        for index, item in enumerate(items):
            try:
                result.alerts.append(self._item(item, mapping, now, scope))
            except FieldError as exc:
                result.errors.append(ItemError(index, exc.message, exc.field))
        return result

    def _item(self, item: object, m: GenericMapping, now: datetime, scope: str) -> IncomingAlert:
        if not isinstance(item, dict):
            raise FieldError(None, f"item must be a JSON object, got {json_type(item)}")
        title = _scalar_text(_get(item, m.title), "title")
        if not title:
            raise FieldError("title", f"'title' is required: no value at path {m.title!r}")
        severity = _scalar_text(_get(item, m.severity), "severity")
        dedup_key = _scalar_text(_get(item, m.dedup_key), "dedup_key") or None
        status = self._status(item, m.status)
        labels = {**m.static_labels, **_named_values(item, m.labels, "labels")}
        annotations = _named_values(item, m.annotations, "annotations")
        annotations.setdefault("summary", title)
        starts_at = _time(_get(item, m.starts_at), "starts_at") or now
        ends_at = _time(_get(item, m.ends_at), "ends_at")
        if status is AlertStatus.RESOLVED and ends_at is None:
            ends_at = now
        if ends_at is not None and ends_at < starts_at:
            raise FieldError("ends_at", "'ends_at' is before 'starts_at'")
        if dedup_key is not None:
            fingerprint = dedup_fingerprint(scope, dedup_key)
        elif labels:
            fingerprint = alertmanager_fingerprint(labels)
        else:
            fingerprint = dedup_fingerprint(scope, f"title:{title}")
        return make_alert(
            labels=labels,
            annotations=annotations,
            fingerprint=fingerprint,
            status=status,
            starts_at=starts_at,
            ends_at=ends_at,
            generator_url=_scalar_text(_get(item, m.generator_url), "generator_url") or None,
            source_format=self.slug,
            dedup_key=dedup_key,
            summary=title,
            severity_hint=severity or None,
            raw=item,
        )

    @staticmethod
    def _status(item: object, spec: StatusMapping | None) -> AlertStatus:
        if spec is None:
            return AlertStatus.FIRING
        value = _scalar_text(resolve_path(item, compile_path(spec.path)), "status")
        if value is None or value == "":
            return spec.default
        if value in spec.values:
            return spec.values[value]
        lowered = value.lower()
        if lowered in _DEFAULT_STATUS:
            return _DEFAULT_STATUS[lowered]
        known = ", ".join(sorted({*spec.values, *_DEFAULT_STATUS}))
        raise FieldError("status", f"'status' value {value[:40]!r} is not mapped (known: {known})")
