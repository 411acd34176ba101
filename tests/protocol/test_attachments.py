"""PROTOCOL.md §3 (photos): upload answers and refusals."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from tests.protocol.client import Device
from tests.protocol.helpers import assert_error

Devices = Callable[..., Device]
PNG = b"\x89PNG\r\n\x1a\n" + b"conformance-png" * 10


def test_upload_is_idempotent_and_checked(devices: Devices) -> None:
    phone = devices("agent1")
    body = PNG + phone.device_id.encode()
    sha = hashlib.sha256(body).hexdigest()
    first = phone.call("PUT", f"/api/attachments/{sha}", raw=body, content_type="image/png")
    again = phone.call("PUT", f"/api/attachments/{sha}", raw=body, content_type="image/png")
    assert first.status == 201 and again.status == 200
    assert first.body == again.body == {"sha256": sha, "content_type": "image/png",
                                        "size": len(body)}
    assert_error(phone.call("PUT", f"/api/attachments/{sha}", raw=body,
                            content_type="image/gif"), 415)
    assert_error(phone.call("PUT", f"/api/attachments/{'0' * 64}", raw=body,
                            content_type="image/png"), 400, "hash_mismatch")
    assert_error(phone.call("PUT", "/api/attachments/ABC", raw=body,
                            content_type="image/png"), 400, "invalid_hash")
    other = b"\xff\xd8\xff" + b"x" * 50
    assert_error(phone.call("PUT", f"/api/attachments/{hashlib.sha256(other).hexdigest()}",
                            raw=other, content_type="image/png"), 415)
