"""An officer settles a conflict between their own devices; any other stays the leader's."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.api.test_access import create
from tests.conftest import Api, login


def clash(first: Api, second: Api) -> tuple[str, dict[str, Any]]:
    record_id = create(first)
    second.push(second.op(record_id, {"street": "Markt"}, base_rev=1))
    [result] = first.push(first.op(record_id, {"street": "Plein"}, base_rev=1))
    assert result["status"] == "conflict", result
    return record_id, result


def resolve(api: Api, record_id: str, result: dict[str, Any], value: Any) -> Any:
    return api.post(f"/api/registrations/{record_id}/conflicts/{result['conflicts'][0]}/resolve",
                    json={"value": value, "rev": result["rev"]})


def test_an_officer_settles_a_conflict_between_their_phone_and_chromebook(
        client: FlaskClient, agent1: Api) -> None:
    chromebook = login(client, "agent1", "Chromebook bureau")
    record_id, result = clash(agent1, chromebook)
    response = resolve(chromebook, record_id, result, "Markt 2")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["data"]["street"] == "Markt 2"
    assert body["conflicts"][0]["status"] == "resolved"
    pulled = {c["id"]: c for c in agent1.pull_all()["changes"]}
    assert pulled[record_id]["record"]["conflicts"][0]["status"] == "resolved"


def test_an_officer_may_not_settle_a_conflict_with_a_colleagues_value(
        agent1: Api, agent2: Api) -> None:
    record_id, result = clash(agent1, agent2)
    for officer in (agent1, agent2):
        response = resolve(officer, record_id, result, "Markt")
        assert response.status_code == 403
        assert "teamleider" in response.get_json()["message"]
    body = agent1.get(f"/api/registrations/{record_id}").get_json()
    assert body["conflicts"][0]["status"] == "open" and body["rev"] == result["rev"]


def test_a_colleague_may_not_settle_an_officers_own_conflict(
        client: FlaskClient, agent1: Api, agent2: Api, agent3: Api, leider: Api) -> None:
    chromebook = login(client, "agent1", "Chromebook bureau")
    record_id, result = clash(agent1, chromebook)
    assert resolve(agent2, record_id, result, "Markt").status_code == 403
    assert resolve(agent3, record_id, result, "Markt").status_code == 403  # other team
    # the team leader still may
    assert resolve(leider, record_id, result, "Markt").status_code == 200
