"""Alert identity and change detection.

Two different questions, kept apart on purpose:

* ``fingerprint`` answers *which alert is this?*  It is stable for the life of an
  alert (label set, or a sender-supplied dedup key) and is what storage keys on.
* ``content_hash`` answers *did anything about it change?*  It lets the service skip
  writes and timeline entries when a sender merely repeats itself (Prometheus resends
  every firing alert every minute).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime

import orjson

__all__ = [
    "FINGERPRINT_OFFSET",
    "alertmanager_fingerprint",
    "content_hash",
    "content_hash_from",
    "dedup_fingerprint",
    "fnv1a64",
    "python_fnv1a64",
    "python_label_fingerprint",
]

# FNV-1a 64-bit parameters, as in prometheus/common model/fnv.go.
FINGERPRINT_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = 0xFFFFFFFFFFFFFFFF
# model.SeparatorByte: never occurs in valid UTF-8, so segment boundaries are unambiguous.
_SEP = b"\xff"
_CONTENT_HASH_VERSION = 1


def python_fnv1a64(data: bytes) -> int:
    """FNV-1a 64 of ``data``: the reference the C module (``_fnv.c``) must agree with,
    and the fallback when it was not built."""
    h = FINGERPRINT_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & _MASK
    return h


def _utf8(text: str) -> bytes:
    # surrogatepass: JSON may carry lone surrogates; hashing must still not raise.
    return text.encode("utf-8", "surrogatepass")


def python_label_fingerprint(labels: Mapping[str, str]) -> str:
    """Reference fingerprint of a label set (see ``alertmanager_fingerprint``)."""
    # Python orders str by code point, which equals UTF-8 byte order (Go's sort).
    data = b"".join(_utf8(name) + _SEP + _utf8(value) + _SEP
                    for name, value in sorted(labels.items()))
    return f"{python_fnv1a64(data):016x}"


try:  # built by `pip install` when a C compiler is there; optional
    from warroom.alerts import _fnv
except ImportError:  # pragma: no cover - depends on the install
    _fnv = None

SPEEDUP_BUILT = _fnv is not None
fnv1a64 = _fnv.fnv1a64 if _fnv is not None else python_fnv1a64


def alertmanager_fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint of a label set, so our ids match what users see there.

    Same as prometheus/common ``LabelSet.Fingerprint()``: FNV-1a 64 over the label names
    in sorted (byte) order, hashing ``name 0xFF value 0xFF`` for each pair, printed as
    16 lowercase hex digits.  The empty set hashes to the FNV offset basis.
    In C when built: in Python it was ~16 us a label set, a third of parsing an alert,
    and Prometheus resends every active alert every minute. Label sets the C module
    declines (lone surrogates, not a dict of str) take the Python path.
    """
    if _fnv is not None:
        fingerprint = _fnv.label_fingerprint(labels)
        if fingerprint is not None:
            return fingerprint
    return python_label_fingerprint(labels)


def dedup_fingerprint(scope: str, key: str) -> str:
    """Fingerprint for alerts identified by a sender dedup key (PagerDuty, Opsgenie alias).

    ``scope`` namespaces keys (format slug, or the integration id: PagerDuty keys are
    only unique per routing key).  The input is three 0xFF-terminated segments
    (``"warroom.dedup" scope key``) while a label set always hashes an even number,
    so a dedup fingerprint cannot equal a label fingerprint except by a 64-bit collision.
    """
    h = fnv1a64(b"warroom.dedup" + _SEP + _utf8(scope) + _SEP + _utf8(key) + _SEP)
    return f"{h:016x}"


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_hash(
    *,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    status: str,
    ends_at: datetime | None,
    summary: str,
    severity: str | None,
) -> str:
    """SHA-256 (hex) of what an on-call engineer would call "the alert changed".

    Hashed: a version number, labels, annotations, status, summary, severity and, for
    resolved alerts only, ``ends_at`` (the resolution time), as canonical JSON (sorted
    keys, compact, UTF-8; lone surrogates, which orjson refuses, are written with
    ``surrogatepass``).  Not hashed: ``starts_at``, ``generator_url``,
    ``raw`` and a firing alert's ``ends_at``: that one is a lease Prometheus renews
    on every resend (eval time + 4 m), and renewing a lease is not a change.
    """
    return content_hash_from(dict(labels), dict(annotations), str(status), ends_at, summary,
                             severity)


def content_hash_from(
    labels: dict[str, str],
    annotations: dict[str, str],
    status: str,
    ends_at: datetime | None,
    summary: str,
    severity: str | None,
    /,
) -> str:
    """``content_hash`` for callers that already hold plain dicts and the status as a str
    (the Alertmanager parser, which calls it from C): no keywords and no copies."""
    doc = {
        "v": _CONTENT_HASH_VERSION,
        "labels": labels,
        "annotations": annotations,
        "status": status,
        "ends_at": _utc_text(ends_at) if ends_at is not None and status == "resolved" else None,
        "summary": summary,
        "severity": severity,
    }
    try:
        data = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        data = text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()
