"""GET /api/team/members: the names the officer's device shows offline, for its own team only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event, update

from server.cli import make_user
from server.extensions import db
from server.models import User
from tests.api.test_access import team_id
from tests.api.test_names import name
from tests.conftest import PASSWORD, Api, login


@contextmanager
def writes() -> Iterator[list[str]]:
    """The statements that change the database while the block runs."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def members(api: Api) -> dict[str, Any]:
    response = api.get("/api/team/members")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_an_agent_gets_the_names_of_their_team_and_its_devices(
        client: FlaskClient, agent1: Api, agent2: Api, agent3: Api, leider: Api) -> None:
    name("agent1", "Anna de Vries")
    name("agent2", "Bram Jansen")
    chromebook = login(client, "agent2", "Chromebook bureau")
    with writes() as changed:
        body = members(agent1)
    assert changed == []  # a GET writes nothing
    assert body["team"] == {"id": team_id("Centrum"), "name": "Centrum"}
    assert {m["username"]: (m["display_name"], m["role"], m["active"])
            for m in body["members"]} == {
        "agent1": ("Anna de Vries", "agent", True),
        "agent2": ("Bram Jansen", "agent", True),
        "leider1": ("leider1", "teamleider", True),  # no display name set: the user name
    }
    devices = {d["id"]: (d["name"], d["username"]) for d in body["devices"]}
    assert devices == {
        agent1.device_id: ("telefoon A", "agent1"),
        agent2.device_id: ("telefoon B", "agent2"),
        chromebook.device_id: ("Chromebook bureau", "agent2"),
        leider.device_id: ("laptop", "leider1"),
    }
    assert body["reviewers"] == []
    # Team Noord's officer sees only Noord: nothing of Centrum's people or devices.
    noord = members(agent3)
    assert [m["username"] for m in noord["members"]] == ["agent3"]
    assert [d["id"] for d in noord["devices"]] == [agent3.device_id]


def test_a_rename_and_a_departure_show_at_the_next_fetch(agent1: Api, agent2: Api) -> None:
    assert agent2.patch(f"/api/devices/{agent2.device_id}",
                        json={"name": "Chrome op Android, sinds 01-03-2025"}).status_code == 200
    db.session.execute(update(User).where(User.username == "agent2").values(active=False))
    db.session.commit()
    body = members(agent1)
    [bram] = [m for m in body["members"] if m["username"] == "agent2"]
    assert bram["active"] is False  # still named: their registrations stay with the team
    names = {d["id"]: d["name"] for d in body["devices"]}
    assert names[agent2.device_id] == "Chrome op Android, sinds 01-03-2025"


def test_a_teamleider_gets_the_team_and_its_substitute_reviewer(
        client: FlaskClient, leider: Api, agent3: Api, beheerder: Api) -> None:
    make_user("leider2", "teamleider", PASSWORD, "Noord", "Teamleider Noor Bakker")
    db.session.commit()
    other = login(client, "leider2", "laptop Noord")
    leider2_id = db.session.query(User.id).filter(User.username == "leider2").scalar()
    assert beheerder.put(f"/api/teams/{team_id('Centrum')}/substitute",
                         json={"user_id": leider2_id}).status_code == 200
    body = members(leider)
    assert body["reviewers"] == [{"username": "leider2",
                                  "display_name": "Teamleider Noor Bakker",
                                  "team": {"id": team_id("Noord"), "name": "Noord"}}]
    assert "leider2" not in {m["username"] for m in body["members"]}
    assert other.device_id not in {d["id"] for d in body["devices"]}
    # The substitute's own list stays their own team: Centrum's names come with the review API.
    theirs = members(other)
    assert {m["username"] for m in theirs["members"]} == {"agent3", "leider2"}
    assert theirs["reviewers"] == []


def test_a_beheerder_is_refused_and_a_token_is_needed(client: FlaskClient,
                                                      beheerder: Api) -> None:
    refused = beheerder.get("/api/team/members")
    assert refused.status_code == 403
    assert refused.get_json()["message"]
    anonymous = client.get("/api/team/members")
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"] == "invalid_token"


def test_an_officer_without_a_team_gets_only_themselves(client: FlaskClient,
                                                        users: dict[str, Any]) -> None:
    make_user("los", "agent", PASSWORD, None, "Agent Los")
    db.session.commit()
    api = login(client, "los", "telefoon los")
    body = members(api)
    assert body["team"] is None
    assert body["members"] == [{"username": "los", "display_name": "Agent Los",
                                "role": "agent", "active": True}]
    assert [d["id"] for d in body["devices"]] == [api.device_id]
    assert body["reviewers"] == []
