"""`warroom integration|alert|route|silence ...`: alert sources, sending, routing, silences."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.markup import escape
from rich.table import Table

from warroom.alerts import intake as intakes
from warroom.alerts import service as pipeline
from warroom.alerts.context import PipelineConfig
from warroom.alerts.formats import FormatError, require_format
from warroom.cli.context import local_actor, open_database, settings_from
from warroom.cli.render import console, print_json
from warroom.clock import utcnow
from warroom.config import load_config
from warroom.durations import parse_duration
from warroom.errors import InvalidInput, WarroomError
from warroom.escalation.setup import attach
from warroom.incidents.service import SeverityPolicy
from warroom.integrations import service as integrations
from warroom.routing.matchers import MatcherError, parse_matchers
from warroom.routing.tree import group_key, match
from warroom.suppression import service as silences
from warroom.triage.types import triage

integration_app = typer.Typer(help="Alert sources and their keys.", no_args_is_help=True)
alert_app = typer.Typer(help="Send and list alerts.", no_args_is_help=True)
route_app = typer.Typer(help="The routing tree.", no_args_is_help=True)
silence_app = typer.Typer(help="Silences (Alertmanager-compatible).", no_args_is_help=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", envvar="WARROOM_CONFIG")]
DbOpt = Annotated[str | None, typer.Option("--database-url", envvar="WARROOM_DATABASE_URL")]
UrlOpt = Annotated[str | None, typer.Option("--url", envvar="WARROOM_URL",
                                            help="a warroom server; default: local database")]
TokenOpt = Annotated[str | None, typer.Option("--token", envvar="WARROOM_TOKEN",
                                              help="API token or integration key for --url")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    result = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{what} {item!r} must be name=value")
        result[key] = value
    return result


@integration_app.command("create")
def integration_create(
    name: Annotated[str, typer.Option("--name")],
    format: Annotated[str, typer.Option("--format", help=", ".join(integrations.FORMATS))],
    service: Annotated[str | None, typer.Option("--service")] = None,
    database_url: DbOpt = None,
) -> None:
    """Create an integration; its key is printed alone on the last line, once."""
    db = open_database(settings_from(database_url=database_url), migrate=False)
    with db.transaction() as session:
        row, key = integrations.create_integration(session, name=name, format=format,
                                                   service=service, now=utcnow())
    console.print(f"created {row.format} integration {escape(row.name)!r}; its key "
                  "(store it now, it is not shown again):", highlight=False)
    print(key)


@integration_app.command("list")
def integration_list(database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List integrations (never their keys)."""
    db = open_database(settings_from(database_url=database_url), migrate=False)
    with db.reading() as session:
        rows = [{"name": r.name, "format": r.format, "service": r.service,
                 "key_prefix": r.key_prefix, "declared_in": r.declared_in,
                 "disabled": r.disabled_at is not None}
                for r in integrations.list_integrations(session)]
    if as_json:
        print_json(rows)
        return
    table = Table("name", "format", "service", "key", "from", "state")
    for r in rows:
        table.add_row(escape(r["name"]), r["format"], escape(r["service"] or "—"),
                      r["key_prefix"] + "…", r["declared_in"],
                      "disabled" if r["disabled"] else "enabled")
    console.print(table)


@alert_app.command("send")
def alert_send(
    labels: Annotated[list[str], typer.Argument(help="name=value labels, e.g. alertname=X")],
    annotation: Annotated[list[str] | None, typer.Option("--annotation", "-a")] = None,
    resolved: Annotated[bool, typer.Option("--resolved", help="send as resolved")] = False,
    url: UrlOpt = None, token: TokenOpt = None, config: ConfigOpt = None,
    database_url: DbOpt = None, as_json: JsonOpt = False,
) -> None:
    """Send one alert: to a server's Alertmanager API with an integration key (--url,
    --token), or straight into the local database."""
    now = utcnow()
    item: dict[str, Any] = {"labels": _pairs(labels, "label"),
                            "annotations": _pairs(annotation, "annotation")}
    if resolved:
        item["startsAt"] = (now - timedelta(seconds=1)).isoformat()
        item["endsAt"] = now.isoformat()
    settings = settings_from(url=url, token=token, config=config, database_url=database_url)
    if settings.url:
        response = httpx.post(f"{settings.url.rstrip('/')}/api/v2/alerts", json=[item],
                              headers={"Authorization": f"Bearer {settings.token or ''}"},
                              timeout=10)
        if response.status_code != 200:
            raise InvalidInput(f"{response.status_code}: {response.text}")
        console.print("sent")
        return
    cfg = load_config(settings.config)
    try:
        parsed = require_format("alertmanager").parse([item], now=now)
    except FormatError as exc:
        raise InvalidInput(str(exc)) from None
    if parsed.errors:
        raise InvalidInput("; ".join(e.message for e in parsed.errors))
    db = open_database(settings, migrate=False)
    attach(db, cfg)  # incidents this opens start their escalation like any other
    with db.transaction() as session:
        out = pipeline.ingest(session, parsed.alerts,
                              cfg=PipelineConfig.from_config(cfg, SeverityPolicy.from_config(cfg)),
                              sender=pipeline.Sender(name=local_actor()), now=now)
    result = {"new": out.new, "deduplicated": out.deduplicated, "updated": out.updated,
              "resolved": out.resolved, "suppressed": out.suppressed,
              "incidents_opened": out.incidents_opened,
              "incidents_touched": sorted(out.incidents_touched)}
    if as_json:
        print_json(result)
    else:
        touched = ", ".join(result["incidents_touched"]) or "no incident"
        console.print(f"stored ({'suppressed' if out.suppressed else 'routed'}); {touched}")


@alert_app.command("held")
def alert_held(database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Alert posts answered but not processed yet: failed ones (with why) and waiting ones.

    Under load small posts are answered once stored and processed right after; one that
    could not be processed is kept here. `warroom alert retry` sends it through again."""
    db = open_database(settings_from(database_url=database_url), migrate=False)
    with db.reading() as session:
        rows = [{"id": r.id, "state": "failed" if r.failed_at else "waiting",
                 "received_at": r.received_at.isoformat(), "format": r.format,
                 "alerts": r.alert_count, "error": r.error}
                for r in intakes.held(session)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no alert posts are waiting or failed")
        return
    table = Table("id", "state", "received", "format", "alerts", "error")
    for r in rows:
        table.add_row(str(r["id"]), r["state"], r["received_at"], r["format"],
                      str(r["alerts"]), escape(r["error"] or ""))
    console.print(table)


@alert_app.command("retry")
def alert_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="ids from `warroom alert held`")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="every failed one")] = False,
    database_url: DbOpt = None,
) -> None:
    """Process failed alert posts again (a running server's writer takes them within
    ~10 s; any started server takes them at once)."""
    if not ids and not all_failed:
        raise InvalidInput("name the ids to retry, or pass --all-failed")
    db = open_database(settings_from(database_url=database_url), migrate=False)
    with db.transaction() as session:
        count = intakes.retry(session, None if all_failed else ids)
    console.print(f"{count} failed alert post(s) will be processed again")


@route_app.command("test")
def route_test(
    labels: Annotated[list[str], typer.Argument(help="name=value labels")],
    config: ConfigOpt = None, as_json: JsonOpt = False,
) -> None:
    """Show which route an alert with these labels takes, and why."""
    cfg = load_config(settings_from(config=config).config)
    pipe = PipelineConfig.from_config(cfg, SeverityPolicy.from_config(cfg))
    label_set = _pairs(labels, "label")
    results = []
    for rm in match(pipe.routes, label_set):
        level = rm.severity_for(label_set, pipe.severity_map)
        decided = triage(label_set, pipe.type_rules, rm.settings.incident_type)
        severity = pipe.policy.scale.canonical(level.value) if level else pipe.policy.scale.default
        floor = decided.min_severity
        if floor and pipe.policy.scale.require(floor).rank < pipe.policy.scale.require(severity).rank:
            severity = floor
        results.append({
            "route": rm.route_id, "group_key": group_key(rm, label_set),
            "service": rm.settings.service, "team": rm.settings.team,
            "severity": severity,
            "incident_type": decided.type, "responses": list(decided.responses),
            "escalation_policy": rm.settings.escalation_policy,
            "group_window": str(rm.settings.group_window),
            "auto_resolve": rm.settings.auto_resolve, "why": rm.explain(),
        })
    if as_json:
        print_json(results)
        return
    for r in results:
        console.print(f"[bold]route {escape(r['route'])}[/] → service "
                      f"{escape(str(r['service']))}, severity {r['severity']}, "
                      f"type {escape(r['incident_type'])}, group {escape(r['group_key'])}")
        for line in r["why"]:
            console.print(f"  {escape(line)}", highlight=False)


@silence_app.command("add")
def silence_add(
    matchers: Annotated[list[str], typer.Argument(help='matchers, e.g. alertname=X job=~"a|b"')],
    duration: Annotated[str, typer.Option("--duration", "-d")] = "1h",
    comment: Annotated[str, typer.Option("--comment", "-c")] = "",
    author: Annotated[str | None, typer.Option("--author", "-a")] = None,
    database_url: DbOpt = None,
) -> None:
    """Silence matching alerts for a while; prints the silence id."""
    if not comment.strip():
        raise InvalidInput("a silence needs a --comment saying why")
    try:
        parsed = [m for text in matchers for m in parse_matchers(text)]
        length = parse_duration(duration)
    except (MatcherError, ValueError) as exc:
        raise InvalidInput(str(exc)) from None
    now = utcnow()
    silence = silences.build_silence(matchers=parsed, starts_at=now, ends_at=now + length,
                                     created_by=author or local_actor(), comment=comment,
                                     now=now)
    db = open_database(settings_from(database_url=database_url), migrate=False)
    with db.transaction() as session:
        silence_id = silences.upsert_silence(session, silence, now)
    print(silence_id)


@silence_app.command("list")
def silence_list(database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List silences with their state."""
    db = open_database(settings_from(database_url=database_url), migrate=False)
    now = utcnow()
    with db.reading() as session:
        rows = [s.to_api(now) for s in silences.list_silences(session)]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "state", "matchers", "ends", "by", "comment")
    for r in rows:
        shown = ", ".join(f"{m['name']}{'=' if m['isEqual'] else '!'}"
                          f"{'~' if m['isRegex'] else ''}\"{m['value']}\"" for m in r["matchers"])
        table.add_row(r["id"], r["status"]["state"], escape(shown), r["endsAt"],
                      escape(r["createdBy"]), escape(r["comment"]))
    console.print(table)


@silence_app.command("expire")
def silence_expire(silence_id: str, database_url: DbOpt = None) -> None:
    """Expire a silence now."""
    db = open_database(settings_from(database_url=database_url), migrate=False)
    with db.transaction() as session:
        silences.expire_silence(session, silence_id, utcnow())
    console.print(f"expired {silence_id}")


__all__ = ["alert_app", "integration_app", "route_app", "silence_app", "WarroomError"]
