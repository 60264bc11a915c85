"""The one error hierarchy of warroom's domain.

Services raise these; the HTTP edge (`warroom.api.errors`) and the CLI map them to a status
code or an exit code in one place each. Nothing below the edge raises HTTP exceptions.

    WarroomError                     base; never raised itself
    ├── NotFound                     a referenced object does not exist        -> 404
    ├── Conflict                     the request contradicts current state     -> 409
    │   └── InvalidTransition        a lifecycle action not allowed from here  -> 409
    ├── InvalidInput                 well-formed but semantically wrong input  -> 422
    │   └── UnknownSeverity          a severity name not in the configuration  -> 422
    ├── Unauthenticated              no or unknown credentials                 -> 401
    ├── PermissionDenied             credentials lack the needed role          -> 403
    └── ConfigError                  warroom.yaml / settings are invalid       -> exit 2
"""

from __future__ import annotations

from collections.abc import Sequence


class WarroomError(Exception):
    """Base of every error warroom raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(WarroomError):
    """A referenced object (incident, token, ...) does not exist."""


class Conflict(WarroomError):
    """The request is valid but contradicts the current state."""


class InvalidTransition(Conflict):
    """An incident lifecycle action is not allowed from the incident's current status."""

    def __init__(self, current: str, action: str, target: str | None = None) -> None:
        target_txt = f" (to {target})" if target else ""
        super().__init__(f"cannot {action}{target_txt} an incident that is {current}")
        self.current = current
        self.action = action
        self.target = target


class InvalidInput(WarroomError):
    """Input that parsed but makes no sense for the domain."""


class UnknownSeverity(InvalidInput):
    """A severity name or alias that the configuration does not define."""

    def __init__(self, given: str, valid: Sequence[str]) -> None:
        super().__init__(f"unknown severity {given!r}; valid: {', '.join(valid)}")
        self.given = given
        self.valid = list(valid)


class Unauthenticated(WarroomError):
    """No credentials, or credentials that match nothing."""


class PermissionDenied(WarroomError):
    """Credentials are valid but their role may not do this."""


class ConfigError(WarroomError):
    """The configuration file or settings are invalid; the message names file and field."""
