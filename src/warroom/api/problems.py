"""The documented shape of every error response, so clients and the OpenAPI agree."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

DESCRIPTIONS = {
    401: "missing or invalid API token",
    403: "the token's role may not do this",
    404: "no such object",
    409: "not allowed in the current state (names the current and requested states)",
    413: "request body too large",
    422: "invalid input: a message, or a list of field errors",
}


class Problem(BaseModel):
    """`detail` says what is wrong: a message, or FastAPI's list of field errors."""

    model_config = ConfigDict(extra="allow")
    detail: str | list[dict[str, Any]]
    error: str | None = None


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error codes (401/403/422 always)."""
    wanted = sorted({401, 403, 422, *codes})
    return {code: {"model": Problem, "description": DESCRIPTIONS[code]} for code in wanted}
