"""`warroom oncall ...`: who is on call, shifts and calendar feeds.

Works from the local configuration (`--config` / WARROOM_CONFIG) by default, or asks a
warroom server (`--url` / `--token`); both produce the API's JSON shapes, so output is the
same either way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from warroom.cli.backend import HttpBackend
from warroom.cli.context import settings_from
from warroom.cli.render import console, err_console, print_json
from warroom.clock import utcnow
from warroom.config import load_config
from warroom.errors import InvalidInput
from warroom.oncall import service
from warroom.oncall.config import OnCallConfig

JSON = dict[str, Any]

oncall_app = typer.Typer(help="Who is on call, shifts and calendar feeds.",
                         no_args_is_help=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", envvar="WARROOM_CONFIG")]
UrlOpt = Annotated[str | None, typer.Option("--url", envvar="WARROOM_URL",
                                            help="a warroom server; default: local config")]
TokenOpt = Annotated[str | None, typer.Option("--token", envvar="WARROOM_TOKEN")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
TzOpt = Annotated[str, typer.Option("--tz", help="zone of times given without an offset")]
ScheduleOpt = Annotated[str | None, typer.Option("--schedule", "-s", help="only this schedule")]

_TIME_HELP = "RFC 3339 (2026-03-30T09:00:00Z) or 'YYYY-MM-DD HH:MM' in --tz"


# --------------------------------------------------------------------------- sources


class _Source(Protocol):
    def overview(self, at: datetime, schedule: str | None) -> JSON: ...
    def shifts(self, schedule: str, start: datetime, end: datetime,
               person: str | None) -> JSON: ...
    def ical(self, kind: str, ident: str, at: datetime, past_days: int, days: int) -> bytes: ...


class _Local:
    """Answers from the local configuration file."""

    def __init__(self, cfg: OnCallConfig) -> None:
        self.cfg = cfg

    def overview(self, at: datetime, schedule: str | None) -> JSON:
        return service.overview(self.cfg, at, schedule).model_dump(mode="json")

    def shifts(self, schedule: str, start: datetime, end: datetime, person: str | None) -> JSON:
        return service.shift_page(self.cfg, schedule, start, end, person).model_dump(mode="json")

    def ical(self, kind: str, ident: str, at: datetime, past_days: int, days: int) -> bytes:
        export = service.schedule_ical if kind == "schedules" else service.person_ical
        return export(self.cfg, ident, at, past_days, days)


class _Http(HttpBackend):
    """Asks a warroom server's on-call API."""

    def overview(self, at: datetime, schedule: str | None) -> JSON:
        params = {"at": at.isoformat()}
        if schedule is None:
            return self._call("GET", "/oncall", params=params).json()  # type: ignore[no-any-return]
        one = self._call("GET", f"/schedules/{schedule}/oncall", params=params).json()
        return {"at": one["at"], "schedules": [one]}

    def shifts(self, schedule: str, start: datetime, end: datetime, person: str | None) -> JSON:
        params = {"start": start.isoformat(), "end": end.isoformat()}
        if person:
            params["person"] = person
        return self._call(  # type: ignore[no-any-return]
            "GET", f"/schedules/{schedule}/shifts", params=params).json()

    def ical(self, kind: str, ident: str, at: datetime, past_days: int, days: int) -> bytes:
        params = {"at": at.isoformat(), "past_days": past_days, "days": days}
        return self._call("GET", f"/{kind}/{ident}/ical", params=params).content


def _source(config: Path | None, url: str | None, token: str | None) -> _Source:
    settings = settings_from(config=config, url=url, token=token)
    if settings.url:
        return _Http(settings.url, settings.token)
    return _Local(load_config(settings.config).oncall())


# --------------------------------------------------------------------------- rendering


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _local(value: str, zone: str) -> str:
    return _parse(value).astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


def _utc(value: str) -> str:
    return _parse(value).strftime("%Y-%m-%d %H:%MZ")


def _length(start: str, end: str) -> str:
    delta = _parse(end) - _parse(start)
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    days, hours = divmod(hours, 24)
    minutes = rest // 60
    parts = [f"{days}d" if days else "", f"{hours}h" if hours or not days else "",
             f"{minutes}m" if minutes else ""]
    return " ".join(p for p in parts if p)


def _oncall_table(data: JSON) -> Table:
    table = Table(title=f"On call at {_utc(data['at'])}")
    for col in ("schedule", "on call", "layer", "since (schedule zone)", "until (schedule zone)",
                "since (UTC)", "until (UTC)"):
        table.add_column(col, overflow="fold")
    for row in data["schedules"]:
        shift = row["shift"]
        who = ", ".join(row["on_call"]) or "[dim]nobody[/]"
        label = escape(row["schedule"]) + (f" [dim]({escape(row['name'])})[/]"
                                           if row["name"] else "")
        if shift is None:
            table.add_row(label, who, "—", "—", "—", "—", "—")
            continue
        zone = row["timezone"]
        table.add_row(label, f"[bold]{escape(who)}[/]", escape(shift["layer"]),
                      _local(shift["start"], zone), _local(shift["end"], zone),
                      _utc(shift["start"]), _utc(shift["end"]))
    return table


def _shifts_table(page: JSON) -> Table:
    zone = page["timezone"]
    who = f", {page['person']}" if page.get("person") else ""
    table = Table(title=f"Shifts of {escape(page['schedule'])}{escape(who)} "
                        f"({_utc(page['start'])} – {_utc(page['end'])})")
    for col in ("person", "layer", f"start ({zone})", f"end ({zone})", "start (UTC)",
                "end (UTC)", "length"):
        table.add_column(col, overflow="fold")
    for s in page["shifts"]:
        table.add_row(escape(s["person"]), escape(s["layer"]), _local(s["start"], zone),
                      _local(s["end"], zone), _utc(s["start"]), _utc(s["end"]),
                      _length(s["start"], s["end"]))
    return table


def _show_oncall(data: JSON, as_json: bool) -> None:
    if as_json:
        print_json(data)
    elif not data["schedules"]:
        console.print("no schedules configured")
    else:
        console.print(_oncall_table(data))


def _instant(text: str | None, tz: str, name: str) -> datetime:
    return service.instant_or(text, utcnow(), tz=tz, name=name)


# --------------------------------------------------------------------------- commands


@oncall_app.command("now")
def now_cmd(schedule: ScheduleOpt = None, config: ConfigOpt = None, url: UrlOpt = None,
            token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Who is on call right now, per schedule."""
    _show_oncall(_source(config, url, token).overview(utcnow(), schedule), as_json)


@oncall_app.command("at")
def at_cmd(
    time: Annotated[str, typer.Argument(help=_TIME_HELP, metavar="TIME")],
    tz: TzOpt = "UTC", schedule: ScheduleOpt = None, config: ConfigOpt = None,
    url: UrlOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Who is (or was, or will be) on call at TIME, per schedule."""
    at = service.parse_instant(time, tz=tz, name="TIME")
    _show_oncall(_source(config, url, token).overview(at, schedule), as_json)


@oncall_app.command("shifts")
def shifts_cmd(
    schedule: Annotated[str, typer.Argument(help="schedule id")],
    days: Annotated[int, typer.Option("--days", "-d", min=1,
                                      max=service.MAX_SHIFT_RANGE.days)] = 14,
    person: Annotated[str | None, typer.Option("--person", "-p", help="only this person")]
    = None,
    start: Annotated[str | None, typer.Option("--from", help=f"{_TIME_HELP}; default: now")]
    = None,
    tz: TzOpt = "UTC", config: ConfigOpt = None, url: UrlOpt = None, token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A schedule's resolved shifts for the next --days days."""
    lo = _instant(start, tz, "--from")
    page = _source(config, url, token).shifts(schedule, lo, lo + timedelta(days=days), person)
    if as_json:
        print_json(page)
    elif not page["shifts"]:
        console.print("nobody is on call in this range")
    else:
        console.print(_shifts_table(page))


@oncall_app.command("ical")
def ical_cmd(
    schedule: Annotated[str | None, typer.Argument(help="schedule id (or use --person)")]
    = None,
    person: Annotated[str | None, typer.Option("--person", "-p",
                                               help="a person's shifts on every schedule")]
    = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="default: stdout")]
    = None,
    days: Annotated[int, typer.Option("--days", min=1, max=service.ICAL_MAX_DAYS,
                                      help="days ahead")] = service.ICAL_DAYS,
    past_days: Annotated[int, typer.Option("--past-days", min=0,
                                           max=service.ICAL_MAX_PAST_DAYS)]
    = service.ICAL_PAST_DAYS,
    at: Annotated[str | None, typer.Option("--at", help=f"window anchor; {_TIME_HELP}")]
    = None,
    tz: TzOpt = "UTC", config: ConfigOpt = None, url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Export a schedule's (or a person's) shifts as iCalendar."""
    if (schedule is None) == (person is None):
        raise InvalidInput("give either a SCHEDULE or --person, not both or neither")
    kind, ident = ("schedules", schedule) if schedule is not None else ("people", person)
    assert ident is not None
    data = _source(config, url, token).ical(kind, ident, _instant(at, tz, "--at"),
                                            past_days, days)
    if output is None:
        typer.echo(data, nl=False)  # bytes as-is: iCalendar lines end in CRLF
        return
    output.write_bytes(data)
    events = data.count(b"BEGIN:VEVENT")
    err_console.print(f"wrote {events} shift(s) to {escape(str(output))}", highlight=False)


__all__ = ["oncall_app"]
