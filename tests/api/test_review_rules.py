"""Approving needs a settled registration: an open conflict blocks it (409)."""

from __future__ import annotations

import uuid

from tests.conftest import Api
from tests.samples import minor_accident


def test_an_open_conflict_blocks_approval_until_it_is_settled(agent1: Api, agent2: Api,
                                                              leider: Api) -> None:
    rid = str(uuid.uuid4())
    [created] = agent1.push(agent1.op(rid, {**minor_accident(), "status": "submitted"}))
    agent2.push(agent2.op(rid, {"narrative": "Volgens de getuige anders."}, base_rev=1))
    [clash] = agent1.push(agent1.op(rid, {"narrative": "Zoals gezien."}, base_rev=1))
    assert created["status"] == "applied" and clash["status"] == "conflict"
    url = f"/api/registrations/{rid}/review"
    blocked = leider.post(url, json={"decision": "approve", "comment": "", "rev": clash["rev"]})
    assert blocked.status_code == 409
    assert blocked.get_json()["error"] == "open_conflicts"
    # returning is still possible, and a stale rev is still a plain 409 stale
    stale = leider.post(url, json={"decision": "approve", "comment": "", "rev": 1})
    assert stale.status_code == 409 and stale.get_json()["error"] == "stale"
    [conflict_id] = clash["conflicts"]
    settled = leider.post(f"/api/registrations/{rid}/conflicts/{conflict_id}/resolve",
                          json={"value": "Zoals gezien.", "rev": clash["rev"]}).get_json()
    approved = leider.post(url, json={"decision": "approve", "comment": "",
                                      "rev": settled["rev"]})
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
