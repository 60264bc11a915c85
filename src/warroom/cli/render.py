"""Rich tables and panels for people; plain JSON for scripts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


class _FreshConsole:
    """A console built at each print, so width and colour follow the current environment
    (COLUMNS, NO_COLOR, the terminal) rather than whatever was true at import time."""

    def __init__(self, *, stderr: bool = False) -> None:
        self.stderr = stderr

    def print(self, *objects: Any, **kwargs: Any) -> None:
        Console(stderr=self.stderr).print(*objects, **kwargs)


console = _FreshConsole()
err_console = _FreshConsole(stderr=True)

SEVERITY_STYLE = {"SEV1": "bold white on red", "SEV2": "bold red", "SEV3": "yellow",
                  "SEV4": "cyan"}
STATUS_STYLE = {"triggered": "bold red", "acknowledged": "yellow", "investigating": "yellow",
                "identified": "magenta", "mitigated": "blue", "resolved": "green",
                "closed": "dim"}


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def _when(value: str | None) -> str:
    if not value:
        return "—"
    return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S")


def _styled(text: str, style: str | None) -> str:
    return f"[{style}]{text}[/]" if style else text


def incidents_table(page: dict[str, Any]) -> Table:
    table = Table(title=f"Incidents ({len(page['items'])} of {page['total']})")
    for col in ("ref", "severity", "status", "title", "services", "created (UTC)", "assignee"):
        table.add_column(col, overflow="fold")
    for inc in page["items"]:
        table.add_row(
            inc["reference"],
            _styled(inc["severity"], SEVERITY_STYLE.get(inc["severity"])),
            _styled(inc["status"], STATUS_STYLE.get(inc["status"])),
            escape(inc["title"]), escape(", ".join(inc["services"]) or "—"),
            _when(inc["created_at"]), escape(inc["assignee"] or "—"),
        )
    return table


def incident_panel(inc: dict[str, Any], entries: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{inc['reference']}: {escape(inc['title'])}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    rows = [
        ("severity", _styled(inc["severity"], SEVERITY_STYLE.get(inc["severity"]))),
        ("status", _styled(inc["status"], STATUS_STYLE.get(inc["status"]))),
        ("type", inc["type"]),
        ("services", ", ".join(inc["services"]) or "—"),
        ("id", inc["id"]),
        ("triggered", _when(inc["triggered_at"])),
        ("acknowledged", _when(inc["acknowledged_at"])),
        ("resolved", _when(inc["resolved_at"])),
        ("root cause", inc["root_cause"] or "—"),
        ("roles", ", ".join(f"{r['role']}: {r['person']}" for r in inc["roles"]) or "—"),
    ]
    for key, value in rows:
        table.add_row(key, value if key in ("severity", "status") else escape(str(value)))
    if inc["description"]:
        table.add_row("description", escape(inc["description"]))
    for entry in entries:
        actor = f" [dim]({escape(entry['actor'])})[/]" if entry["actor"] else ""
        table.add_row(_when(entry["at"]),
                      f"[dim]{entry['type']}[/] {escape(entry['summary'])}{actor}")
    return table
