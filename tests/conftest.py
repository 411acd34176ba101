"""Fixtures: an app on a fresh database per test, users, teams and authenticated clients.

The schema comes from the migrations (so they are tested too). SQLite: a template file
migrated once, copied per test. PostgreSQL (``WIJKPOST_TEST_DATABASE_URL``): migrated
once, every table emptied before each test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from server import create_app
from server.cli import init_database, make_user
from server.extensions import db

PG_URL = os.environ.get("WIJKPOST_TEST_DATABASE_URL")
PASSWORD = "geheim-wachtwoord"
FAST_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 256}


def _config(tmp: str, url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test",
        "ATTACHMENT_DIR": os.path.join(tmp, "attachments"),
        "RATELIMIT_ENABLED": False,
        # one thread per test database would outlive the test; tests/api/test_sqlite.py
        # covers the checkpoint thread
        "SQLITE_CHECKPOINT_THREAD": False,
        # tests run jobs themselves (tests/api/test_webpush_leader.py runs real schedulers)
        "SCHEDULER_ENABLED": False,
        # tests chain pending audit events themselves (audit.chain_pending, audit-verify)
        "AUDIT_CHAINER_THREAD": False,
        "AUDIT_KEY": "test-audit-key",
        "AUDIT_ANCHOR_FILE": os.path.join(tmp, f"audit-anchor-{uuid.uuid4().hex[:8]}"),
        **FAST_ARGON2,
    }


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    base = str(tmp_path_factory.mktemp("template"))
    url = PG_URL or f"sqlite:///{os.path.join(base, 'template.db')}"
    app = create_app(_config(base, url))
    with app.app_context():
        if PG_URL:
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        init_database()
        db.engine.dispose()
    return url


def make_app(tmp_path: Any, template_db: str, **overrides: Any) -> Flask:
    if PG_URL:
        url = template_db
    else:
        path = os.path.join(str(tmp_path), f"test-{uuid.uuid4().hex[:8]}.db")
        shutil.copy(template_db.removeprefix("sqlite:///"), path)
        url = f"sqlite:///{path}"
    app = create_app({**_config(str(tmp_path), url), **overrides})
    if PG_URL:
        with app.app_context():
            tables = ", ".join(
                t.name for t in db.metadata.sorted_tables
            )
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
    return app


@pytest.fixture
def app(tmp_path: Any, template_db: str) -> Iterator[Flask]:
    app = make_app(tmp_path, template_db)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class Api:
    """A signed-in device: a test client that sends the device's bearer token."""

    def __init__(self, client: FlaskClient, login: dict[str, Any]) -> None:
        self.client = client
        self.login = login
        self.token = login["token"]
        self.device_id = login["device_id"]
        self.username = login["user"]["username"]
        self._counter = 0
        self._ms = 1_700_000_000_000

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.headers(), **kw)

    def post(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(url, json=json, headers=self.headers(), **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.client.put(url, headers=self.headers(), **kw)

    def patch(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(url, json=json, headers=self.headers(), **kw)

    def hlc(self) -> str:
        self._counter += 1
        return f"{self._ms + self._counter}-0-{self.device_id}"

    def op(self, record_id: str, set_: dict[str, Any], base_rev: int = 0,
           rtype: str = "vor", op_id: str | None = None, hlc: str | None = None
           ) -> dict[str, Any]:
        return {"op_id": op_id or str(uuid.uuid4()), "record_id": record_id, "type": rtype,
                "base_rev": base_rev, "set": set_, "hlc": hlc or self.hlc()}

    def push(self, *ops: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.post("/api/sync/push", json={"device_id": self.device_id,
                                                      "ops": list(ops)})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["results"]

    def pull_all(self, since: str | None = None, limit: int = 100) -> dict[str, Any]:
        changes: list[dict[str, Any]] = []
        reset = False
        while True:
            query = f"/api/sync/pull?limit={limit}" + (f"&since={since}" if since else "")
            body = self.get(query).get_json()
            changes += body["changes"]
            reset = reset or body.get("reset", False)
            since = body["cursor"]
            if not body["more"]:
                return {"changes": changes, "cursor": since, "reset": reset}


def login(client: FlaskClient, username: str, device_name: str = "telefoon",
          device_id: str | None = None) -> Api:
    body = {"username": username, "password": PASSWORD, "device_name": device_name}
    if device_id:
        body["device_id"] = device_id
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 200, response.get_json()
    return Api(client, response.get_json())


@pytest.fixture
def users(app: Flask) -> dict[str, Any]:
    """Team Centrum: agent1, agent2, leider1; team Noord: agent3; beheerder beheer1."""
    created = {
        "agent1": make_user("agent1", "agent", PASSWORD, "Centrum"),
        "agent2": make_user("agent2", "agent", PASSWORD, "Centrum"),
        "leider1": make_user("leider1", "teamleider", PASSWORD, "Centrum"),
        "agent3": make_user("agent3", "agent", PASSWORD, "Noord"),
        "beheer1": make_user("beheer1", "beheerder", PASSWORD, None),
    }
    db.session.commit()
    return created


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def agent1(client: FlaskClient, users: dict[str, Any]) -> Api:
    return login(client, "agent1", "telefoon A")


@pytest.fixture
def agent2(client: FlaskClient, users: dict[str, Any]) -> Api:
    return login(client, "agent2", "telefoon B")


@pytest.fixture
def leider(client: FlaskClient, users: dict[str, Any]) -> Api:
    return login(client, "leider1", "laptop")


@pytest.fixture
def agent3(client: FlaskClient, users: dict[str, Any]) -> Api:
    return login(client, "agent3", "telefoon Noord")


@pytest.fixture
def beheerder(client: FlaskClient, users: dict[str, Any]) -> Api:
    return login(client, "beheer1", "werkplek")
