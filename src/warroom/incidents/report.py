"""Seed 000's incident report: severity, status, time to acknowledge / resolve, root cause,
and the timeline; as a JSON-able dict and as Markdown (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from warroom.durations import human_duration
from warroom.incidents.models import Incident
from warroom.incidents.present import time_to_acknowledge, time_to_resolve
from warroom.timeline.models import TimelineEntry


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def build_report(incident: Incident, entries: list[TimelineEntry]) -> dict[str, Any]:
    tta, ttr = time_to_acknowledge(incident), time_to_resolve(incident)
    mitigated = (
        incident.mitigated_at - incident.triggered_at if incident.mitigated_at else None
    )
    return {
        "incident": incident.reference,
        "id": str(incident.id),
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "type": incident.type,
        "services": incident.service_names,
        "detected_at": _iso(incident.triggered_at),
        "acknowledged_at": _iso(incident.acknowledged_at),
        "mitigated_at": _iso(incident.mitigated_at),
        "resolved_at": _iso(incident.resolved_at),
        "time_to_acknowledge_seconds": tta.total_seconds() if tta else None,
        "time_to_mitigate_seconds": mitigated.total_seconds() if mitigated else None,
        "time_to_resolve_seconds": ttr.total_seconds() if ttr else None,
        "root_cause": incident.root_cause,
        "roles": [{"role": r.role, "person": r.person} for r in incident.roles],
        "timeline": [
            {"at": _iso(e.at), "type": e.type, "kind": e.kind, "source": e.source,
             "actor": e.actor, "summary": e.summary}
            for e in entries
        ],
    }


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any]) -> str:
    def dur(key: str) -> str:
        seconds = report[key]
        if seconds is None:
            return "—"
        return human_duration(timedelta(seconds=seconds))

    lines = [
        f"# {report['incident']}: {report['title']}",
        "",
        f"- **Severity:** {report['severity']}",
        f"- **Status:** {report['status']}",
        f"- **Type:** {report['type']}",
        f"- **Services:** {', '.join(report['services']) or '—'}",
        f"- **Detected:** {report['detected_at']}",
        f"- **Time to acknowledge:** {dur('time_to_acknowledge_seconds')}",
        f"- **Time to mitigate:** {dur('time_to_mitigate_seconds')}",
        f"- **Time to resolve:** {dur('time_to_resolve_seconds')}",
        f"- **Root cause:** {report['root_cause'] or '—'}",
    ]
    if report["roles"]:
        roles = ", ".join(f"{r['role']}: {r['person']}" for r in report["roles"])
        lines.append(f"- **Roles:** {roles}")
    lines += ["", "## Timeline", "", "| time (UTC) | type | source | actor | what |",
              "|---|---|---|---|---|"]
    for e in report["timeline"]:
        lines.append(
            f"| {e['at']} | {e['type']} | {e['source']} | {_md_escape(e['actor'] or '')} "
            f"| {_md_escape(e['summary'])} |"
        )
    return "\n".join(lines) + "\n"
