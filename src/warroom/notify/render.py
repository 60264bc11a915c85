"""Render a `Message` for one channel type from sandboxed Jinja templates.

Alert titles, summaries and labels come from whoever can post an alert, so they are treated
as hostile: HTML parts are autoescaped, Slack mrkdwn parts escape `&`, `<`, `>` on every
`{{ }}`, templates run in Jinja's immutable sandbox with `StrictUndefined` (so unsafe
attribute access such as `''.__class__` fails loudly instead of printing nothing), template
sources and rendered output are size-limited, and short parts (subject, SMS, voice, Slack)
are fitted to their bound by shortening the summary and title first, so the ack and resolve
links survive.

Template names are `<channel type>/<kind>[.<severity>].<part>.j2`; lookup order for, say, an
email page of severity SEV1, part `txt`:

    email/page.SEV1.txt.j2 -> email/page.txt.j2 -> _default/page.SEV1.txt.j2 -> _default/page.txt.j2

At each step an override (from config strings or a templates directory) wins over the
shipped default of the same name.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    DictLoader,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment

from warroom.notify.errors import RenderError
from warroom.notify.message import Message

TEMPLATES_DIR = Path(__file__).parent / "templates"

MAX_SOURCE_CHARS = 64 * 1024
MAX_OUTPUT_CHARS = 256 * 1024

# The parts each channel type renders; unknown (plugin) types get the default parts.
# Slack parts are all mrkdwn-escaped, the subject included (it is the notification text).
PARTS: dict[str, tuple[str, ...]] = {
    "email": ("subject", "txt", "html"),
    "slack": ("subject", "mrkdwn"),
    "twilio": ("sms", "voice"),
    "console": ("txt",),
}
DEFAULT_PARTS: tuple[str, ...] = ("subject", "txt")

# Parts with a hard bound, in characters.
BOUNDS: dict[str, int] = {"subject": 250, "sms": 320, "voice": 1000, "mrkdwn": 3000}

_TEXT_PARTS = ("txt", "mrkdwn", "sms")  # whichever a channel renders becomes `Message.text`
_SAFE_SEVERITY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_ELLIPSIS = "…"


def render(
    message: Message, channel_type: str, *, overrides: Mapping[str, str] | None = None
) -> Message:
    """A copy of `message` with `subject`, `text`, `html` and `extra` rendered for the channel.

    Raises RenderError when a template fails or exceeds a size limit.
    """
    normalized = _normalize_overrides(overrides or {}, channel_type)
    parts = PARTS.get(channel_type, DEFAULT_PARTS)
    context = _context(message)
    rendered: dict[str, str] = {}
    for part in parts:
        env = _environment(tuple(sorted(normalized.items())), mrkdwn=channel_type == "slack")
        template = _select(env, channel_type, message, part)
        rendered[part] = _render_part(template, part, context)

    text = next((rendered[p] for p in _TEXT_PARTS if p in rendered), "")
    others = {p: v for p, v in rendered.items() if p not in ("subject", "html", *_TEXT_PARTS)}
    return dataclasses.replace(
        message,
        subject=rendered.get("subject", ""),
        text=text,
        html=rendered.get("html"),
        extra={**message.extra, **others},
    )


def template_names(channel_type: str, kind: str, severity: str, part: str) -> list[str]:
    """The lookup chain for one part, most specific first."""
    names = []
    for folder in (channel_type, "_default"):
        if _SAFE_SEVERITY.match(severity):
            names.append(f"{folder}/{kind}.{severity}.{part}.j2")
        names.append(f"{folder}/{kind}.{part}.j2")
    return names


def check_templates(overrides: Mapping[str, str], channel_type: str) -> None:
    """Compile user templates once (at config load) so syntax errors surface before a page."""
    normalized = _normalize_overrides(overrides, channel_type)
    env = _environment(tuple(sorted(normalized.items())), mrkdwn=False)
    for name in normalized:
        try:
            env.get_template(name)
        except TemplateError as exc:
            raise RenderError(f"template {name}: {exc}") from exc


def load_overrides(directory: Path) -> dict[str, str]:
    """Every `*.j2` under `directory`, keyed by its relative path (e.g. `email/page.txt.j2`)."""
    found: dict[str, str] = {}
    for path in sorted(directory.rglob("*.j2")):
        if path.stat().st_size > MAX_SOURCE_CHARS * 4:  # cheap guard before reading
            raise RenderError(f"template {path}: source exceeds {MAX_SOURCE_CHARS} characters")
        found[path.relative_to(directory).as_posix()] = path.read_text(encoding="utf-8")
    return found


def _normalize_overrides(overrides: Mapping[str, str], channel_type: str) -> dict[str, str]:
    normalized: dict[str, str] = {}
    for name, source in overrides.items():
        key = name if "/" in name else f"{channel_type}/{name}"
        key = key if key.endswith(".j2") else f"{key}.j2"
        if len(source) > MAX_SOURCE_CHARS:
            raise RenderError(
                f"template {key}: source is {len(source)} characters, limit {MAX_SOURCE_CHARS}"
            )
        normalized[key] = source
    return normalized


def _context(message: Message) -> dict[str, Any]:
    return {
        "kind": message.kind,
        "incident_id": message.incident_id,
        "incident_ref": message.incident_ref,
        "title": message.title,
        "severity": message.severity,
        "status": message.status,
        "summary": message.summary,
        "incident_url": message.incident_url,
        "ack_url": message.ack_url,
        "resolve_url": message.resolve_url,
        "level": message.level,
        "labels": message.labels,
    }


def _finalize(value: Any) -> Any:
    return "" if value is None else value


def _finalize_mrkdwn(value: Any) -> str:
    # Slack's three control characters; escaping `<` also defuses <!channel> and <@U...>.
    text = "" if value is None else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith(".html.j2")


@lru_cache(maxsize=64)
def _environment(
    overrides: tuple[tuple[str, str], ...], *, mrkdwn: bool
) -> ImmutableSandboxedEnvironment:
    # Overrides first: a user template of the same name replaces the shipped one.
    loader = ChoiceLoader([DictLoader(dict(overrides)), FileSystemLoader(TEMPLATES_DIR)])
    return ImmutableSandboxedEnvironment(
        loader=loader,
        autoescape=False if mrkdwn else _autoescape,
        finalize=_finalize_mrkdwn if mrkdwn else _finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


def _select(
    env: ImmutableSandboxedEnvironment, channel_type: str, message: Message, part: str
) -> Template:
    names = tuple(template_names(channel_type, message.kind, message.severity, part))
    try:
        return _chosen(env, names)
    except TemplateError as exc:
        raise RenderError(f"template {names[0]}: {exc}") from exc


@lru_cache(maxsize=1024)
def _chosen(env: ImmutableSandboxedEnvironment, names: tuple[str, ...]) -> Template:
    """The first template of the chain that exists, looked up once per environment (sources
    never change while it lives: `auto_reload=False`). Without this every message walked
    the chain again, paying a file-system miss and an exception per absent name."""
    return env.select_template(names)


def _render_part(template: Template, part: str, context: dict[str, Any]) -> str:
    bound = BOUNDS.get(part)
    clean: Callable[[str], str] = _one_line if part == "subject" else _tidy
    output = clean(_generate(template, context))
    if bound is None or len(output) <= bound:
        return output
    # Too long: shorten the free text first so the headline and the links survive.
    for key in ("summary", "labels", "title"):
        excess = len(output) - bound
        context = {**context, key: _shorten(context[key], excess)}
        output = clean(_generate(template, context))
        if len(output) <= bound:
            return output
    return output[: bound - 1] + _ELLIPSIS


def _shorten(value: Any, excess: int) -> Any:
    if isinstance(value, str):
        keep = len(value) - excess - 1
        return value[:keep] + _ELLIPSIS if keep > 0 else ""
    return type(value)()  # labels: drop them entirely


def _generate(template: Template, context: dict[str, Any]) -> str:
    chunks: list[str] = []
    size = 0
    try:
        # Stream so a template that loops to produce megabytes is stopped early.
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise RenderError(
                    f"template {template.name}: output exceeds {MAX_OUTPUT_CHARS} characters"
                )
            chunks.append(chunk)
    except TemplateError as exc:
        raise RenderError(f"template {template.name}: {exc}") from exc
    return "".join(chunks)


def _one_line(text: str) -> str:
    # Subjects become mail headers and push titles: no line breaks, ever.
    return " ".join(text.split())


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
