"""The instance folder and what is in it are this user's only (0700 folders, 0600 files)."""

from __future__ import annotations

import os
import stat
from typing import Any

import pytest
from sqlalchemy import text

from server import create_app
from server.cli import init_database, make_user
from server.extensions import db


def mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def start(instance: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app as production starts it: everything in the instance folder by default."""
    monkeypatch.setenv("WIJKPOST_INSTANCE", instance)
    for name in ("DATABASE_URL", "SECRET_KEY", "WIJKPOST_KEK", "WIJKPOST_ATTACHMENT_DIR"):
        monkeypatch.delenv(name, raising=False)
    return create_app({"SQLITE_CHECKPOINT_THREAD": False, "ARGON2_TIME_COST": 1,
                       "ARGON2_MEMORY_KIB": 256})


def use(app: Any) -> None:
    """Create the schema, write (WAL and SHM appear) and log in (the device key)."""
    with app.app_context():
        init_database()
        make_user("agent1", "agent", "geheim-wachtwoord", "Centrum")
        db.session.commit()
        client = app.test_client()
        response = client.post("/api/auth/login", json={
            "username": "agent1", "password": "geheim-wachtwoord", "device_name": "d"})
        assert response.status_code == 200
        db.session.execute(text("SELECT 1"))
        db.session.remove()


def test_fresh_instance_folder_is_0700_and_its_files_0600(tmp_path: Any,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          ) -> None:
    old = os.umask(0o022)
    try:
        instance = str(tmp_path / "instance")
        app = start(instance, monkeypatch)
        use(app)
        assert mode(instance) == 0o700
        names = set(os.listdir(instance))
        assert {"wijkpost.db", "wijkpost.db-wal", "wijkpost.db-shm", "secret_key"} <= names
        for name in names:
            path = os.path.join(instance, name)
            expected = 0o700 if os.path.isdir(path) else 0o600
            assert mode(path) == expected, (name, oct(mode(path)))
    finally:
        os.umask(old)
        with app.app_context():
            db.engine.dispose()


def test_existing_loose_instance_is_tightened_at_start(tmp_path: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    old = os.umask(0o022)
    try:
        instance = tmp_path / "instance"
        (instance / "attachments" / "ab").mkdir(parents=True)
        os.chmod(instance, 0o755)
        os.chmod(instance / "attachments", 0o755)
        loose = ["wijkpost.db", "wijkpost.db-wal", "wijkpost.db-shm", "secret_key",
                 "server.log"]
        for name in loose:
            (instance / name).write_bytes(b"")
            os.chmod(instance / name, 0o644)
        app = start(str(instance), monkeypatch)
        assert mode(str(instance)) == 0o700
        assert mode(str(instance / "attachments")) == 0o700
        for name in loose:
            assert mode(str(instance / name)) == 0o600, name
        # files made later by any library follow the process umask
        (instance / "later.log").write_text("x")
        assert mode(str(instance / "later.log")) == 0o600
    finally:
        os.umask(old)
        with app.app_context():
            db.engine.dispose()


def test_processes_starting_at_once_share_one_secret(tmp_path: Any) -> None:
    """Workers started together on a fresh instance folder: each reads the same whole
    secret (a half-written one would be empty, a second one would log every user out of
    the other worker)."""
    import multiprocessing

    from server.config import _instance_secret

    for attempt in range(5):
        folder = str(tmp_path / f"instance-{attempt}")
        with multiprocessing.get_context("fork").Pool(8) as pool:
            secrets = pool.map(_instance_secret, [folder] * 8)
        assert len(set(secrets)) == 1 and len(secrets[0]) == 64
        assert mode(os.path.join(folder, "secret_key")) == 0o600
        assert os.listdir(folder) == ["secret_key"]  # no temporary file left behind
