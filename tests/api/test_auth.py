"""Login, tokens, expiry, revocation, rate limiting and role checks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import update

from server.extensions import db
from server.models import Token, utcnow
from tests.conftest import PASSWORD, login, make_app


def test_login_returns_device_bound_token_and_device_key(client: FlaskClient, users: Any) -> None:
    api = login(client, "agent1")
    body = api.login
    assert body["user"]["role"] == "agent" and body["user"]["team"]["name"] == "Centrum"
    assert len(body["device_key"]) >= 40 and body["token"] != body["device_key"]
    assert [d["id"] for d in body["devices"]] == [body["device_id"]]
    me = api.get("/api/me").get_json()
    assert me["username"] == "agent1" and me["device_id"] == body["device_id"]


def test_token_is_stored_hashed(client: FlaskClient, users: Any) -> None:
    api = login(client, "agent1")
    stored = db.session.execute(db.select(Token.token_hash)).scalars().all()
    assert api.token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_same_device_id_keeps_the_device_across_logins(client: FlaskClient, users: Any) -> None:
    first = login(client, "agent1")
    second = login(client, "agent1", device_id=first.device_id)
    assert second.device_id == first.device_id
    assert second.login["device_key"] == first.login["device_key"]


def test_another_users_device_id_is_not_taken_over(client: FlaskClient, users: Any) -> None:
    first = login(client, "agent1")
    other = login(client, "agent2", device_id=first.device_id)
    assert other.device_id != first.device_id


def test_wrong_password_is_401_in_dutch(client: FlaskClient, users: Any) -> None:
    response = client.post("/api/auth/login", json={"username": "agent1", "password": "fout",
                                                    "device_name": "x"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_credentials"
    assert "wachtwoord" in response.get_json()["message"]


def test_login_missing_fields_is_field_level_422(client: FlaskClient, users: Any) -> None:
    response = client.post("/api/auth/login", json={"username": "agent1"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"password", "device_name"}


def test_api_requires_token(client: FlaskClient, users: Any) -> None:
    for url in ("/api/me", "/api/forms", "/api/sync/pull", "/api/registrations"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.get_json()["error"] == "invalid_token"


def test_expired_token_is_token_expired(client: FlaskClient, users: Any) -> None:
    api = login(client, "agent1")
    db.session.execute(update(Token).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = api.get("/api/me")
    assert response.status_code == 401
    assert response.get_json()["error"] == "token_expired"


def test_revoked_device_is_device_revoked_at_once(client: FlaskClient, users: Any) -> None:
    agent = login(client, "agent1")
    admin = login(client, "beheer1")
    assert admin.post(f"/api/devices/{agent.device_id}/revoke").status_code == 200
    response = agent.get("/api/me")
    assert response.status_code == 401 and response.get_json()["error"] == "device_revoked"
    # a fresh login from the revoked device gets a new device and key
    again = login(client, "agent1", device_id=agent.device_id)
    assert again.device_id != agent.device_id


def test_agent_cannot_revoke_another_users_device(client: FlaskClient, users: Any) -> None:
    a1, a2 = login(client, "agent1"), login(client, "agent2")
    assert a2.post(f"/api/devices/{a1.device_id}/revoke").status_code == 404
    assert a1.get("/api/me").status_code == 200


def test_logout_ends_the_token(client: FlaskClient, users: Any) -> None:
    api = login(client, "agent1")
    assert api.post("/api/auth/logout").status_code == 200
    assert api.get("/api/me").status_code == 401


def test_login_is_rate_limited_per_user(tmp_path: Any, template_db: str) -> None:
    app = make_app(tmp_path, template_db, RATELIMIT_ENABLED=True,
                   LOGIN_RATE_PER_USER="3 per minute", LOGIN_RATE_PER_ADDRESS="100 per minute")
    from server.cli import make_user

    with app.app_context():
        make_user("agent1", "agent", PASSWORD, "Centrum")
        db.session.commit()
        client = app.test_client()
        codes = [client.post("/api/auth/login", json={"username": "agent1", "password": "x",
                                                       "device_name": "d"}).status_code
                 for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        other = client.post("/api/auth/login", json={"username": "agent2", "password": "x",
                                                      "device_name": "d"})
        assert other.status_code == 401  # another user name is not blocked
        db.session.remove()
        db.engine.dispose()


def test_beheerder_cannot_push_and_agent_cannot_review(agent1: Any, beheerder: Any) -> None:
    response = beheerder.post("/api/sync/push", json={"ops": []})
    assert response.status_code == 403
    response = agent1.post("/api/registrations/00000000-0000-4000-8000-000000000000/review",
                           json={"decision": "approve", "rev": 1})
    assert response.status_code == 403


def test_openapi_document_lists_the_sync_endpoints(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert {"/api/sync/push", "/api/sync/pull", "/api/auth/login"} <= set(spec["paths"])


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/health")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_login_is_rate_limited_per_address(tmp_path: Any, template_db: str) -> None:
    app = make_app(tmp_path, template_db, RATELIMIT_ENABLED=True,
                   LOGIN_RATE_PER_USER="100 per minute", LOGIN_RATE_PER_ADDRESS="3 per minute")
    with app.app_context():
        client = app.test_client()
        codes = [client.post("/api/auth/login", json={"username": f"u{i}", "password": "x",
                                                       "device_name": "d"}).status_code
                 for i in range(4)]
        assert codes == [401, 401, 401, 429]
        assert client.post("/api/auth/login", json={}).get_json()["error"] == "rate_limited"
        db.session.remove()
        db.engine.dispose()


def test_forms_describe_the_three_types_for_signed_in_users(client: FlaskClient,
                                                             users: Any) -> None:
    api = login(client, "agent1")
    body = api.get("/api/forms").get_json()
    assert body["schema_version"] == 1
    assert {f["type"] for f in body["forms"]} == {"vor", "pdo", "gtpa"}
    vor = next(f for f in body["forms"] if f["type"] == "vor")
    outcome = next(f for f in vor["fields"] if f["name"] == "outcome")
    assert [c["code"] for c in outcome["choices"]] == ["UMS", "LET", "DOD"]


def test_hsts_only_on_https(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/health").headers
    secure = client.get("/health", base_url="https://wijkpost.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_login_limit_is_shared_across_processes_through_redis(tmp_path: Any,
                                                              template_db: str) -> None:
    """Several server processes count login attempts in one Redis."""
    import socket
    import uuid

    import pytest

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
                "RATELIMIT_KEY_PREFIX": f"wijkpost-test-{uuid.uuid4().hex}",
                "LOGIN_RATE_PER_USER": "3 per minute", "LOGIN_RATE_PER_ADDRESS": "100 per minute"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = make_app(tmp_path / "a", template_db, **settings)
    second = make_app(tmp_path / "b", template_db, **settings)
    attempt = {"username": "agent1", "password": "x", "device_name": "d"}
    codes = []
    for app in (first, second, first, second):
        with app.app_context():
            codes.append(app.test_client().post("/api/auth/login", json=attempt).status_code)
            db.session.remove()
            db.engine.dispose()
    assert codes == [401, 401, 401, 429]


def test_nul_bytes_are_refused_before_they_reach_the_database(client: FlaskClient,
                                                              users: Any) -> None:
    """PostgreSQL text cannot hold NUL: a NUL anywhere a query uses it is a 4xx."""
    response = client.post("/api/auth/login", json={"username": "agent1\u0000",
                                                    "password": "x", "device_name": "d"})
    assert response.status_code == 400 and "username" in response.get_json()["errors"]
    api = login(client, "agent1")
    assert api.get("/api/registrations/ab%00cd").status_code == 400
    assert api.get("/api/registrations?created_by=a%00b").status_code == 400
    assert api.post("/api/devices/x%00y/revoke").status_code == 400
