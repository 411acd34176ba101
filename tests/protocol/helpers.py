"""Shared checks of the conformance suite."""

from __future__ import annotations

from typing import Any

from tests.protocol.client import Reply

# A minor accident as PROTOCOL.md's examples make one: every field required to submit.
SUBMITTABLE: dict[str, Any] = {
    "occurred_at": "2026-11-24T09:30:00+01:00",
    "location": {"lat": 52.0907, "lon": 5.1214, "accuracy": 8},
    "outcome": "UMS",
    "accident_kind": "8",
    "narrative": "Kop-staartbotsing bij het stoplicht.",
    "parties[p1]": {"object_type": "1", "injury": "none"},
}


def assert_error(reply: Reply, status: int, code: str | None = None) -> dict[str, Any]:
    """An error answer: the status, and the body PROTOCOL.md gives every error."""
    assert reply.status == status, (reply.status, reply.body)
    body = reply.body
    assert isinstance(body, dict), body
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("message"), str) and body["message"], body
    if "errors" in body:
        assert isinstance(body["errors"], dict), body
    if code is not None:
        assert body["error"] == code, body
    return body
