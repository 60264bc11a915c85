"""Structured JSON logs with incident and delivery ids, and secrets scrubbed.

Secrets that could reach a log line: API tokens (`wr_…`), integration keys in headers,
and signed page links (`/a/<token>`, which would let a reader acknowledge an incident).
The filter scrubs them from every record, uvicorn's access log included.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

SECRETS = [
    (re.compile(r"/a/[A-Za-z0-9._\-]{20,}"), "/a/[redacted]"),
    (re.compile(r"wr_[A-Za-z0-9_\-]{16,}"), "wr_[redacted]"),
    (re.compile(r"(?i)(bearer|geniekey|basic)\s+[A-Za-z0-9._~+/=\-]{8,}"), r"\1 [redacted]"),
    (re.compile(r"(?i)(routing_key|token|key|password|secret)=([^&\s]{6,})"), r"\1=[redacted]"),
]
CONTEXT_FIELDS = ("incident", "incident_id", "delivery_id", "channel", "integration",
                  "outcome", "count", "lag")


def scrub(text: str) -> str:
    for pattern, replacement in SECRETS:
        text = pattern.sub(replacement, text)
    return text


class ScrubSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["error"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """Route warroom's and uvicorn's logs through one handler: JSON for machines (the
    default when stderr is not a terminal), plain text for a person at a terminal."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler()
    handler.addFilter(ScrubSecrets())
    handler.setFormatter(JsonFormatter() if use_json else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
