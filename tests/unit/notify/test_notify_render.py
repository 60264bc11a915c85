"""Rendering: escaping of hostile alert text, bounds, template lookup, sandbox, size limits."""

from __future__ import annotations

from typing import Any

import pytest

from warroom.notify.errors import RenderError
from warroom.notify.message import Message
from warroom.notify.render import (
    BOUNDS,
    MAX_OUTPUT_CHARS,
    MAX_SOURCE_CHARS,
    check_templates,
    load_overrides,
    render,
    template_names,
)

HOSTILE = "<script>alert(1)</script> & <!channel>"
ACK = "https://warroom.example/a/tok?do=ack"
RESOLVE = "https://warroom.example/a/tok?do=resolve"


@pytest.fixture
def make_message():
    def make(**fields: Any) -> Message:
        values: dict[str, Any] = {
            "idempotency_key": "d-1",
            "kind": "page",
            "incident_id": "i-1",
            "incident_ref": "INC-7",
            "title": "Disk full",
            "severity": "SEV2",
            "status": "triggered",
            "summary": "db01 at 99%",
            "incident_url": "https://w/i/7",
            "ack_url": ACK,
            "resolve_url": RESOLVE,
            "level": 1,
        } | fields
        return Message(**values)

    return make


def test_html_escapes_hostile_title_and_labels(make_message) -> None:
    out = render(
        make_message(title=HOSTILE, extra={"labels": {"host": "<img src=x onerror=y>"}}), "email"
    )
    assert out.html is not None
    assert "<script>" not in out.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html
    assert "<img" not in out.html and "&lt;img src=x onerror=y&gt;" in out.html
    assert HOSTILE in out.text  # the plain-text part is not HTML and stays verbatim


def test_slack_escapes_mrkdwn_control_characters(make_message) -> None:
    out = render(make_message(title=HOSTILE, extra={"labels": {"k": "<@U1>"}}), "slack")
    for part in (out.text, out.subject):
        assert "<script>" not in part and "<!channel>" not in part
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;" in part
    assert "&lt;@U1&gt;" in out.text
    assert f"<{ACK}|Acknowledge>" in out.text  # template links stay links


@pytest.mark.parametrize(
    "channel_type", ["email", "slack", "twilio", "webhook", "teams", "console"]
)
def test_page_contains_ack_link(make_message, channel_type: str) -> None:
    out = render(make_message(), channel_type)
    assert ACK in out.text or ACK.replace("&", "&amp;") in out.text
    if channel_type in ("email", "slack", "twilio"):
        assert RESOLVE in out.text
    if channel_type == "email":
        assert out.html and f'href="{ACK}"' in out.html


def test_resolved_message_has_no_ack_link(make_message) -> None:
    out = render(make_message(kind="resolved", status="resolved"), "email")
    assert ACK not in out.text and out.html and ACK not in out.html
    assert out.subject.startswith("Resolved:")


def test_sms_is_bounded_and_keeps_the_ack_link(make_message) -> None:
    out = render(make_message(title="x" * 2000, summary="y" * 2000), "twilio")
    assert len(out.text) <= BOUNDS["sms"] == 320
    assert ACK in out.text and RESOLVE in out.text
    assert out.text.startswith("PAGE INC-7 [SEV2] xxx")
    assert len(out.extra["voice"]) <= BOUNDS["voice"]


def test_subject_is_one_bounded_line(make_message) -> None:
    out = render(make_message(title="evil\r\nBcc: victim@example.com " + "z" * 500), "email")
    assert "\n" not in out.subject and "\r" not in out.subject
    assert len(out.subject) <= BOUNDS["subject"]


def test_severity_override_falls_back_to_kind_template(make_message) -> None:
    overrides = {"email/page.SEV1.txt.j2": "SEV1 PAGE {{ incident_ref }}"}
    assert (
        render(make_message(severity="SEV1"), "email", overrides=overrides).text
        == "SEV1 PAGE INC-7"
    )
    # Another severity falls back to email/page.txt.j2, then to _default/page.txt.j2.
    assert render(make_message(severity="SEV3"), "email", overrides=overrides).text.startswith(
        "You are being paged for INC-7."
    )
    assert template_names("email", "page", "SEV1", "txt") == [
        "email/page.SEV1.txt.j2",
        "email/page.txt.j2",
        "_default/page.SEV1.txt.j2",
        "_default/page.txt.j2",
    ]


def test_override_relative_names_and_directory(make_message, tmp_path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "page.subject.j2").write_text("PAGE {{ incident_ref }}")
    overrides = load_overrides(tmp_path) | {"page.html": "<b>{{ title }}</b>"}
    out = render(make_message(title="<i>"), "email", overrides=overrides)
    assert out.subject == "PAGE INC-7"
    assert out.html == "<b>&lt;i&gt;</b>"


def test_hostile_severity_is_not_a_path(make_message) -> None:
    assert "../" not in " ".join(template_names("email", "page", "../../etc", "txt"))
    render(make_message(severity="../../etc/passwd"), "email")


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ title.__init__.__globals__ }}",
        "{% set x = labels.update({'a': 1}) %}{{ x }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
def test_sandbox_refuses_unsafe_access(make_message, source: str) -> None:
    with pytest.raises(RenderError):
        render(make_message(), "email", overrides={"email/page.txt.j2": source})


def test_undefined_variable_is_an_error(make_message) -> None:
    with pytest.raises(RenderError, match="no_such_var"):
        render(make_message(), "email", overrides={"email/page.txt.j2": "{{ no_such_var }}"})


def test_template_source_size_limit(make_message) -> None:
    with pytest.raises(RenderError, match="source"):
        render(
            make_message(), "email", overrides={"email/page.txt.j2": "x" * (MAX_SOURCE_CHARS + 1)}
        )


def test_rendered_output_size_limit(make_message) -> None:
    loop = "{% for i in range(100000) %}{{ title }}{% endfor %}"
    with pytest.raises(RenderError, match="output exceeds"):
        render(make_message(title="x" * 100), "email", overrides={"email/page.txt.j2": loop})
    assert 100 * 100000 > MAX_OUTPUT_CHARS


def test_check_templates_reports_syntax_errors() -> None:
    with pytest.raises(RenderError, match="email/page.txt.j2"):
        check_templates({"page.txt": "{% if %}"}, "email")
    check_templates({"page.txt": "{{ title }}"}, "email")


@pytest.mark.parametrize("kind", ["page", "reminder", "escalation", "resolved", "test"])
@pytest.mark.parametrize(
    "channel_type",
    [
        "email",
        "slack",
        "twilio",
        "console",
        "webhook",
        "teams",
        "pagerduty",
        "opsgenie",
        "apprise",
        "plugin_x",
    ],
)
def test_every_shipped_kind_renders_for_every_channel(
    make_message, kind: str, channel_type: str
) -> None:
    out = render(
        make_message(
            kind=kind, level=None, summary="", ack_url=None, resolve_url=None, incident_url=None
        ),
        channel_type,
    )
    assert out.text
    assert "None" not in out.text


def test_unknown_kind_is_rejected(make_message) -> None:
    with pytest.raises(ValueError, match="unknown message kind"):
        make_message(kind="acknowledged")
