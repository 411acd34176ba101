"""Schemathesis fuzzes the beheerder's area and notice endpoints: bad input is a 4xx."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.conftest import Api


def test_area_and_notice_endpoints_never_answer_500(app: Any, beheerder: Api) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app).include(
        path_regex="areas|notices")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=beheerder.headers(), checks=[not_a_server_error])

        fuzz()
