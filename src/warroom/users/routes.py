"""Signing in and out of the console (a session cookie plus a CSRF token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.problems import problems
from warroom.api.state import SESSION_COOKIE, State, Viewer
from warroom.clock import utcnow
from warroom.users import service

router = APIRouter(prefix="/api/v1", tags=["session"])


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class SessionOut(BaseModel):
    email: str
    role: str
    csrf_token: str | None = None


@router.post("/session", response_model=SessionOut, responses=problems())
def sign_in(state: State, body: SignIn, response: Response) -> SessionOut:
    with state.db.transaction() as session:
        signed = service.sign_in(session, body.email, body.password, utcnow())
    secure = (state.settings.public_url or "").startswith("https://")
    response.set_cookie(SESSION_COOKIE, signed.token, httponly=True, samesite="lax",
                        secure=secure, max_age=int(service.SESSION_LIFETIME.total_seconds()),
                        path="/")
    return SessionOut(email=signed.user.email, role=signed.user.role,
                      csrf_token=signed.csrf_token)


@router.get("/session", response_model=SessionOut, responses=problems())
def who_am_i(who: Viewer) -> SessionOut:
    return SessionOut(email=who.name, role=who.role.value)


@router.delete("/session", status_code=204, responses=problems())
def sign_out(state: State, _who: Viewer, request: Request, response: Response) -> Response:
    with state.db.transaction() as session:
        service.sign_out(session, request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
