"""What is sent (`Message`) and to whom (`Recipient`): plain frozen values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class MessageKind(StrEnum):
    """Why a message is sent; templates are chosen per kind."""

    PAGE = "page"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    TEST = "test"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Recipient:
    """A person as channels see them: addresses only, never the ORM row."""

    person_id: str
    name: str
    email: str | None = None
    phone: str | None = None
    # Chat handles by channel type, e.g. {"slack": "U024BE7LH", "opsgenie": "ann@example.com"}.
    chat: dict[str, str] = field(default_factory=dict)
    timezone: str = "UTC"


@dataclass(frozen=True)
class Message:
    """One notification about one incident; `subject`, `text`, `html`, `extra` come from `render`.

    Every text field except the URLs may hold attacker-controlled alert content: templates
    escape it for the target format, channels never interpret it.
    """

    idempotency_key: str
    kind: str  # a MessageKind value: "page" | "reminder" | "escalation" | "test" | "resolved"
    incident_id: str
    incident_ref: str
    title: str
    severity: str
    status: str
    summary: str = ""
    incident_url: str | None = None
    ack_url: str | None = None
    resolve_url: str | None = None
    level: int | None = None
    subject: str = ""
    text: str = ""
    html: str | None = None
    # Input: optional `labels` (dict[str, str]) shown by templates. Output: per-channel
    # rendered parts, e.g. `speech` for voice calls.
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in MessageKind.__members__.values():
            kinds = ", ".join(k.value for k in MessageKind)
            raise ValueError(f"unknown message kind {self.kind!r}; expected one of: {kinds}")

    @property
    def labels(self) -> dict[str, str]:
        """Alert labels passed in `extra["labels"]`, as strings (empty if none)."""
        raw = self.extra.get("labels") or {}
        return {str(k): str(v) for k, v in dict(raw).items()}
