"""Retention: ``purge-expired`` removes all of an expired registration, photos included."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, text, update

from server.cli import purge_expired
from server.extensions import db
from server.models import (
    Attachment,
    AttachmentRight,
    ProcessedOp,
    Registration,
    RegistrationAttachment,
    Revision,
)
from tests.api.test_access import create, jpeg, new_id, photo_set, sha, upload
from tests.conftest import Api

NOW = datetime(2040, 1, 1, 12, 0, tzinfo=UTC)  # the frozen clock of these tests


def _set_updated(record_id: str, moment: datetime, made: datetime | None = None) -> None:
    """Last changed at ``moment``, made at ``made`` (or then): never changed before made."""
    db.session.execute(update(Registration).where(Registration.id == record_id)
                       .values(updated_at=moment, created_at=made or moment))


def _set_uploaded(digest: str, moment: datetime) -> None:
    db.session.execute(update(Attachment).where(Attachment.sha256 == digest)
                       .values(created_at=moment))


def _file(app: Flask, digest: str) -> str:
    return os.path.join(app.config["ATTACHMENT_DIR"], digest[:2], digest)


def test_purge_removes_an_expired_registration_and_its_unshared_photos(
        app: Flask, agent1: Api, agent2: Api) -> None:
    cutoff = NOW - timedelta(days=app.config["RETENTION_DAYS_REGISTRATIONS"])
    shared, alone, stale, fresh = (jpeg("shared"), jpeg("alone"), jpeg("stale"),
                                   jpeg("fresh"))
    for data in (shared, alone, stale, fresh):
        assert upload(agent1, data).status_code == 201
    expired_ops = [agent1.op(new_id(), {"street": "Oud", **photo_set(sha(shared), "f1"),
                                        **photo_set(sha(alone), "f2")})]
    expired = expired_ops[0]["record_id"]
    # a rejected op is remembered for its retries: it goes too
    expired_ops.append(agent1.op(expired, {"outcome": "geen code"}, base_rev=1))
    assert [r["status"] for r in agent1.push(*expired_ops)] == ["applied", "rejected"]
    inside = create(agent2, photo_set(sha(shared)))  # agent2 reads it through the team
    boundary = create(agent1)

    _set_updated(expired, cutoff - timedelta(seconds=1))
    # made long before the cutoff, changed after it: kept
    _set_updated(inside, cutoff + timedelta(seconds=1), made=cutoff - timedelta(days=400))
    _set_updated(boundary, cutoff)  # exactly the retention: not yet expired
    _set_uploaded(sha(stale), cutoff - timedelta(days=1))  # never linked, long ago
    for digest in (sha(shared), sha(alone), sha(fresh)):
        _set_uploaded(digest, cutoff + timedelta(seconds=1))
    db.session.commit()
    cursor = agent2.pull_all()["cursor"]

    assert purge_expired(now=NOW) == 1

    db.session.expire_all()
    assert set(db.session.scalars(select(Registration.id))) == {inside, boundary}
    assert db.session.scalars(select(Revision).where(Revision.registration_id == expired)
                              ).all() == []
    assert db.session.scalars(select(RegistrationAttachment).where(
        RegistrationAttachment.registration_id == expired)).all() == []
    # the applied op went through its revision, the rejected one (no revision) by its
    # record id
    assert db.session.scalars(select(ProcessedOp).where(
        ProcessedOp.op_id.in_([op["op_id"] for op in expired_ops]))).all() == []
    # the surviving registrations' ops stay, so their retries still get "duplicate"
    assert db.session.scalars(select(ProcessedOp.op_id)).all() != []

    kept = set(db.session.scalars(select(Attachment.sha256)))
    assert kept == {sha(shared), sha(fresh)}
    rights = set(db.session.scalars(select(AttachmentRight.sha256)))
    assert rights == {sha(shared), sha(fresh)}
    for data in (alone, stale):
        assert not os.path.exists(_file(app, sha(data)))
        # its uploader can no longer read it: it is as absent as any unknown photo
        assert agent1.get(f"/api/attachments/{sha(data)}").status_code == 404
    for data in (shared, fresh):
        assert os.path.exists(_file(app, sha(data)))
    assert agent2.get(f"/api/attachments/{sha(shared)}").data == shared

    changes = agent2.pull_all(cursor)["changes"]
    assert changes == [{"entity": "registration", "id": expired, "op": "remove", "rev": None,
                        "record": None}]


def test_purge_with_nothing_expired_changes_nothing(app: Flask, agent1: Api) -> None:
    rid = create(agent1)
    assert purge_expired(now=datetime.now(UTC)) == 0
    assert db.session.get(Registration, rid) is not None


def test_purge_command_reports_the_count(app: Flask, agent1: Any) -> None:
    create(agent1)
    app.config["RETENTION_DAYS_REGISTRATIONS"] = -1
    result = app.test_cli_runner().invoke(args=["purge-expired"])
    assert result.exit_code == 0 and "1 registraties verwijderd" in result.output


def test_the_purge_finds_expired_registrations_through_an_index(agent1: Api) -> None:
    """Not a scan of every registration under the write lock, every hour: per team, the
    list's index on the creation time (nothing made since the cutoff can have expired)."""
    from server.cli import expired_registrations

    rid = create(agent1, {"street": "Neude"})
    query = expired_registrations(NOW)
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(str(row[-1]) for row in db.session.execute(
            text(f"EXPLAIN QUERY PLAN {sql}")))
        assert "ix_registrations_team_created" in plan and "SCAN registrations" not in plan, \
            plan
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a few rows: it would scan
        plan = " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))
        assert "ix_registrations_team_created" in plan, plan
    assert [row.id for row in db.session.execute(query)] == [rid]
    assert list(db.session.execute(expired_registrations(NOW - timedelta(days=20000)))) == []


def test_the_purge_works_in_batches_of_its_own_transaction(
        app: Flask, agent1: Api, monkeypatch: Any) -> None:
    """Five expired registrations in batches of two: three transactions, each logged, all
    five gone; a photo two of them share in different batches goes with the last."""
    from server import cli
    from server.models import AuditEntry

    monkeypatch.setattr(cli, "PURGE_BATCH", 2)
    cutoff = NOW - timedelta(days=app.config["RETENTION_DAYS_REGISTRATIONS"])
    photo = jpeg("gedeeld")
    assert upload(agent1, photo).status_code == 201
    ids = [create(agent1, photo_set(sha(photo)) if n in (0, 4) else None) for n in range(5)]
    kept = create(agent1)
    for rid in ids:
        _set_updated(rid, cutoff - timedelta(days=1))
    _set_updated(kept, cutoff + timedelta(seconds=1))
    _set_uploaded(sha(photo), cutoff - timedelta(days=1))
    db.session.commit()

    assert purge_expired(now=NOW) == 5

    db.session.expire_all()
    assert set(db.session.scalars(select(Registration.id))) == {kept}
    purged = [json.loads(e) for e in db.session.scalars(
        select(AuditEntry.entity_ids).where(AuditEntry.action == "purge")
        .order_by(AuditEntry.id))]
    assert [len(batch) for batch in purged] == [2, 2, 1]
    assert sorted(i for batch in purged for i in batch) == sorted(ids)
    assert db.session.get(Attachment, sha(photo)) is None
    assert not os.path.exists(_file(app, sha(photo)))
