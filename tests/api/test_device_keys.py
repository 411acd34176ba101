"""Device keys are sealed at rest under a KEK with a key id, and a device's key never changes."""

from __future__ import annotations

import base64
import os
import stat
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text, update

from server import create_app
from server.auth import devicekeys
from server.cli import make_user
from server.extensions import db
from server.models import Device
from tests.conftest import PASSWORD, _config, make_app

KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.urlsafe_b64encode(b"B" * 32).decode().rstrip("=")


def log_in(app: Flask, device_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"username": "agent1", "password": PASSWORD, "device_name": "d"}
    if device_id:
        body["device_id"] = device_id
    response = app.test_client().post("/api/auth/login", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def stored(app: Flask, device_id: str) -> str:
    with app.app_context():
        value = db.session.execute(text("SELECT device_key FROM devices WHERE id = :i"),
                                   {"i": device_id}).scalar_one()
        db.session.remove()
    return value


def same_database(first: Flask, tmp_path: Any, **overrides: Any) -> Flask:
    """Another process (or a restart with other settings) on the same database."""
    url = first.config["SQLALCHEMY_DATABASE_URI"]
    return create_app({**_config(str(tmp_path), url), **overrides})


@pytest.fixture
def kek_app(tmp_path: Any, template_db: str) -> Any:
    app = make_app(tmp_path, template_db, KEK=f"k1:{KEY_A}")
    with app.app_context():
        make_user("agent1", "agent", PASSWORD, "Centrum")
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_column_never_holds_the_plaintext_key(kek_app: Flask) -> None:
    body = log_in(kek_app)
    key = body["device_key"]
    value = stored(kek_app, body["device_id"])
    assert key not in value and value.startswith("k1:")
    again = log_in(kek_app, body["device_id"])
    assert again["device_key"] == key
    assert key not in stored(kek_app, body["device_id"])


def test_key_is_the_same_across_logins_and_a_kek_rotation(kek_app: Flask,
                                                          tmp_path: Any) -> None:
    first = log_in(kek_app)
    device_id, key = first["device_id"], first["device_key"]
    assert log_in(kek_app, device_id)["device_key"] == key
    # rotation: k2 is current, k1 still readable; the login seals the key under k2
    rotated = same_database(kek_app, tmp_path, KEK=f"k2:{KEY_B},k1:{KEY_A}")
    assert stored(rotated, device_id).startswith("k1:")
    assert log_in(rotated, device_id)["device_key"] == key
    assert stored(rotated, device_id).startswith("k2:")
    # k1 retired everywhere: the key is still the same
    retired = same_database(kek_app, tmp_path, KEK=f"k2:{KEY_B}")
    assert log_in(retired, device_id)["device_key"] == key
    assert key not in stored(retired, device_id)
    for app in (rotated, retired):
        with app.app_context():
            db.engine.dispose()


def test_a_plaintext_key_from_before_stays_and_is_sealed_at_login(kek_app: Flask) -> None:
    device_id = log_in(kek_app)["device_id"]
    with kek_app.app_context():
        db.session.execute(update(Device).where(Device.id == device_id)
                           .values(device_key="old-plaintext-key-from-before-encryption"))
        db.session.commit()
        db.session.remove()
    assert log_in(kek_app, device_id)["device_key"] == "old-plaintext-key-from-before-encryption"
    assert stored(kek_app, device_id).startswith("k1:")
    assert log_in(kek_app, device_id)["device_key"] == "old-plaintext-key-from-before-encryption"


def test_rewrap_command_seals_every_key_under_the_current_kek(kek_app: Flask,
                                                              tmp_path: Any) -> None:
    device_id = log_in(kek_app)["device_id"]
    key = log_in(kek_app, device_id)["device_key"]
    rotated = same_database(kek_app, tmp_path, KEK=f"k2:{KEY_B},k1:{KEY_A}")
    result = rotated.test_cli_runner().invoke(args=["rewrap-device-keys"])
    assert result.exit_code == 0 and "1 apparaatsleutels" in result.output
    assert stored(rotated, device_id).startswith("k2:")
    retired = same_database(kek_app, tmp_path, KEK=f"k2:{KEY_B}")
    assert log_in(retired, device_id)["device_key"] == key
    for app in (rotated, retired):
        with app.app_context():
            db.engine.dispose()


def test_a_key_that_does_not_open_is_503_never_a_new_key(kek_app: Flask,
                                                         tmp_path: Any) -> None:
    device_id = log_in(kek_app)["device_id"]
    before = stored(kek_app, device_id)
    lost = same_database(kek_app, tmp_path, KEK=f"k2:{KEY_B}")
    response = lost.test_client().post("/api/auth/login", json={
        "username": "agent1", "password": PASSWORD, "device_name": "d", "device_id": device_id})
    assert response.status_code == 503
    assert response.get_json()["error"] == "device_key_unavailable"
    assert stored(lost, device_id) == before
    with lost.app_context():
        db.engine.dispose()


def test_sealed_key_opens_only_for_its_own_device(kek_app: Flask) -> None:
    with kek_app.app_context():
        sealed = devicekeys.seal("device-a", "the-key")
        assert devicekeys.open_key("device-a", sealed) == "the-key"
        with pytest.raises(devicekeys.KeyUnavailable):
            devicekeys.open_key("device-b", sealed)


@pytest.mark.parametrize("bad", ["k1", "k1:bm90LTMyLWJ5dGVz", f"k 1:{KEY_A}", "k1:***",
                                 f"k1:{KEY_A},k1:{KEY_B}"])
def test_a_malformed_kek_fails_the_start(tmp_path: Any, template_db: str, bad: str) -> None:
    with pytest.raises(ValueError, match="WIJKPOST_KEK"):
        make_app(tmp_path, template_db, KEK=bad)


def test_without_a_kek_a_key_is_made_at_first_need_in_the_instance(
        tmp_path: Any, template_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = tmp_path / "instance"
    monkeypatch.setenv("WIJKPOST_INSTANCE", str(instance))
    monkeypatch.delenv("WIJKPOST_KEK", raising=False)
    app = make_app(tmp_path, template_db)
    assert not (instance / devicekeys.KEY_FILE).exists()  # not before it is needed
    with app.app_context():
        make_user("agent1", "agent", PASSWORD, "Centrum")
        db.session.commit()
        db.session.remove()
    body = log_in(app)
    path = instance / devicekeys.KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    kid = path.read_text().split(":")[0]
    assert stored(app, body["device_id"]).startswith(kid + ":")
    # a restart reads the same key; configuring a KEK later keeps it readable
    later = same_database(app, tmp_path, KEK=f"k1:{KEY_A}")
    assert log_in(later, body["device_id"])["device_key"] == body["device_key"]
    assert stored(later, body["device_id"]).startswith("k1:")
    for each in (app, later):
        with each.app_context():
            db.engine.dispose()


def test_upgrade_of_a_populated_database_keeps_plaintext_keys_readable(tmp_path: Any) -> None:
    """A database from before (plaintext keys, tokens referring to devices) migrates, and
    the device's key is still the same at its next login, then sealed."""
    from flask_migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    device_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    app = create_app({**_config(str(tmp_path), url), "KEK": f"k1:{KEY_A}"})
    with app.app_context():
        upgrade(revision="0001")
        make_user("agent1", "agent", PASSWORD, "Centrum")
        user_id = db.session.execute(text("SELECT id FROM users")).scalar_one()
        db.session.execute(text(
            "INSERT INTO devices (id, user_id, name, device_key, created_at) "
            "VALUES (:d, :u, 'oud', 'plaintext-key-of-an-old-device', '2026-01-01')"),
            {"u": user_id, "d": device_id})
        db.session.execute(text(
            "INSERT INTO tokens (token_hash, user_id, device_id, created_at, expires_at) "
            "VALUES ('h', :u, :d, '2026-01-01', '2026-01-02')"), {"u": user_id, "d": device_id})
        db.session.commit()
        upgrade()
        db.session.remove()
    assert log_in(app, device_id)["device_key"] == "plaintext-key-of-an-old-device"
    assert stored(app, device_id).startswith("k1:")
    with app.app_context():
        db.engine.dispose()
