"""The audit log: tampering by an insider with database access is caught, entries hold
no values or comments, refused reads are logged, pending read events are chained exactly
once, and a read never waits behind a writer's locks (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import stat
import threading
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from server import audit
from server.audit import chainer, pending
from server.extensions import db
from tests.conftest import PG_URL, Api, login, make_app
from tests.samples import minor_accident

JPEG = b"\xff\xd8\xff\xe0" + b"audit-test-photo" * 10


def photo(sha: str) -> dict[str, Any]:
    return {"street": "x", "photos[f1]": {"photo": {"sha256": sha,
                                                     "content_type": "image/jpeg"}}}


def create(api: Api, **fields: Any) -> str:
    record_id = str(uuid.uuid4())
    [result] = api.push(api.op(record_id, fields or {"street": "Dorpsstraat"}))
    assert result["status"] == "applied", result
    return record_id


def verify(app: Flask) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    return result.exit_code, result.output


def audit_rows() -> list[dict[str, Any]]:
    found = db.session.execute(text(
        "SELECT id, at, user_id, device_id, action, entity, entity_ids, detail, event_id, "
        "prev_hash, hash FROM audit_log ORDER BY id")).mappings().all()
    return [dict(r) for r in found]


def rewrite(rows: list[dict[str, Any]], link: Any) -> None:
    """What an insider does: replace the whole chain with ``rows`` renumbered and relinked
    by ``link(prev, row)``, and point the head counter at its end."""
    db.session.execute(text("DELETE FROM audit_log"))
    prev = "0" * 64
    for number, row in enumerate(rows, start=1):
        row = {**row, "id": number, "prev_hash": prev}
        row["hash"] = prev = link(prev, row)
        db.session.execute(text(
            "INSERT INTO audit_log (id, at, user_id, device_id, action, entity, entity_ids, "
            "detail, event_id, prev_hash, hash) VALUES (:id, :at, :user_id, :device_id, "
            ":action, :entity, :entity_ids, :detail, :event_id, :prev_hash, :hash)"), row)
    db.session.execute(text("UPDATE counters SET value = :v, text = :t WHERE name = 'audit_head'"),
                       {"v": len(rows), "t": prev})
    db.session.commit()


def set_legacy_boundary(last_id: int) -> None:
    db.session.execute(text("DELETE FROM counters WHERE name = 'audit_legacy'"))
    db.session.execute(text("INSERT INTO counters (name, value) VALUES ('audit_legacy', :v)"),
                       {"v": last_id})
    db.session.commit()


def plain_sha256(prev: str, row: dict[str, Any]) -> str:
    """The chain link as it was before MACs (anyone can compute it)."""
    body = json.dumps([row["id"], row["at"], row["user_id"], row["device_id"], row["action"],
                       row["entity"], row["entity_ids"], row["detail"]],
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev + body).encode()).hexdigest()


def test_edited_row_is_caught_even_when_relinked(app: Flask, agent1: Api) -> None:
    create(agent1)
    assert verify(app)[0] == 0
    db.session.execute(text("UPDATE audit_log SET detail = '{\"op_id\": \"vervalst\"}' "
                            "WHERE action = 'write'"))
    db.session.commit()
    code, output = verify(app)
    assert code == 1 and "gewijzigd" in output
    rewrite(audit_rows(), plain_sha256)  # every link made to fit again, without the key
    code, output = verify(app)
    assert code == 1 and "gewijzigd" in output


def test_deleted_tail_with_updated_head_is_caught(app: Flask, agent1: Api) -> None:
    for _ in range(3):
        create(agent1)
    assert verify(app)[0] == 0
    rows = audit_rows()
    keep = rows[:-2]
    db.session.execute(text("DELETE FROM audit_log WHERE id > :id"), {"id": keep[-1]["id"]})
    db.session.execute(text("UPDATE counters SET value = :v, text = :t WHERE name = 'audit_head'"),
                       {"v": keep[-1]["id"], "t": keep[-1]["hash"]})
    db.session.commit()
    code, output = verify(app)
    assert code == 1 and "ontbreken" in output


@pytest.mark.parametrize("also_move_legacy_boundary", [False, True])
def test_reads_deleted_and_chain_recomputed_with_sha256_is_caught(
        app: Flask, agent1: Api, agent2: Api, also_move_legacy_boundary: bool) -> None:
    rid = create(agent1)
    agent2.get(f"/api/registrations/{rid}")
    agent2.get(f"/api/registrations/{rid}")
    create(agent1)
    assert verify(app)[0] == 0
    agent2_id = agent2.login["user"]["id"]
    rows = [r for r in audit_rows() if not (r["user_id"] == agent2_id and r["action"] == "read")]
    rewrite(rows, plain_sha256)
    if also_move_legacy_boundary:
        # claim that every entry predates the MACs
        set_legacy_boundary(len(rows))
    assert verify(app)[0] == 1


def test_chain_rebuilt_with_a_wrong_key_is_caught(app: Flask, agent1: Api,
                                                  agent2: Api) -> None:
    rid = create(agent1)
    agent2.get(f"/api/registrations/{rid}")
    assert verify(app)[0] == 0
    rows = audit_rows()[:-1]  # drop the read, rebuild with the server's own formula
    rewrite(rows, lambda prev, row: audit.mac(b"geraden-sleutel", prev, row))
    assert verify(app)[0] == 1


def test_entries_before_macs_are_accepted_as_a_prefix(app: Flask, agent1: Api) -> None:
    # Entries written by the previous version: plain SHA-256, no event ids, and the
    # migration's boundary after them.
    legacy = [{"at": "2026-11-01T10:00:00+00:00", "user_id": 1, "device_id": None,
               "action": "login", "entity": None, "entity_ids": None, "detail": None,
               "event_id": None} for _ in range(3)]
    rewrite(legacy, plain_sha256)
    set_legacy_boundary(3)
    os.remove(app.config["AUDIT_ANCHOR_FILE"])  # that version anchored nothing
    create(agent1)
    code, output = verify(app)
    assert code == 0, output
    db.session.execute(text("UPDATE audit_log SET user_id = 2 WHERE id = 2"))
    db.session.commit()
    assert verify(app)[0] == 1


def test_no_values_comments_or_typed_names_in_the_audit_log(
        app: Flask, client: Any, agent1: Api, agent2: Api, leider: Api) -> None:
    narrative, street_a, street_b = "Uniek-verhaal-7Q2X", "Uniek-straat-A1", "Uniek-straat-B2"
    comment, chosen, typed = "Uniek-commentaar-9K4Z", "Uniek-keuze-C3", "uniek-naam-d4"
    rid = str(uuid.uuid4())
    [result] = agent1.push(agent1.op(rid, {**minor_accident(), "narrative": narrative,
                                           "status": "submitted"}))
    assert result["status"] == "applied", result
    returned = leider.post(f"/api/registrations/{rid}/review",
                           json={"decision": "return", "comment": comment, "rev": 1})
    assert returned.status_code == 200, returned.get_json()
    agent2.push(agent2.op(rid, {"street": street_a}, base_rev=2))
    [clash] = agent1.push(agent1.op(rid, {"street": street_b}, base_rev=2))
    assert clash["status"] == "conflict"
    body = leider.get(f"/api/registrations/{rid}").get_json()
    url = f"/api/registrations/{rid}/conflicts/{body['conflicts'][0]['id']}/resolve"
    assert leider.post(url, json={"value": chosen, "rev": body["rev"]}).status_code == 200
    assert client.post("/api/auth/login", json={"username": typed, "password": "x",
                                                "device_name": "t"}).status_code == 401
    assert verify(app)[0] == 0
    everything = json.dumps(audit_rows(), default=str)
    for secret in (narrative, street_a, street_b, comment, chosen, typed, "AB-123-C"):
        assert secret not in everything
    actions = [(r["action"], r["detail"]) for r in audit_rows()]
    assert ("review", '{"decision": "return", "status": "returned"}') in actions
    assert any(a == "resolve" and '"fields": ["street"]' in (d or "") for a, d in actions)
    assert ("login_failed", None) in actions


def test_refused_reads_are_audited(app: Flask, agent1: Api, agent3: Api) -> None:
    sha = hashlib.sha256(JPEG).hexdigest()
    assert agent1.put(f"/api/attachments/{sha}", data=JPEG,
                      content_type="image/jpeg").status_code == 201
    rid = create(agent1, **photo(sha))
    assert agent3.get(f"/api/registrations/{rid}").status_code == 404
    assert agent3.get(f"/api/attachments/{sha}").status_code == 404
    # writing into another team's record: answered as absent
    [pushed] = agent3.push(agent3.op(rid, {"street": "Elders"}, base_rev=1))
    assert pushed["status"] == "rejected" and pushed["reason"] == "not_found"
    # an agent calling the team leader's review: refused by role
    assert agent3.post(f"/api/registrations/{rid}/review",
                       json={"decision": "approve", "rev": 1}).status_code == 403
    assert verify(app)[0] == 0
    agent3_id = agent3.login["user"]["id"]
    refused = {(r["entity"], r["entity_ids"], json.loads(r["detail"])["via"])
               for r in audit_rows() if r["action"] == "refused" and r["user_id"] == agent3_id}
    assert ("registration", f'["{rid}"]', "detail") in refused
    assert ("attachment", f'["{sha}"]', "attachment") in refused
    assert (None, None, "registrations.review_registration") in refused
    assert ("registration", f'["{rid}"]', "push") in refused


def test_read_event_is_durable_before_it_is_chained(app: Flask, agent1: Api,
                                                    agent2: Api) -> None:
    rid = create(agent1)
    assert agent2.get(f"/api/registrations/{rid}").status_code == 200
    waiting = pending.store().take(10)
    assert [(r[5], r[7]) for r in waiting] == [("read", f'["{rid}"]')]
    if not PG_URL:
        # on SQLite: in its own file, on disk, readable by another connection
        spool = sqlite3.connect(pending.spool_path())
        assert spool.execute("SELECT count(*) FROM audit_pending").fetchone() == (1,)
        spool.close()


def test_crash_between_chaining_and_deleting_neither_loses_nor_doubles(
        app: Flask, agent1: Api, agent2: Api) -> None:
    rid = create(agent1)
    agent2.get(f"/api/registrations/{rid}")
    agent2.get("/api/registrations")
    rows = pending.store().take(100)
    assert len(rows) == 2
    assert chainer.move(rows) == 2  # chained and committed; the process dies here
    assert len(pending.store().take(100)) == 2  # still pending
    assert audit.chain_pending() == 2  # the next round only deletes them
    assert pending.store().take(100) == []
    event_ids = [r["event_id"] for r in audit_rows()]
    assert all(event_ids.count(r[1]) == 1 for r in rows)
    assert verify(app)[0] == 0


def test_complete_pull_sets_last_sync_through_the_chainer(agent1: Api) -> None:
    create(agent1)
    agent1.pull_all()
    audit.chain_pending()
    devices = agent1.get("/api/me").get_json()["devices"]
    assert next(d for d in devices if d["id"] == agent1.device_id)["last_sync_at"]


def _hold_write_locks(device_id: str, record_id: str) -> Any:
    """Another connection in the middle of a push: the database's write lock (SQLite), or
    the counter rows (change sequence, audit head), the device and the record locked
    (PostgreSQL). Returns the connection, its transaction open."""
    if not PG_URL:
        holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE counters SET value = value")
        return holder
    import psycopg

    holder = psycopg.connect(PG_URL.replace("+psycopg", ""))
    holder.execute("SELECT * FROM counters FOR UPDATE")
    holder.execute("SELECT * FROM devices WHERE id = %s FOR UPDATE", (device_id,))
    holder.execute("SELECT * FROM registrations WHERE id = %s FOR UPDATE", (record_id,))
    return holder


def test_reads_answer_while_a_writer_holds_its_locks(app: Flask, agent1: Api,
                                                     agent2: Api) -> None:
    sha = hashlib.sha256(JPEG).hexdigest()
    agent1.put(f"/api/attachments/{sha}", data=JPEG, content_type="image/jpeg")
    rid = create(agent1, **photo(sha))
    reader = Api(app.test_client(), agent2.login)
    urls = [f"/api/registrations/{rid}", "/api/registrations", "/api/sync/pull",
            f"/api/attachments/{sha}", "/api/me"]
    statuses: dict[str, int] = {}
    done = threading.Event()

    def read() -> None:
        with app.app_context():
            for url in urls:
                statuses[url] = reader.get(url).status_code
            db.session.remove()
        done.set()

    holder = _hold_write_locks(agent2.device_id, rid)
    try:
        threading.Thread(target=read, daemon=True).start()
        # Without the fix the reads wait for the writer (until SQLite's busy timeout, or
        # for ever on PostgreSQL); the bound only keeps a broken build from hanging.
        answered_while_held = done.wait(60)
    finally:
        holder.rollback() if PG_URL else holder.execute("ROLLBACK")
        holder.close()
    done.wait(60)
    assert answered_while_held, "a read waited for the writer"
    assert statuses == dict.fromkeys(urls, 200)
    assert verify(app)[0] == 0


def test_key_file_is_made_at_first_need_outside_the_database(
        tmp_path: Any, template_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = os.path.join(str(tmp_path), "instance")
    monkeypatch.setenv("WIJKPOST_INSTANCE", instance)
    app = make_app(tmp_path, template_db, AUDIT_KEY=None)
    with app.app_context():
        from server.cli import make_user
        make_user("agent1", "agent", "geheim-wachtwoord", "Centrum")
        db.session.commit()
        agent = login(app.test_client(), "agent1")
        create(agent)
        key_path = os.path.join(instance, "audit_key")
        assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
        with open(key_path) as handle:
            key = handle.read().strip().encode()
        [last] = audit_rows()[-1:]
        body = {k: last[k] for k in ("id", "at", "user_id", "device_id", "action", "entity",
                                     "entity_ids", "detail", "event_id")}
        assert audit.mac(key, last["prev_hash"], body) == last["hash"]
        with open(app.config["AUDIT_ANCHOR_FILE"]) as handle:
            assert handle.read().splitlines()[-1] == f"{last['id']} {last['hash']}"
        assert hmac.compare_digest(last["hash"], audit.mac(key, last["prev_hash"], body))
        db.session.remove()
        db.engine.dispose()


def test_anchor_also_goes_to_syslog(tmp_path: Any, template_db: str) -> None:
    import socket

    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(10)
    port = receiver.getsockname()[1]
    app = make_app(tmp_path, template_db, AUDIT_ANCHOR_SYSLOG=f"127.0.0.1:{port}")
    with app.app_context():
        from server.cli import make_user
        make_user("agent1", "agent", "geheim-wachtwoord", "Centrum")
        db.session.commit()
        create(login(app.test_client(), "agent1"))
        [last] = audit_rows()[-1:]
        lines = []
        while f"{last['id']} {last['hash']}" not in " ".join(lines):
            lines.append(receiver.recv(4096).decode())
        db.session.remove()
        db.engine.dispose()
    receiver.close()
