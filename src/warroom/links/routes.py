"""The page a link opens. GET only shows what will happen (mail scanners prefetch links);
the button on it POSTs, and that acts."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from warroom.api.state import State
from warroom.clock import utcnow
from warroom.errors import WarroomError
from warroom.incidents import service as incidents
from warroom.incidents.lifecycle import Action
from warroom.links.tokens import LinkSigner, signing_secret
from warroom.timeline.kinds import Source

router = APIRouter(tags=["links"], include_in_schema=False)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;
color:#111;background:#fff}}button{{font-size:1.25rem;padding:.75rem 1.5rem;border:0;
border-radius:.4rem;background:#b00020;color:#fff;cursor:pointer}}
.meta{{color:#444}}</style></head><body>{body}</body></html>"""


def _signer(state: State) -> LinkSigner:
    with state.db.transaction() as session:
        return LinkSigner(signing_secret(session, utcnow(), state.settings.secret_key))


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=html.escape(title), body=body), status_code=status)


@router.get("/a/{token}")
def show_link(state: State, token: str) -> HTMLResponse:
    try:
        claim = _signer(state).verify(token)
        with state.db.reading() as session:
            incident = incidents.require_incident(session, claim.incident_id)
            ref, title, status = incident.reference, incident.title, incident.status
    except WarroomError as exc:
        return _page("Link not usable", f"<h1>Link not usable</h1><p>{html.escape(exc.message)}</p>",
                     400)
    verb = claim.action.capitalize()
    body = (f"<h1>{html.escape(ref)}: {html.escape(title)}</h1>"
            f"<p class=meta>Status: <strong>{html.escape(status)}</strong></p>"
            f"<form method=post action='/a/{html.escape(token)}'>"
            f"<button type=submit autofocus>{verb} {html.escape(ref)}</button></form>")
    return _page(f"{verb} {ref}", body)


@router.post("/a/{token}")
def use_link(state: State, token: str, request: Request) -> HTMLResponse:
    try:
        claim = _signer(state).verify(token)
        with state.db.transaction() as session:
            incident = incidents.require_incident(session, claim.incident_id, for_update=True)
            action = Action(claim.action)
            if (action is Action.ACKNOWLEDGE and incident.status != "triggered") or (
                    action is Action.RESOLVE and incident.status in ("resolved", "closed")):
                message = f"{incident.reference} is already {incident.status}."
            else:
                incidents.act(session, incident, action, actor=claim.person or "page link",
                              now=utcnow(), note="from the page link", source=Source.HUMAN)
                message = f"{incident.reference} is now {incident.status}."
    except WarroomError as exc:
        return _page("Could not act", f"<h1>Could not act</h1><p>{html.escape(exc.message)}</p>",
                     400)
    return _page("Done", f"<h1>{html.escape(message)}</h1>")
