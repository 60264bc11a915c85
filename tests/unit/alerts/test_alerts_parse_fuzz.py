"""Property: no JSON value makes any format raise anything but FormatError."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom.alerts.formats import FORMATS, FormatError, ParseResult, require_format

OPTIONS: dict[str, dict[str, Any] | None] = {
    "generic": {"mapping": {"items": "items", "title": "title", "dedup_key": "id", "status": "state",
                            "labels": "labels", "annotations": {"x": "a.b[0]"}, "starts_at": "startsAt",
                            "ends_at": "endsAt", "severity": "severity", "generator_url": "url"}},
}
KEYS = st.sampled_from([
    "labels", "annotations", "startsAt", "endsAt", "status", "version", "alerts", "fingerprint",
    "routing_key", "event_action", "dedup_key", "payload", "summary", "source", "severity",
    "timestamp", "images", "links", "src", "href", "message", "alias", "priority", "tags",
    "details", "action", "identifierType", "items", "title", "id", "state", "orgId", "a", "b",
    "custom_details", "generatorURL",
]) | st.text(max_size=8)
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["4", "1", "firing", "resolved", "trigger", "acknowledge", "resolve", "critical",
                       "P1", "close", "0001-01-01T00:00:00Z", "2026-11-22T21:55:23.073Z", "alias",
                       "https://x", "\ud800", "9999-12-31T23:59:59-23:59"])
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=30,
)
SMALL_JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3),
    max_leaves=6,
)
NOWS = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
) | st.just(datetime(2026, 11, 22, 21, 57, tzinfo=UTC))


def _check(slug: str, payload: object, now: datetime, options: dict[str, Any] | None) -> None:
    try:
        result = require_format(slug).parse(payload, now=now, options=options)
    except FormatError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    assert isinstance(result, ParseResult)
    for alert in result.alerts:
        assert len(alert.fingerprint) >= 1 and len(alert.content_hash) == 64
        assert alert.starts_at.tzinfo is not None
        alert.to_dict()
    for error in result.errors:
        assert error.message


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(slug=st.sampled_from(sorted(FORMATS)), payload=JSON, now=NOWS)
def test_arbitrary_json_only_ever_raises_format_error(slug: str, payload: object, now: datetime) -> None:
    _check(slug, payload, now, OPTIONS.get(slug))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    slug=st.sampled_from(sorted(FORMATS)),
    alerts=st.lists(st.dictionaries(KEYS, SMALL_JSON, max_size=8), max_size=3),
    top=st.dictionaries(KEYS, SMALL_JSON, max_size=4),
    version=st.sampled_from(["4", "1", None]),
    now=NOWS,
)
def test_near_valid_bodies_only_ever_raise_format_error(
    slug: str, alerts: list[dict[str, Any]], top: dict[str, Any], version: str | None, now: datetime
) -> None:
    body: dict[str, Any] = {**top, "alerts": alerts, "items": alerts, "version": version}
    _check(slug, body, now, OPTIONS.get(slug))
    _check(slug, alerts, now, OPTIONS.get(slug))
    pd_like = {"routing_key": "rk", "event_action": "trigger", **top, "payload": alerts[0] if alerts else top}
    _check(slug, pd_like, now, OPTIONS.get(slug))


@settings(max_examples=200, deadline=None)
@given(
    labels=st.dictionaries(st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,10}", fullmatch=True),
                           st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10),
                           min_size=1, max_size=5),
    lease=st.integers(min_value=1, max_value=10_000),
)
def test_renewed_firing_lease_keeps_fingerprint_and_content_hash(labels: dict[str, str], lease: int) -> None:
    now = datetime(2026, 11, 22, 21, 57, tzinfo=UTC)
    fmt = require_format("alertmanager")

    def post(ends: datetime) -> Any:
        item = {"labels": labels, "startsAt": "2026-11-22T21:00:00Z",
                "endsAt": ends.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        return fmt.parse([item], now=now)

    first, second = post(now + timedelta(seconds=lease)), post(now + timedelta(seconds=lease + 60))
    a, b = first.alerts[0], second.alerts[0]
    assert (a.fingerprint, a.content_hash) == (b.fingerprint, b.content_hash)
    resolved = post(now).alerts[0]
    assert resolved.fingerprint == a.fingerprint and resolved.content_hash != a.content_hash
