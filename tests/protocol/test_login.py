"""PROTOCOL.md §2 (login and tokens): the answer's shape, device reuse, the 401 kinds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from tests.live_server import PASSWORD
from tests.protocol.client import Device, request
from tests.protocol.helpers import assert_error


def test_login_answer_and_device_reuse(base_url: str) -> None:
    phone = Device(base_url, "agent2", PASSWORD, "conformance login")
    first = phone.login()
    assert first.status == 200
    body = first.body
    assert set(body) >= {"token", "device_id", "device_key", "expires_at", "user", "devices"}
    assert datetime.fromisoformat(body["expires_at"]) > datetime.now(UTC)
    assert body["user"]["username"] == "agent2" and body["user"]["role"] == "agent"
    assert any(d["id"] == body["device_id"] for d in body["devices"])
    # the device sends its id back at the next login: same device, same device_key
    again = phone.login()
    assert again.status == 200
    assert again.body["device_id"] == body["device_id"]
    assert again.body["device_key"] == body["device_key"]
    assert again.body["token"] != body["token"]
    # both tokens of the device work until logout
    assert phone.call("GET", "/api/me").status == 200
    assert phone.call("POST", "/api/auth/logout").status == 200
    assert_error(phone.call("GET", "/api/me"), 401, "invalid_token")


def test_wrong_password_and_missing_token(base_url: str) -> None:
    wrong = request(base_url, "POST", "/api/auth/login",
                    body={"username": "agent2", "password": "fout", "device_name": "x"})
    assert_error(wrong, 401, "invalid_credentials")
    assert_error(request(base_url, "GET", "/api/sync/pull"), 401, "invalid_token")
    assert_error(request(base_url, "GET", "/api/sync/pull", token="onzin"), 401,
                 "invalid_token")


def test_revoked_device_gets_device_revoked(base_url: str,
                                            devices: Callable[[str, str], Device]) -> None:
    spare = Device(base_url, "agent3", PASSWORD, "conformance reserve")
    assert spare.login().status == 200
    other = devices("agent3", "telefoon")
    revoked = other.call("POST", f"/api/devices/{spare.device_id}/revoke")
    assert revoked.status == 200 and revoked.body["revoked"] is True
    assert_error(spare.call("GET", "/api/sync/pull"), 401, "device_revoked")
    # a revoked device id is not reused: logging in with it makes a new device
    again = spare.login()
    assert again.status == 200 and again.body["device_id"] != revoked.body["id"]
