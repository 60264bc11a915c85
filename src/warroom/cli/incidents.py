"""`warroom incident ...`: work incidents from a terminal, locally or against --url."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from warroom.cli.context import backend_from, settings_from
from warroom.cli.render import console, incident_panel, incidents_table, print_json
from warroom.incidents.lifecycle import Action
from warroom.timeline.kinds import EntryType

incident_app = typer.Typer(help="Declare, list and work incidents.", no_args_is_help=True)

UrlOpt = Annotated[str | None, typer.Option("--url", envvar="WARROOM_URL",
                                            help="a warroom server; default: local database")]
TokenOpt = Annotated[str | None, typer.Option("--token", envvar="WARROOM_TOKEN")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", envvar="WARROOM_CONFIG")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _backend(url: str | None, token: str | None, config: Path | None = None):  # type: ignore[no-untyped-def]
    return backend_from(settings_from(url=url, token=token, config=config))


@incident_app.command("list")
def list_cmd(
    status: Annotated[list[str] | None, typer.Option("--status", help="repeatable")] = None,
    severity: Annotated[list[str] | None, typer.Option("--severity", help="repeatable")] = None,
    service: Annotated[str | None, typer.Option("--service")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="only unresolved")] = False,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    url: UrlOpt = None, token: TokenOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False,
) -> None:
    """List incidents, newest first."""
    page = _backend(url, token, config).list_incidents({
        "status": status or [], "severity": severity or [], "service": service,
        "open": open_only, "limit": limit, "offset": 0,
    })
    if as_json:
        print_json(page)
    else:
        console.print(incidents_table(page))


@incident_app.command("show")
def show_cmd(ref: str, url: UrlOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Show one incident (INC-42, 42 or its UUID) with its timeline."""
    backend = _backend(url, token)
    inc = backend.get_incident(ref)
    entries = backend.timeline(ref)
    if as_json:
        print_json({**inc, "timeline": entries})
    else:
        console.print(incident_panel(inc, entries))


@incident_app.command("create")
def create_cmd(
    title: Annotated[str, typer.Option("--title", "-t")],
    severity: Annotated[str | None, typer.Option("--severity", "-s",
                                                 help="SEV1-4, P1-4, critical..low")] = None,
    description: Annotated[str, typer.Option("--description", "-d")] = "",
    service: Annotated[list[str] | None, typer.Option("--service", help="repeatable")] = None,
    label: Annotated[list[str] | None, typer.Option("--label", help="key=value, repeatable")] = None,
    incident_type: Annotated[str | None, typer.Option("--type")] = None,
    url: UrlOpt = None, token: TokenOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False,
) -> None:
    """Declare an incident."""
    labels = {}
    for item in label or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"label {item!r} must be key=value", param_hint="--label")
        labels[key] = value
    body = {"title": title, "description": description, "services": service or [],
            "labels": labels}
    if severity:
        body["severity"] = severity
    if incident_type:
        body["type"] = incident_type
    inc = _backend(url, token, config).declare(body)
    if as_json:
        print_json(inc)
    else:
        console.print(f"declared [bold]{inc['reference']}[/] ({inc['severity']}) {inc['id']}",
                      highlight=False)


def _act(action: Action, ref: str, note: str | None, root_cause: str | None,
         url: str | None, token: str | None, as_json: bool) -> None:
    body = {k: v for k, v in {"note": note, "root_cause": root_cause}.items() if v}
    inc = _backend(url, token).act(ref, action, body)
    if as_json:
        print_json(inc)
    else:
        console.print(f"{inc['reference']} is now [bold]{inc['status']}[/]", highlight=False)


NoteOpt = Annotated[str | None, typer.Option("--note", "-m", help="why; lands on the timeline")]


@incident_app.command("ack")
def ack_cmd(ref: str, note: NoteOpt = None, url: UrlOpt = None, token: TokenOpt = None,
            as_json: JsonOpt = False) -> None:
    """Acknowledge an incident (stops escalation)."""
    _act(Action.ACKNOWLEDGE, ref, note, None, url, token, as_json)


@incident_app.command("resolve")
def resolve_cmd(
    ref: str, note: NoteOpt = None,
    root_cause: Annotated[str | None, typer.Option("--root-cause")] = None,
    url: UrlOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Resolve an incident."""
    _act(Action.RESOLVE, ref, note, root_cause, url, token, as_json)


@incident_app.command("transition")
def transition_cmd(
    ref: str, action: Action, note: NoteOpt = None,
    url: UrlOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Any lifecycle action: investigate, identify, mitigate, close, reopen, ..."""
    _act(action, ref, note, None, url, token, as_json)


@incident_app.command("note")
def note_cmd(
    ref: str, text: str,
    entry_type: Annotated[EntryType, typer.Option("--type")] = EntryType.NOTE,
    url: UrlOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Add a timeline entry of any type (note, decision, action, communication, ...)."""
    entry = _backend(url, token).add_note(ref, {"type": entry_type.value, "summary": text})
    if as_json:
        print_json(entry)
    else:
        console.print(f"added {entry['type']} entry #{entry['id']}")


@incident_app.command("report")
def report_cmd(ref: str, url: UrlOpt = None, token: TokenOpt = None,
               as_json: JsonOpt = False) -> None:
    """Print the incident report (Markdown, or JSON with --json)."""
    report = _backend(url, token).report(ref, "json" if as_json else "markdown")
    if as_json:
        print_json(report)
    else:
        print(report, end="")


@incident_app.command("escalate")
def escalate_cmd(
    ref: str,
    level: Annotated[int | None, typer.Option("--level", min=1,
                                              help="1-based level; default: the next")] = None,
    url: UrlOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Page the next escalation level now (or a chosen one)."""
    result = _backend(url, token).escalate(ref, None if level is None else level - 1)
    if as_json:
        print_json(result)
    else:
        console.print(f"{result['incident']}: escalated to level {result['level'] + 1}")
