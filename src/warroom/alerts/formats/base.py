"""What every ingest format returns, and how it says a body is bad.

Errors::

    ValueError
    ├── FormatError    the whole body is unusable (wrong JSON type, unsupported version,
    │                  an invalid single-event body); the HTTP layer answers 4xx.
    └── OptionsError   the format was configured wrongly by the operator (e.g. a bad
                       generic mapping): a server-side problem, not the sender's.

A batch with some bad items does not raise: each bad item becomes an ``ItemError`` in
``ParseResult.errors`` and the good ones are kept (best-effort, like Alertmanager).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from warroom.alerts.model import AlertAction, ChangeEvent, IncomingAlert

__all__ = [
    "Format",
    "FormatError",
    "ItemError",
    "OptionsError",
    "ParseResult",
    "Problem",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a body: the field (dotted path) and a sentence about it."""

    field: str | None
    message: str


class FormatError(ValueError):
    """The whole body is unusable; ``problems`` lists every reason found."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        problems: Sequence[Problem] | None = None,
    ) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = (
            tuple(problems) if problems else (Problem(field, message),)
        )

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> FormatError:
        """One error carrying several problems; its message joins them with '; '."""
        return cls("; ".join(p.message for p in problems), problems=problems)

    @property
    def messages(self) -> list[str]:
        """Each problem's message, in order."""
        return [p.message for p in self.problems]


class OptionsError(ValueError):
    """The operator's options for a format are invalid (not the sender's fault)."""


@dataclass(frozen=True, slots=True)
class ItemError:
    """Item ``index`` of a batch was rejected; the rest of the batch was still used."""

    index: int
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return f"item {self.index}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"index": self.index, "field": self.field, "message": self.message}


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Everything one body said. ``meta`` holds body-level facts (receiver, groupKey...)."""

    alerts: list[IncomingAlert] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)
    actions: list[AlertAction] = field(default_factory=list)
    change_events: list[ChangeEvent] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, *, include_raw: bool = False) -> dict[str, Any]:
        """JSON-ready form; used by golden tests and replay tooling."""
        return {
            "alerts": [a.to_dict(include_raw=include_raw) for a in self.alerts],
            "errors": [e.to_dict() for e in self.errors],
            "actions": [a.to_dict(include_raw=include_raw) for a in self.actions],
            "change_events": [c.to_dict(include_raw=include_raw) for c in self.change_events],
            "meta": self.meta,
        }


@runtime_checkable
class Format(Protocol):
    """An ingest format: a stable slug and a pure ``parse`` of already-decoded JSON.

    ``parse`` raises only ``FormatError`` for bad bodies (``OptionsError`` for bad
    ``options``); ``now`` must be timezone-aware.  Every format understands the option
    ``dedup_scope`` (namespace for dedup-key fingerprints, default: the slug).
    """

    slug: str

    def parse(
        self,
        payload: object,
        *,
        now: datetime,
        options: Mapping[str, Any] | None = None,
    ) -> ParseResult: ...
