"""SQLite: the checkpoint thread moves committed pushes from the write-ahead log into the
database file, so commits do not wait for checkpoints and the log does not grow without
bound."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import pytest
from flask import Flask

from server import sqlite
from server.extensions import db
from tests.conftest import PG_URL, login, make_app


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's write-ahead log; PostgreSQL has none")
def test_checkpoint_thread_copies_the_log_into_the_database(
        tmp_path: Any, template_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite, "CHECKPOINT_INTERVAL_S", 0.05)
    app: Flask = make_app(tmp_path, template_db, SQLITE_CHECKPOINT_THREAD=True)
    with app.app_context():
        path = db.engine.url.database
        assert path is not None
        from server.cli import make_user
        make_user("agent1", "agent", "geheim-wachtwoord", "Centrum")
        db.session.commit()
        size_before = os.path.getsize(path)
        agent = login(app.test_client(), "agent1")
        narrative = "Aanrijding op de kruising; beide partijen verklaren hetzelfde. " * 20
        agent.push(*[agent.op(str(uuid.uuid4()), {"narrative": narrative}) for _ in range(200)])
        deadline = time.monotonic() + 10
        while os.path.getsize(path) <= size_before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert os.path.getsize(path) > size_before, "the log was never copied into the file"
        db.session.remove()
        db.engine.dispose()
