"""Schemathesis fuzzes every documented endpoint: bad input is a 4xx, never a 500, and
every answer (status, content type, body) is one the OpenAPI document describes."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from server.api_docs import SUCCESS
from tests.api.test_pdok import pdok  # noqa: F401  (the stand-in PDOK fixture)
from tests.conftest import Api

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _fuzz(app: Any, api: Api, examples: int) -> int:
    # Logout and revoke would end the fuzzer's own session; they have their own tests.
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app).exclude(
        path_regex="logout|revoke")
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=api.headers(), checks=CHECKS)

        fuzz()
    return len(operations)


FUZZED = len(SUCCESS) - 2  # every documented operation but logout and revoke


# Tiles and addresses come from a stand-in PDOK on 127.0.0.1 (no internet here).
@pytest.mark.usefixtures("pdok")
def test_every_answer_conforms_for_a_team_leader(app: Any, leider: Api) -> None:
    assert _fuzz(app, leider, 20) == FUZZED


@pytest.mark.usefixtures("pdok")
def test_every_answer_conforms_for_a_beheerder(app: Any, beheerder: Api) -> None:
    assert _fuzz(app, beheerder, 5) == FUZZED
