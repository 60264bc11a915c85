"""Domain errors to HTTP responses, in one place."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from warroom import errors

STATUS: list[tuple[type[errors.WarroomError], int, str]] = [
    (errors.NotFound, 404, "not_found"),
    (errors.InvalidTransition, 409, "invalid_transition"),
    (errors.Conflict, 409, "conflict"),
    (errors.UnknownSeverity, 422, "unknown_severity"),
    (errors.InvalidInput, 422, "invalid_input"),
    (errors.Unauthenticated, 401, "unauthenticated"),
    (errors.PermissionDenied, 403, "forbidden"),
    (errors.ConfigError, 500, "config_error"),
]


def error_body(exc: errors.WarroomError) -> tuple[int, dict[str, Any]]:
    for cls, status, code in STATUS:
        if isinstance(exc, cls):
            body: dict[str, Any] = {"detail": exc.message, "error": code}
            if isinstance(exc, errors.InvalidTransition):
                body |= {"current": exc.current, "requested": exc.target, "action": exc.action}
            if isinstance(exc, errors.UnknownSeverity):
                body |= {"valid": exc.valid}
            return status, body
    return 500, {"detail": "internal error", "error": "internal"}


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.WarroomError)
    async def _domain_error(_request: Request, exc: errors.WarroomError) -> JSONResponse:
        status, body = error_body(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, headers=headers)
