"""Bounded work over HTTP: one client's pushes cannot make a record, a conflict or a reply
grow without bound (DESIGN.md §8)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from server.extensions import db
from server.models import ProcessedOp, Registration, Revision
from tests.conftest import Api, login


def new_id() -> str:
    return str(uuid.uuid4())


def create(api: Api, set_: dict[str, Any]) -> str:
    record_id = new_id()
    [result] = api.push(api.op(record_id, set_))
    assert result["status"] == "applied", result
    return record_id


def state(record_id: str) -> tuple[Any, ...]:
    db.session.expire_all()
    row = db.session.get(Registration, record_id)
    revisions = db.session.execute(select(func.count()).select_from(Revision).where(
        Revision.registration_id == record_id)).scalar()
    return row.rev, row.data, row.conflicts, row.meta, revisions


def party(n: int) -> dict[str, Any]:
    return {"object_type": "1", "licence_plate": f"AB-{n:03d}-C"}


def test_items_per_group_are_capped_at_200(agent1: Api) -> None:
    rid = create(agent1, {f"parties[p{n}]": party(n) for n in range(150)})
    [removed] = agent1.push(agent1.op(rid, {f"parties[p{n}]": None for n in range(50)},
                                      base_rev=1))
    [more] = agent1.push(agent1.op(rid, {f"parties[q{n}]": party(n) for n in range(50)},
                                   base_rev=2))
    assert (removed["status"], more["status"]) == ("applied", "applied")
    before = state(rid)
    op = agent1.op(rid, {"narrative": "ook dit", "parties[extra]": party(1)}, base_rev=3)
    [result] = agent1.push(op)
    assert result["status"] == "rejected" and result["reason"] == "too_many_items"
    assert "200" in result["errors"]["parties"][0]
    assert state(rid) == before
    # final: the same op again is a duplicate of the rejection
    [again] = agent1.push(op)
    assert again["status"] == "duplicate" and again["first_status"] == "rejected"


def test_limits_come_from_the_configuration(app: Flask, agent1: Api) -> None:
    app.config.update(MAX_GROUP_ITEMS=2, MAX_RECORD_BYTES=2000)
    rid = create(agent1, {"parties[a]": party(1), "parties[b]": party(2)})
    results = agent1.push(agent1.op(rid, {"parties[c]": party(3)}, base_rev=1),
                          agent1.op(rid, {"narrative": "x" * 2000}, base_rev=1),
                          agent1.op(rid, {"street": "Markt"}, base_rev=1))
    assert [(r["status"], r.get("reason")) for r in results] == [
        ("rejected", "too_many_items"), ("rejected", "record_too_large"), ("applied", None)]


def test_a_record_over_256_kb_is_refused(agent1: Api) -> None:
    damage = "schade " * 285  # 1,995 characters, under the field's own 2,000
    rid = create(agent1, {f"parties[p{n}]": {**party(n), "damage_description": damage}
                          for n in range(100)})
    before = state(rid)
    op = agent1.op(rid, {f"parties[q{n}]": {**party(n), "damage_description": damage}
                         for n in range(40)}, base_rev=1)
    [result] = agent1.push(op)
    assert result["status"] == "rejected" and result["reason"] == "record_too_large"
    assert result["errors"] == {"data": ["De registratie wordt te groot: hoogstens 256 KB "
                                         "aan gegevens"]}
    assert state(rid) == before
    # not final: once the record has room again, the same op goes through
    [shorter] = agent1.push(agent1.op(
        rid, {f"parties[p{n}]": {"damage_description": "kras"} for n in range(100)},
        base_rev=1))
    assert shorter["status"] == "applied"
    [retried] = agent1.push(op)
    assert retried["status"] == "applied"


def test_a_devices_repeated_values_do_not_grow_a_conflict(agent1: Api, agent2: Api,
                                                          leider: Api) -> None:
    rid = create(agent1, {"street": "Begin"})
    agent2.push(agent2.op(rid, {"street": "Markt"}, base_rev=1))
    results = agent1.push(*[agent1.op(rid, {"street": f"Plein {n}"}, base_rev=1)
                            for n in range(20)])
    assert {r["status"] for r in results} == {"conflict"}
    [conflict] = leider.get(f"/api/registrations/{rid}").get_json()["conflicts"]
    assert sorted(v["value"] for v in conflict["values"]) == ["Markt", "Plein 19"]


def test_the_17th_device_gets_conflict_full_and_may_retry_after_resolve(
        client: Any, agent1: Api, leider: Api) -> None:
    rid = create(agent1, {"street": "Begin"})
    devices = [login(client, "agent2", f"toestel {n}") for n in range(17)]
    for n, device in enumerate(devices[:16]):
        [result] = device.push(device.op(rid, {"street": f"Straat {n}"}, base_rev=1))
        assert result["status"] in ("applied", "conflict")
    before = state(rid)
    op = devices[16].op(rid, {"street": "Straat 16", "narrative": "erbij"}, base_rev=1)
    [full] = devices[16].push(op)
    assert full["status"] == "rejected" and full["reason"] == "conflict_full"
    assert "teamleider" in full["errors"]["street"][0]
    assert state(rid) == before
    assert db.session.get(ProcessedOp, op["op_id"]) is None  # retryable: not remembered
    body = leider.get(f"/api/registrations/{rid}").get_json()
    [conflict] = body["conflicts"]
    assert len(conflict["values"]) == 16
    url = f"/api/registrations/{rid}/conflicts/{conflict['id']}/resolve"
    assert leider.post(url, json={"value": "Straat 3", "rev": body["rev"]}).status_code == 200
    [retried] = devices[16].push(op)
    assert retried["status"] == "conflict"  # a new conflict: it never saw the resolution


def test_a_reply_carries_each_record_once(agent1: Api, agent2: Api) -> None:
    rid = create(agent1, {"street": "Begin"})
    other = create(agent1, {"street": "Begin"})
    agent2.push(agent2.op(rid, {"street": "Markt"}, base_rev=1),
                agent2.op(other, {"narrative": "anders"}, base_rev=1))
    ops = [agent1.op(rid, {"street": f"Plein {n}"}, base_rev=1) for n in range(499)]
    ops.insert(250, agent1.op(other, {"street": "Laan"}, base_rev=1))
    response = agent1.post("/api/sync/push", json={"ops": ops})
    results = response.get_json()["results"]
    assert [r["status"] for r in results].count("conflict") == 499
    carrying = [n for n, r in enumerate(results) if "record" in r]
    assert carrying == [250, 499]  # the other record's merged result, and the last one
    last = results[499]["record"]
    assert last["rev"] == results[499]["rev"] == 501 and last["data"]["street"] == "Plein 498"
    assert results[250]["record"]["data"] == {"street": "Laan", "narrative": "anders"}
    assert len(response.data) < 500_000
