"""Screens show people's and devices' names, not user names and ids."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import update

from server.extensions import db
from server.models import User
from tests.api.test_own_conflicts import clash
from tests.conftest import Api, login


def name(username: str, display: str) -> None:
    db.session.execute(update(User).where(User.username == username)
                       .values(display_name=display))
    db.session.commit()


def test_a_later_login_keeps_the_devices_name(client: FlaskClient, agent1: Api) -> None:
    again = login(client, "agent1", "Mozilla/5.0 (X11; CrOS)", device_id=agent1.device_id)
    assert again.device_id == agent1.device_id
    [device] = [d for d in again.get("/api/me").get_json()["devices"]
                if d["id"] == agent1.device_id]
    assert device["name"] == "telefoon A"


def test_the_owner_renames_a_device_and_a_login_keeps_it(client: FlaskClient,
                                                          agent1: Api) -> None:
    response = agent1.patch(f"/api/devices/{agent1.device_id}",
                            json={"name": "Chromebook bureau"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["name"] == "Chromebook bureau"
    login(client, "agent1", "telefoon", device_id=agent1.device_id)
    devices = {d["id"]: d["name"] for d in agent1.get("/api/devices").get_json()["devices"]}
    assert devices[agent1.device_id] == "Chromebook bureau"


def test_a_rename_is_checked_and_only_the_owners(agent1: Api, agent2: Api,
                                                 beheerder: Api) -> None:
    path = f"/api/devices/{agent1.device_id}"
    for bad in ("", "   ", "x" * 101, "tele\x00foon", "a\nb", 12):
        response = agent1.patch(path, json={"name": bad})
        assert 400 <= response.status_code < 500, bad
        assert response.get_json()["message"], bad
    assert agent2.patch(path, json={"name": "van mij"}).status_code == 404
    assert beheerder.patch(path, json={"name": "van mij"}).status_code == 404
    assert agent1.patch("/api/devices/onbekend", json={"name": "x"}).status_code == 404
    devices = {d["id"]: d["name"] for d in agent1.get("/api/devices").get_json()["devices"]}
    assert devices[agent1.device_id] == "telefoon A"


def test_history_conflicts_and_list_rows_carry_display_and_device_names(
        agent1: Api, agent2: Api, leider: Api) -> None:
    name("agent1", "Anna de Vries")
    name("agent2", "Bram Jansen")
    record_id, _ = clash(agent1, agent2)
    body = leider.get(f"/api/registrations/{record_id}").get_json()
    assert body["created_by"] == "agent1" and body["created_by_name"] == "Anna de Vries"
    first = body["history"][0]
    assert (first["author"], first["author_name"]) == ("agent1", "Anna de Vries")
    assert first["device_name"] == "telefoon A"
    values = {v["author_name"]: v["device_name"] for v in body["conflicts"][0]["values"]}
    assert values == {"Anna de Vries": "telefoon A", "Bram Jansen": "telefoon B"}
    [row] = [r for r in leider.get("/api/registrations").get_json()["items"]
             if r["id"] == record_id]
    assert row["created_by_name"] == "Anna de Vries"
    assert {v["author_name"] for v in row["conflicts"][0]["values"]} == {"Anna de Vries",
                                                                          "Bram Jansen"}
