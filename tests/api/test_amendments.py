"""A team leader takes an amendment into an approved registration, or files it as a note."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import text

from server.extensions import db
from tests.api.test_access import extra_user
from tests.api.test_sync_api import submit_and_approve
from tests.conftest import Api


def amended(agent: Api, leider: Api, narrative: str = "Later aangevuld") -> tuple[str, str, int]:
    rid = submit_and_approve(agent, leider)
    [result] = agent.push(agent.op(rid, {"narrative": narrative}, base_rev=2))
    assert result["status"] == "rejected" and result["amendment"]
    return rid, result["op_id"], result["rev"]


def decide(api: Api, rid: str, amendment: str, decision: str, rev: int) -> Any:
    return api.post(f"/api/registrations/{rid}/amendments/{amendment}/{decision}",
                    json={"rev": rev})


def audit_details(action: str) -> list[dict[str, Any]]:
    rows = db.session.execute(text("SELECT detail FROM audit_log WHERE action = :a"),
                              {"a": action}).scalars().all()
    return [json.loads(r) if isinstance(r, str) else r for r in rows]


def test_an_accepted_amendment_becomes_the_records_value_and_reaches_the_officer(
        agent1: Api, leider: Api) -> None:
    rid, amendment, rev = amended(agent1, leider)
    assert agent1.get(f"/api/registrations/{rid}").get_json()["amendments"][0]["status"] == "open"
    response = decide(leider, rid, amendment, "accept", rev)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "approved" and body["rev"] == rev + 1
    assert body["data"]["narrative"] == "Later aangevuld"
    assert body["amendments"][0]["status"] == "accepted"
    assert body["history"][-1]["kind"] == "amendment_accept"
    assert body["history"][-1]["set"]["narrative"] == "Later aangevuld"
    pulled = {c["id"]: c for c in agent1.pull_all()["changes"]}
    record = pulled[rid]["record"]
    assert record["data"]["narrative"] == "Later aangevuld"
    assert record["amendments"][0]["status"] == "accepted"
    # audited with ids and the decision, never the value
    [detail] = audit_details("amendment_accept")
    assert detail == {"amendment": amendment, "decision": "accept", "fields": ["narrative"]}
    assert "Later aangevuld" not in json.dumps(detail)


def test_a_filed_amendment_is_kept_as_a_note_and_the_data_stays(agent1: Api,
                                                                 leider: Api) -> None:
    rid, amendment, rev = amended(agent1, leider)
    response = decide(leider, rid, amendment, "file", rev)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["data"]["narrative"] == "Kop-staartbotsing bij het stoplicht."
    assert body["amendments"][0]["status"] == "filed"
    assert body["amendments"][0]["set"] == {"narrative": "Later aangevuld"}
    pulled = {c["id"]: c for c in agent1.pull_all()["changes"]}
    assert pulled[rid]["record"]["amendments"][0]["status"] == "filed"
    # decided once: a second decision is refused
    again = decide(leider, rid, amendment, "accept", body["rev"])
    assert again.status_code == 422 and again.get_json()["error"] == "not_allowed"


def test_a_stale_rev_is_refused_and_changes_nothing(agent1: Api, leider: Api) -> None:
    rid, amendment, rev = amended(agent1, leider)
    response = decide(leider, rid, amendment, "accept", rev - 1)
    assert response.status_code == 409 and response.get_json()["rev"] == rev
    body = leider.get(f"/api/registrations/{rid}").get_json()
    assert body["rev"] == rev and body["amendments"][0]["status"] == "open"


def test_only_the_teams_leader_decides(client: FlaskClient, agent1: Api, agent2: Api,
                                       leider: Api) -> None:
    rid, amendment, rev = amended(agent1, leider)
    assert decide(agent1, rid, amendment, "accept", rev).status_code == 403
    assert decide(agent2, rid, amendment, "file", rev).status_code == 403
    other = extra_user(client, "leider9", "teamleider", "Noord")
    assert decide(other, rid, amendment, "accept", rev).status_code == 404
    assert decide(leider, rid, "onbekend", "accept", rev).status_code == 404


def test_an_amendment_with_a_value_the_rules_now_refuse_is_not_taken_in(
        agent1: Api, leider: Api) -> None:
    rid, amendment, rev = amended(agent1, leider)
    db.session.execute(text(
        "UPDATE registrations SET amendments = :a WHERE id = :id"),
        {"a": json.dumps([{**leider.get(f"/api/registrations/{rid}").get_json()
                           ["amendments"][0], "set": {"narrative": 12}}]), "id": rid})
    db.session.commit()
    response = decide(leider, rid, amendment, "accept", rev)
    assert response.status_code == 422 and response.get_json()["errors"]
    assert leider.get(f"/api/registrations/{rid}").get_json()["rev"] == rev
