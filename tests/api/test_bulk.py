"""Rows written and read through the driver are exactly what the ORM writes and reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import text

from server import bulk
from server.extensions import db
from server.models import Change, ProcessedOp, Registration, Revision, User


def _stored(table: str, key: str, value: str, columns: list[str]) -> tuple[str | None, ...]:
    """The stored values as text, as the database holds them."""
    casts = ", ".join(f'CAST("{c}" AS TEXT)' for c in columns)
    row = db.session.execute(
        text(f'SELECT {casts} FROM "{table}" WHERE "{key}" = :v'), {"v": value}).one()
    return tuple(row)


def test_bulk_insert_stores_what_the_orm_stores(app: Flask, users: dict[str, User]) -> None:
    at = datetime(2026, 11, 24, 9, 30, 15, 123456, tzinfo=UTC)
    result = {"status": "applied", "rev": 1, "conflicts": ["a"], "tekst": "één"}
    db.session.add(ProcessedOp(op_id="orm-op-1", user_id=1, device_id="d", result=result,
                               at=at))
    bulk.insert(ProcessedOp.__table__, ("op_id", "user_id", "device_id", "result", "at"),
                [("bulk-op-1", 1, "d", result, at)])
    db.session.add(Change(seq=1, entity="registration", entity_id="orm", team_id=0,
                          removed=True))
    bulk.insert(Change.__table__, ("seq", "entity", "entity_id", "team_id", "removed"),
                [(2, "registration", "bulk", 0, True)])
    db.session.commit()

    op_columns = ["user_id", "device_id", "result", "at"]
    assert (_stored("processed_ops", "op_id", "orm-op-1", op_columns)
            == _stored("processed_ops", "op_id", "bulk-op-1", op_columns))
    change_columns = ["entity", "team_id", "removed"]
    assert (_stored("changes", "entity_id", "orm", change_columns)
            == _stored("changes", "entity_id", "bulk", change_columns))

    read = bulk.rows("SELECT op_id, result, at FROM processed_ops ORDER BY op_id", (),
                     (ProcessedOp.op_id, ProcessedOp.result, ProcessedOp.at))
    orm = db.session.get(ProcessedOp, "orm-op-1")
    assert orm is not None
    assert [r[1] for r in read] == [result, result]
    assert {r[2].replace(tzinfo=UTC) for r in read} == {orm.at.replace(tzinfo=UTC)} == {at}


def test_bulk_upsert_moves_an_existing_row_and_update_changes_only_named_columns(
        app: Flask, users: dict[str, User]) -> None:
    columns = ("seq", "entity", "entity_id", "team_id", "removed")
    bulk.insert(Change.__table__, columns, [(1, "registration", "r1", 7, False),
                                            (2, "registration", "r2", 7, False)])
    bulk.insert(Change.__table__, columns, [(3, "registration", "r1", 7, True)],
                upsert_on=("entity", "entity_id", "team_id"))
    db.session.commit()
    rows = bulk.rows("SELECT seq, entity_id, team_id, removed FROM changes ORDER BY seq", (),
                     (Change.seq, Change.entity_id, Change.team_id, Change.removed))
    assert rows == [(2, "r2", 7, False), (3, "r1", 7, True)]

    record_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    user = users["agent1"]
    db.session.add(Registration(
        id=record_id, type="vor", status="draft", rev=1, team_id=user.team_id,
        created_by_id=user.id, data={"street": "Oudegracht"}, meta={}, conflicts=[],
        amendments=[], review=None, created_at=now, updated_at=now))
    db.session.commit()
    bulk.update(Registration.__table__, ("rev", "data"), "id",
                [(2, {"street": "Neude", "house_number": "1"}, record_id)])
    bulk.insert(Revision.__table__, ("registration_id", "rev", "author_id", "at", "kind", "set"),
                [(record_id, 2, user.id, now, "op", {"street": "Neude"})])
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Registration, record_id)
    assert row is not None
    assert (row.rev, row.data, row.status) == (
        2, {"street": "Neude", "house_number": "1"}, "draft")
    revision = db.session.query(Revision).filter_by(registration_id=record_id).one()
    assert revision.set == {"street": "Neude"} and revision.kind == "op"
