"""Notices: validation, the teams a notice reaches, pull to several teams, dispatch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from server.extensions import db
from server.models import Notice, PushSend, utcnow
from server.notices import due_notices, mark_dispatched
from tests.conftest import Api
from tests.geo_samples import LAT, LON, box, feature, offset


def iso(delta: timedelta = timedelta()) -> str:
    return (utcnow() + delta).isoformat()


def wijken(beheerder: Api) -> None:
    """Centrum: 1 km wide west of +100 m east; Noord: from the centre to 600 m east.
    They overlap in a 100 m strip east of the centre."""
    for geometry, name, team in ((box(-500, -900, 500, 100), "Centrum", "Centrum"),
                                 (box(-500, 0, 500, 600), "Noord", "Noord")):
        response = beheerder.post("/api/areas", json=feature(geometry, name, "wijk", team))
        assert response.status_code == 201


def point_notice(north_m: float = 0, east_m: float = -300, **kw: Any) -> dict[str, Any]:
    lat, lon = offset(LAT, LON, north_m, east_m)
    return {"title": "Let op: inbraakgolf", "body": "Extra surveillance in de avond.",
            "point": {"lat": lat, "lon": lon}, "radius_m": 200, "priority": 1,
            "valid_until": iso(timedelta(days=2)), **kw}


def post(beheerder: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = beheerder.post("/api/notices", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_notice_for_two_teams_reaches_both_and_a_lost_team_gets_remove(
        beheerder: Api, agent1: Api, agent3: Api, agent2: Api) -> None:
    wijken(beheerder)
    centrum_team = agent1.login["user"]["team"]["id"]
    noord_team = agent3.login["user"]["team"]["id"]
    preview = beheerder.post("/api/notices/preview", json=point_notice(east_m=50)).get_json()
    assert [t["name"] for t in preview["teams"]] == ["Centrum", "Noord"]
    assert preview["subscribed_devices"] == 0
    notice = post(beheerder, point_notice(east_m=50))
    assert notice["teams"] == sorted([centrum_team, noord_team])
    assert notice["sends_accepted"] == 0

    def notices(api: Api, since: str | None = None) -> list[tuple[str, str]]:
        return [(c["id"], c["op"]) for c in api.pull_all(since)["changes"]
                if c["entity"] == "notice"]

    nid = str(notice["id"])
    assert notices(agent1) == [(nid, "upsert")] and notices(agent3) == [(nid, "upsert")]
    record = next(c for c in agent3.pull_all()["changes"] if c["entity"] == "notice")["record"]
    assert record["title"] == "Let op: inbraakgolf" and "sends_accepted" not in record
    cursor1, cursor3 = agent1.pull_all()["cursor"], agent3.pull_all()["cursor"]

    # moved west into Centrum's wijk only: Noord's devices drop it
    lat, lon = offset(LAT, LON, 0, -400)
    response = beheerder.client.patch(f"/api/notices/{nid}", headers=beheerder.headers(),
                                      json={"point": {"lat": lat, "lon": lon}, "radius_m": 50})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["teams"] == [centrum_team]
    assert notices(agent3, cursor3) == [(nid, "remove")]
    assert notices(agent1, cursor1) == [(nid, "upsert")]
    assert agent3.get(f"/api/notices/{nid}").status_code == 404
    assert [n["id"] for n in agent2.get("/api/notices").get_json()["items"]] == [notice["id"]]
    assert agent3.get("/api/notices").get_json()["items"] == []


def test_area_notices_reach_the_areas_team_or_the_wijken_it_crosses(
        beheerder: Api, agent1: Api, agent3: Api) -> None:
    wijken(beheerder)
    centrum_team = agent1.login["user"]["team"]["id"]
    noord_team = agent3.login["user"]["team"]["id"]
    teamless = beheerder.post("/api/areas", json=feature(box(-50, -50, 50, 50), "Markt")
                              ).get_json()
    own = beheerder.post("/api/areas", json=feature(box(-50, -50, 50, 50), "Markt Noord",
                                                    team="Noord")).get_json()
    both = post(beheerder, {"title": "Markt", "area_id": teamless["id"], "priority": 2,
                            "valid_until": iso(timedelta(hours=5))})
    assert both["teams"] == sorted([centrum_team, noord_team])
    noord = post(beheerder, {"title": "Markt", "area_id": own["id"], "priority": 2,
                             "valid_until": iso(timedelta(hours=5))})
    assert noord["teams"] == [noord_team]
    # an area in use cannot be deleted, only ended
    response = beheerder.client.delete(f"/api/areas/{own['id']}", headers=beheerder.headers())
    assert response.status_code == 409


def test_notice_validation_names_the_field(beheerder: Api) -> None:
    cases = [
        ({"title": "x" * 121}, "title"),
        ({"title": "  "}, "title"),
        ({"body": "x" * 4001}, "body"),
        ({"radius_m": 5}, "radius_m"),
        ({"radius_m": 20_001}, "radius_m"),
        ({"priority": 4}, "priority"),
        ({"priority": True}, "priority"),
        ({"valid_from": iso(timedelta(days=3))}, "valid_until"),
        ({"valid_until": "morgen"}, "valid_until"),
        ({"valid_until": "2030-01-01T00:00:00"}, "valid_until"),
        ({"send_at": iso(timedelta(days=3))}, "send_at"),
        ({"area_id": 999}, "area_id"),
        ({"point": {"lat": 5.12, "lon": 52.09}}, "point"),
        ({"point": {"lat": 48.85, "lon": 2.35}}, "point"),
        ({"kleur": "rood"}, "kleur"),
    ]
    for change, field in cases:
        response = beheerder.post("/api/notices", json=point_notice(**change))
        assert response.status_code == 422, (change, response.get_json())
        body = response.get_json()
        assert field in body["errors"], (change, body)
        assert body["message"].startswith("Ongeldige mededeling")
    missing = point_notice()
    del missing["valid_until"]
    assert "valid_until" in beheerder.post("/api/notices", json=missing).get_json()["errors"]
    assert db.session.execute(select(func.count()).select_from(Notice)).scalar() == 0


def test_only_a_beheerder_writes_notices(agent1: Api, leider: Api) -> None:
    assert agent1.post("/api/notices", json=point_notice()).status_code == 403
    assert leider.post("/api/notices/preview", json=point_notice()).status_code == 403


def test_due_notices_and_sends(beheerder: Api, agent1: Api) -> None:
    wijken(beheerder)
    later = post(beheerder, point_notice(send_at=iso(timedelta(hours=1))))
    now_notice = post(beheerder, point_notice(valid_until=iso(timedelta(days=60))))
    due = due_notices(utcnow())
    assert [(n["id"], n["title"]) for n, _ in due] == [(now_notice["id"], now_notice["title"])]
    notice, teams = due[0]
    assert teams == {agent1.login["user"]["team"]["id"]}
    assert notice["ttl_s"] == 28 * 24 * 3600  # lives 60 days, the push waits 28 at most
    mark_dispatched(notice["id"])
    # three sends the push service accepted, one it did not: "reached" counts three
    db.session.add_all(PushSend(notice_id=str(notice["id"]), subscription_id=f"s{i}",
                                title="t", priority=2, valid_until=utcnow(),
                                status="accepted" if i < 3 else "failed") for i in range(4))
    db.session.commit()
    assert due_notices(utcnow()) == []
    assert [n["id"] for n, _ in due_notices(utcnow() + timedelta(hours=2))] == [later["id"]]
    detail = beheerder.get(f"/api/notices/{notice['id']}").get_json()
    assert detail["sends_accepted"] == 3 and detail["dispatched_at"]
    assert "sends_accepted" not in agent1.get(f"/api/notices/{notice['id']}").get_json()


def test_ending_a_notice(beheerder: Api, agent1: Api) -> None:
    wijken(beheerder)
    notice = post(beheerder, point_notice())
    cursor = agent1.pull_all()["cursor"]
    response = beheerder.client.delete(f"/api/notices/{notice['id']}",
                                       headers=beheerder.headers())
    assert response.status_code == 200
    assert response.get_json()["valid_until"] <= iso()
    assert agent1.get("/api/notices?active=1").get_json()["items"] == []
    [ended] = agent1.pull_all(cursor)["changes"]  # it leaves the devices at once
    assert (ended["entity"], ended["id"], ended["op"]) == ("notice", str(notice["id"]), "remove")
    assert agent1.get(f"/api/notices/{notice['id']}").get_json()["valid_until"] <= iso()


def test_ids_out_of_range_are_404(beheerder: Api, agent1: Api) -> None:
    huge = 2**40
    assert agent1.get(f"/api/notices/{huge}").status_code == 404
    assert agent1.get(f"/api/areas/{huge}").status_code == 404
    response = beheerder.post("/api/notices", json={**point_notice(), "point": None,
                                                    "radius_m": None, "area_id": huge})
    assert response.status_code == 422 and "area_id" in response.get_json()["errors"]


def test_a_new_wijk_brings_its_team_the_notices_inside_it(beheerder: Api, agent1: Api) -> None:
    notice = post(beheerder, point_notice())
    assert notice["teams"] == []  # no wijk holds its point yet: it reaches nobody
    assert agent1.pull_all()["changes"] == []
    beheerder.post("/api/areas", json=feature(box(-500, -900, 500, 100), "Centrum", "wijk",
                                              "Centrum"))
    pulled = {(c["entity"], c["id"]) for c in agent1.pull_all()["changes"]}
    assert ("notice", str(notice["id"])) in pulled
    assert agent1.get(f"/api/notices/{notice['id']}").status_code == 200


def test_changing_only_the_radius_or_the_place_kind(beheerder: Api) -> None:
    wijken(beheerder)
    notice = post(beheerder, point_notice())
    url = f"/api/notices/{notice['id']}"
    wider = beheerder.client.patch(url, headers=beheerder.headers(), json={"radius_m": 900})
    assert wider.status_code == 200, wider.get_json()
    assert wider.get_json()["radius_m"] == 900 and wider.get_json()["point"] == notice["point"]
    area = beheerder.post("/api/areas", json=feature(box(-50, -50, 50, 50), "Plein")).get_json()
    moved = beheerder.client.patch(url, headers=beheerder.headers(), json={"area_id": area["id"]})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["point"] is None and moved.get_json()["radius_m"] is None
    bad = beheerder.client.patch(url, headers=beheerder.headers(), json={"radius_m": 100})
    assert bad.status_code == 422 and "radius_m" in bad.get_json()["errors"]
