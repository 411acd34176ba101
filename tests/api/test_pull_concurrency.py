"""Pull never skips a change while writers commit out of order (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from flask import Flask

from server import changes
from server.extensions import db
from tests.conftest import Api


def test_pull_does_not_skip_a_change_still_committing(app: Flask, agent1: Api,
                                                      agent2: Api) -> None:
    slow_id = str(uuid.uuid4())
    [created] = agent1.push(agent1.op(slow_id, {"street": "Langzaam"}))
    assert created["status"] == "applied"
    cursor = agent2.pull_all()["cursor"]

    # A slow writer takes the next change position for the record and does not commit yet:
    # the code path every writer uses, in a thread with its own session and connection.
    with app.app_context():
        team_id = agent1.login["user"]["team"]["id"]
    allocated, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with app.app_context():
            changes.mark([("registration", slow_id, team_id, False)])
            allocated.set()
            release.wait(10)
            db.session.commit()

    slow_thread = threading.Thread(target=slow_writer)
    slow_thread.start()
    assert allocated.wait(10)

    # separate clients: each thread is its own device connection
    writer_api = Api(app.test_client(), agent2.login)
    reader_api = Api(app.test_client(), agent2.login)
    seen: list[list[str]] = []
    results: dict[str, Any] = {}

    def fast_writer() -> None:
        with app.app_context():
            fast_id = str(uuid.uuid4())
            results["fast_id"] = fast_id
            results["fast"] = writer_api.push(writer_api.op(fast_id, {"street": "Snel"}))

    def reader() -> None:
        with app.app_context():
            body = reader_api.get(f"/api/sync/pull?since={cursor}").get_json()
            seen.append([c["id"] for c in body["changes"]])
            results["cursor"] = body["cursor"]

    writer_thread = threading.Thread(target=fast_writer)
    writer_thread.start()
    time.sleep(0.3)
    reader_thread = threading.Thread(target=reader)
    reader_thread.start()
    time.sleep(0.3)
    release.set()
    slow_thread.join(10)
    writer_thread.join(10)
    reader_thread.join(10)
    assert results["fast"][0]["status"] == "applied"

    later = agent2.pull_all(results["cursor"])
    got = set(seen[0]) | {c["id"] for c in later["changes"]}
    assert {slow_id, results["fast_id"]} <= got, "a change was skipped"
