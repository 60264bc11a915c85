"""`warroom demo`: play a scripted outage into a running server, so a newcomer sees the
whole loop — alerts correlate, someone is paged, escalation, acknowledgement, resolution,
the report — in about a minute."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import typer
from rich.markup import escape

from warroom.cli.render import console
from warroom.errors import InvalidInput, WarroomError

UrlOpt = Annotated[str, typer.Option("--url", envvar="WARROOM_URL",
                                     help="the running server")]
TokenOpt = Annotated[str | None, typer.Option("--token", envvar="WARROOM_TOKEN",
                                              help="an admin token (`make run` printed one)")]


class _Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.client = httpx.Client(base_url=self.url, timeout=10,
                                   headers={"Authorization": f"Bearer {token}"})

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise WarroomError(f"cannot reach {self.url}: {exc}") from None
        if response.status_code >= 400:
            raise WarroomError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None


def _wait(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    with console_status(what):
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.3)
    raise WarroomError(f"gave up waiting: {what}")


def console_status(text: str) -> Any:
    from rich.console import Console

    return Console().status(text)


def _step(n: int, text: str) -> None:
    console.print(f"[bold cyan]{n}.[/] {text}", highlight=False)


def demo_command(url: UrlOpt = "http://127.0.0.1:8080", token: TokenOpt = None) -> None:
    """Play a scripted outage against a running warroom (the example configuration)."""
    if not token:
        raise InvalidInput("give --token (or WARROOM_TOKEN): the admin token `make run` printed")
    api = _Api(url, token)
    stamp = datetime.now(UTC).strftime("%H%M%S")
    _step(1, "Creating a Prometheus-style integration for service checkout")
    key = api.call("POST", "/api/v1/integrations", json={
        "name": f"demo-{stamp}", "format": "alertmanager", "service": "checkout"})["key"]
    alerts = [{"labels": {"alertname": "HighErrorRate", "service": "checkout",
                          "severity": "critical", "pod": f"checkout-{i}", "demo": stamp},
               "annotations": {"summary": "5xx ratio above 20% on checkout"}}
              for i in (1, 2, 3)]
    _step(2, "Three pods fire HighErrorRate (as Prometheus would send it)")
    sent = httpx.post(f"{api.url}/api/v2/alerts", json=alerts, timeout=10,
                      headers={"Authorization": f"Bearer {key}"})
    if sent.status_code != 200:
        raise WarroomError(f"sending alerts failed: {sent.status_code} {sent.text}")

    def incident_of_alerts() -> str | None:
        page = api.call("GET", "/api/v1/alerts", params={"filter": f'demo="{stamp}"'})
        ids = {a["incident_id"] for a in page["items"] if a["incident_id"]}
        return ids.pop() if len(ids) == 1 and page["total"] == 3 else None

    incident_id = _wait("correlating alerts", incident_of_alerts)
    incident = api.call("GET", f"/api/v1/incidents/{incident_id}")
    ref = incident["reference"]
    console.print(f"   3 alerts → one incident: [bold]{ref}[/] {escape(incident['title'])} "
                  f"({incident['severity']})", highlight=False)

    escalation = api.call("GET", f"/api/v1/incidents/{incident_id}/escalation")
    if escalation["policy_id"]:
        _step(3, f"Paging the on-call of policy {escalation['policy_id']}")

        def paged() -> list[Any]:
            return [d for d in api.call("GET", f"/api/v1/incidents/{incident_id}/deliveries")
                    if d["status"] == "delivered"]

        first = _wait("waiting for the first page to be delivered", paged)
        console.print(f"   paged {first[0]['person_id']} via {first[0]['channel_id']}",
                      highlight=False)
        _step(4, "Nobody answered yet: escalating to the next level now")
        api.call("POST", f"/api/v1/incidents/{incident_id}/escalate", json={})
        _wait("waiting for the escalation page",
              lambda: len(paged()) > len(first))
    else:
        _step(3, "This service has no escalation policy: nobody is paged (configure one)")
    _step(5, "alice takes command, investigates and acknowledges")
    api.call("POST", f"/api/v1/incidents/{incident_id}/roles",
             json={"role": "incident_commander", "person": "alice"})
    api.call("POST", f"/api/v1/incidents/{incident_id}/acknowledge",
             json={"note": "on it — demo"})
    api.call("POST", f"/api/v1/incidents/{incident_id}/timeline", json={
        "type": "decision", "summary": "Roll back checkout to the last good deploy"})
    _step(6, "The rollback works: the alerts resolve, and with them the incident")
    now = datetime.now(UTC).isoformat()
    for alert in alerts:
        alert["startsAt"], alert["endsAt"] = now, now
    httpx.post(f"{api.url}/api/v2/alerts", json=alerts, timeout=10,
               headers={"Authorization": f"Bearer {key}"})
    _wait("waiting for the incident to resolve",
          lambda: api.call("GET", f"/api/v1/incidents/{incident_id}")["status"] == "resolved")
    api.call("PATCH", f"/api/v1/incidents/{incident_id}",
             json={"root_cause": "bad deploy of checkout (demo)"})
    _step(7, f"The report of {ref}:")
    report = api.client.get(f"/api/v1/incidents/{incident_id}/report").text
    print(report)
    console.print(f"[green]Done.[/] Open {api.url}/docs to explore the API.", highlight=False)
