"""Schemathesis fuzzes every documented endpoint: bad input is a 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.conftest import Api


def test_no_endpoint_answers_500(app: Any, leider: Api) -> None:
    # Logout and revoke would end the fuzzer's own session; tiles and geocoding call PDOK
    # (no internet here: 502). Each has its own tests (test_pdok.py: a stand-in PDOK).
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app).exclude(
        path_regex="logout|revoke|tiles|geocode")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=leider.headers(), checks=[not_a_server_error])

        fuzz()
