"""The access log, written by the app: every request but an accepted alert post."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

ALERT = [{"labels": {"alertname": "DiskFull", "severity": "warning"}}]


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]


def test_accepted_alert_posts_are_left_out_and_everything_else_is_logged(
        client: TestClient, make_integration: Callable[..., str],
        caplog: pytest.LogCaptureFixture) -> None:
    key = make_integration("alertmanager")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        ok = client.post("/api/v2/alerts", json=ALERT, headers={"Authorization": f"Bearer {key}"})
        refused = client.post("/api/v2/alerts", json=ALERT,
                              headers={"Authorization": "Bearer not-a-key"})
        bad = client.post("/api/v2/alerts", content=b"{", headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        health = client.get("/healthz?verbose=1")
    assert (ok.status_code, refused.status_code, bad.status_code, health.status_code) == \
        (200, 401, 400, 200)
    lines = _lines(caplog)
    assert len(lines) == 3, lines
    assert lines[0].endswith('"POST /api/v2/alerts HTTP/1.1" 401')
    assert lines[1].endswith('"POST /api/v2/alerts HTTP/1.1" 400')
    assert lines[2].endswith('"GET /healthz?verbose=1 HTTP/1.1" 200')

