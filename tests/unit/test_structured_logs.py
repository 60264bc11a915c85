"""Log lines are JSON with incident / delivery context, and secrets never reach them."""

from __future__ import annotations

import json
import logging

from warroom.observability.logging import JsonFormatter, ScrubSecrets, scrub


def test_secrets_are_scrubbed() -> None:
    line = ('GET /a/eyJpIjoiYmZmZmIwYWQtODhjYi00NGEzLWJhZGMtZGFiMmVjOGM0MzBiIn0.awOHAQ.Ovm '
            'Authorization: Bearer e93facc04764012d7bfb002500d5d1a6 '
            'token wr_LeAgY_Yhl3_xCeqcmLlgNyeoMPBqiOhuxxOb4mmcRRw ?routing_key=abcdef123456')
    cleaned = scrub(line)
    for secret in ("eyJpIjoi", "e93facc04764", "wr_LeAgY", "abcdef123456"):
        assert secret not in cleaned
    assert "/a/[redacted]" in cleaned and "Bearer [redacted]" in cleaned


def test_json_lines_carry_context_and_scrubbed_messages() -> None:
    record = logging.LogRecord("warroom.notify", logging.INFO, __file__, 1,
                               "sent page with %s", ("wr_abcdefghijklmnopqrstuvwxyz",), None)
    record.delivery_id = 42
    record.incident_id = "9f0c"
    assert ScrubSecrets().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "info" and entry["logger"] == "warroom.notify"
    assert entry["delivery_id"] == 42 and entry["incident_id"] == "9f0c"
    assert entry["msg"] == "sent page with wr_[redacted]" and entry["ts"].endswith("Z")
