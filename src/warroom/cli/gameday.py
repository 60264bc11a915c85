"""`warroom gameday`: rehearse the on-call chain with a synthetic incident, marked as a drill
everywhere it shows (title, label, API, pages), against a running server and its real
configuration — people get paged for real, so they practise answering."""

from __future__ import annotations

import random
import time
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from warroom.cli.demo import UrlOpt, _Api, _step
from warroom.cli.render import console
from warroom.errors import InvalidInput

SCENARIOS = [
    ("Checkout database connection pool exhausted",
     "Synthetic: p99 latency on checkout above 5 s, 'too many connections' in the logs."),
    ("Elevated 5xx on the public API after a deploy",
     "Synthetic: 12% of requests fail since the last deploy; rollback is on the table."),
    ("TLS certificate of the login domain expires in 2 hours",
     "Synthetic: renewal job failed silently; customers will see browser errors."),
    ("Message queue backlog growing",
     "Synthetic: consumers lag 40 minutes behind; order confirmations are delayed."),
]


def gameday_command(
    service: Annotated[str, typer.Option("--service", help="whose on-call chain to rehearse")],
    severity: Annotated[str, typer.Option("--severity")] = "SEV2",
    watch: Annotated[int, typer.Option("--watch", min=0, max=3600,
                                       help="seconds to follow the pages live")] = 60,
    resolve: Annotated[bool, typer.Option("--resolve/--leave-open",
                                          help="resolve the drill when watching ends")] = True,
    seed: Annotated[int | None, typer.Option(help="pick the scenario reproducibly")] = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: Annotated[str | None, typer.Option("--token", envvar="WARROOM_TOKEN")] = None,
) -> None:
    """Inject a drill incident and follow who gets paged, when, and who answers."""
    if not token:
        raise InvalidInput("give --token (or WARROOM_TOKEN): a responder or admin token")
    api = _Api(url, token)
    title, description = random.Random(seed).choice(SCENARIOS)
    _step(1, f"Declaring a drill on {escape(service)}: {escape(title)}")
    inc = api.call("POST", "/api/v1/incidents", json={
        "title": f"Game day: {title}", "description": description, "severity": severity,
        "service": service, "drill": True, "type": "gameday"})
    ref = inc["reference"]
    console.print(f"   {ref} {escape(inc['title'])} ({inc['severity']}) — labels drill=true",
                  highlight=False)
    state = api.call("GET", f"/api/v1/incidents/{inc['id']}/escalation")
    if not state["policy_id"]:
        console.print(f"[yellow]   {escape(service)} has no escalation policy: nobody will be "
                      "paged. That is the first finding of this game day.[/]")
    else:
        table = Table("level", "after", "notify", "via", title=f"policy {state['policy_id']}")
        for i, level in enumerate(state["snapshot"]["levels"]):
            table.add_row(str(i + 1), f"{level['delay']:.0f}s", escape(", ".join(level["notify"])),
                          escape(", ".join(level["via"]) or "personal rules"))
        console.print(table)
    _step(2, f"Following the pages for {watch}s (acknowledge {ref} to stop the escalation)")
    seen: set[int] = set()
    status = inc["status"]
    deadline = time.monotonic() + watch
    while time.monotonic() < deadline:
        for d in api.call("GET", f"/api/v1/incidents/{inc['id']}/deliveries"):
            if d["id"] not in seen and d["status"] in ("delivered", "dead"):
                seen.add(d["id"])
                console.print(f"   {d['kind']} → {escape(d['person_id'])} via "
                              f"{escape(d['channel_id'])}: {d['status']}", highlight=False)
        current: dict[str, Any] = api.call("GET", f"/api/v1/incidents/{inc['id']}")
        if current["status"] != status:
            status = current["status"]
            console.print(f"   {ref} is now [bold]{status}[/]", highlight=False)
        if status not in ("triggered",) and watch:
            break
        time.sleep(1)
    final = api.call("GET", f"/api/v1/incidents/{inc['id']}")
    tta = final["time_to_acknowledge_seconds"]
    console.print(f"   time to acknowledge: {f'{tta:.0f}s' if tta is not None else 'not acknowledged'}",
                  highlight=False)
    if resolve and final["status"] not in ("resolved", "closed"):
        api.call("POST", f"/api/v1/incidents/{inc['id']}/resolve",
                 json={"note": "game day finished", "root_cause": "drill (synthetic)"})
        console.print(f"   {ref} resolved (drill finished)", highlight=False)
    _step(3, f"Review it: {api.url}/incidents/{ref}, report: warroom incident report {ref}")
