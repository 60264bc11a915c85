"""Token administration over HTTP (admins only)."""

from __future__ import annotations

from fastapi import APIRouter

from warroom.api.problems import problems
from warroom.api.state import Admin, State
from warroom.auth import service
from warroom.auth.models import ApiToken
from warroom.auth.schemas import TokenCreate, TokenCreated, TokenOut
from warroom.clock import utcnow
from warroom.textfields import Name

router = APIRouter(prefix="/api/v1", tags=["auth"])
ERRORS = problems()


def _out(row: ApiToken) -> TokenOut:
    return TokenOut(id=row.id, name=row.name, role=row.role,  # type: ignore[arg-type]
                    prefix=row.prefix, created_at=row.created_at, revoked_at=row.revoked_at)


@router.get("/tokens", response_model=list[TokenOut], responses=ERRORS)
def list_tokens(state: State, _who: Admin) -> list[TokenOut]:
    with state.db.reading() as session:
        return [_out(t) for t in service.list_tokens(session)]


@router.post("/tokens", status_code=201, response_model=TokenCreated,
             responses=problems(409))
def create_token(state: State, _who: Admin, body: TokenCreate) -> TokenCreated:
    with state.db.transaction() as session:
        row, plaintext = service.create_token(session, body.name, body.role.value, utcnow())
        return TokenCreated(**_out(row).model_dump(), token=plaintext)


@router.delete("/tokens/{name}", response_model=TokenOut,
               responses=problems(404))
def revoke_token(state: State, _who: Admin, name: Name) -> TokenOut:
    with state.db.transaction() as session:
        return _out(service.revoke_token(session, name, utcnow()))
