"""Push rules as PROTOCOL.md states them, over HTTP: a rejected op stores nothing, the
current status again changes nothing, the history keeps what each op set, tombstones keep
their fields, and the clock clamps stamps from the future without going backwards."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import func, select

from server.extensions import db
from server.models import Registration, Revision
from sync.hlc import HLC, MAX_SKEW_MS
from tests.conftest import Api
from tests.samples import minor_accident


def new_id() -> str:
    return str(uuid.uuid4())


def stored(record_id: str) -> tuple[Any, ...]:
    db.session.expire_all()
    row = db.session.get(Registration, record_id)
    revisions = db.session.execute(select(func.count()).select_from(Revision).where(
        Revision.registration_id == record_id)).scalar()
    return row.rev, row.status, row.data, row.amendments, revisions


def withdrawn(agent: Api) -> str:
    rid = new_id()
    [result] = agent.push(agent.op(rid, {"street": "Markt", "status": "withdrawn",
                                         "withdraw_reason": "Dubbel ingevoerd"}))
    assert result["status"] == "applied", result
    return rid


def test_an_edit_of_a_withdrawn_record_is_rejected_and_stores_nothing(agent1: Api) -> None:
    rid = withdrawn(agent1)
    before = stored(rid)
    edit, status = agent1.push(agent1.op(rid, {"narrative": "toch"}, base_rev=1),
                               agent1.op(rid, {"status": "submitted"}, base_rev=1))
    for result in (edit, status):
        assert result["status"] == "rejected" and "amendment" not in result
        assert result["rev"] == 1
        [message] = result["errors"]["status"]
        assert "ingetrokken" in message and "bewaard" not in message
    assert stored(rid) == before


def test_setting_the_current_status_again_changes_nothing(agent1: Api) -> None:
    rid = withdrawn(agent1)
    before = stored(rid)
    [again] = agent1.push(agent1.op(rid, {"status": "withdrawn"}, base_rev=1))
    assert (again["status"], again["rev"]) == ("applied", 1)
    assert stored(rid) == before

    submitted = new_id()
    agent1.push(agent1.op(submitted, {**minor_accident(), "status": "submitted"}))
    before = stored(submitted)
    [again] = agent1.push(agent1.op(submitted, {"status": "submitted"}, base_rev=1))
    assert (again["status"], again["rev"]) == ("applied", 1)
    assert stored(submitted) == before
    [with_data] = agent1.push(agent1.op(submitted, {"status": "submitted",
                                                    "street": "Markt"}, base_rev=1))
    assert (with_data["status"], with_data["rev"]) == ("applied", 2)


def test_history_keeps_what_each_op_set_and_its_op_id(agent1: Api, agent2: Api,
                                                      leider: Api) -> None:
    rid = new_id()
    agent1.push(agent1.op(rid, {"street": "Begin"}))
    agent2.push(agent2.op(rid, {"street": "Markt"}, base_rev=1, hlc=f"1800000000000-0-"
                                                                    f"{agent2.device_id}"))
    # older stamp: loses on HLC, but the history keeps it and says it lost
    losing = agent1.op(rid, {"street": "Plein", "narrative": "gezien"}, base_rev=1)
    [result] = agent1.push(losing)
    assert result["status"] == "conflict"
    history = leider.get(f"/api/registrations/{rid}").get_json()["history"]
    entry = history[-1]
    assert entry["op_id"] == losing["op_id"]
    assert entry["set"] == {"street": "Plein", "narrative": "gezien"}
    assert entry["lost"] == ["street"]
    assert history[0]["lost"] == []


def test_a_tombstone_carries_the_items_last_fields(agent1: Api, agent2: Api) -> None:
    party = {"object_type": "1", "licence_plate": "AB-123-C"}
    rid = new_id()
    agent1.push(agent1.op(rid, {"parties[p1]": party}))
    agent1.push(agent1.op(rid, {"parties[p1]": None}, base_rev=1))
    [pulled] = agent2.pull_all()["changes"]
    assert pulled["record"]["data"]["parties"] == [{"id": "p1", "removed": True, **party}]
    [revived] = agent2.push(agent2.op(rid, {"parties[p1]": {"licence_plate": "XY-987-Z"}},
                                      base_rev=2))
    assert revived["status"] == "applied"
    assert stored(rid)[2]["parties"] == [{"id": "p1", "object_type": "1",
                                          "licence_plate": "XY-987-Z"}]


def test_a_stamp_from_the_future_is_clamped_to_60_s_ahead(agent1: Api, agent2: Api,
                                                          leider: Api) -> None:
    rid = new_id()
    agent1.push(agent1.op(rid, {"street": "Begin"}))
    now = int(time.time() * 1000)
    near = f"{now + 59_000}-5-{agent2.device_id}"
    far = f"{now + 110_000}-0-{agent2.device_id}"
    response = agent2.post("/api/sync/push", json={"ops": [
        agent2.op(rid, {"street": "Bijna"}, base_rev=1, hlc=near),
        agent2.op(rid, {"narrative": "Ver"}, base_rev=1, hlc=far)]}).get_json()
    after = int(time.time() * 1000)
    assert [r["status"] for r in response["results"]] == ["applied", "applied"]
    history = leider.get(f"/api/registrations/{rid}").get_json()["history"]
    stamps = [HLC.parse(h["hlc"]) for h in history[1:]]
    assert stamps[0] == HLC.parse(near)  # within the bound: kept as it is
    # beyond it: at most 60 s ahead of the server, and after the device's own previous one
    assert stamps[1] > stamps[0] and stamps[1].ms <= after + MAX_SKEW_MS
    assert stamps[1].counter == 0 and stamps[1].node == agent2.device_id
    # the server's own clock never runs more than 60 s ahead either
    assert HLC.parse(response["hlc"]).ms <= after + MAX_SKEW_MS
