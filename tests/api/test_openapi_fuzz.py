"""Schemathesis against our own /openapi.json: bounded, and no request may cause a 5xx.

Operations are driven with Hypothesis directly (one bounded run per operation) rather than
through schemathesis' pytest plugin, which does not support the pytest version we run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

EXAMPLES_PER_OPERATION = 20


def test_no_request_causes_a_server_error(
    client: TestClient, auth_headers: dict[str, str], make_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = make_incident(title="fuzz target")
    make_incident(title="second")
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    calls: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            params = case.path_parameters or {}
            # Half the cases aim at a real incident so handlers get past the 404.
            if "incident_id" in params and len(str(params["incident_id"])) % 2 == 0:
                params["incident_id"] = incident["id"]
            case.call_and_validate(
                headers=auth_headers, checks=[not_a_server_error, response_schema_conformance]
            )
            calls.append(operation.label)

        run()

    assert len(calls) >= 200, f"only {len(calls)} cases ran"
