"""Areas: who writes and reads them, geometry errors, and how they travel by pull."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from server.extensions import db
from server.models import Area
from tests.conftest import Api
from tests.geo_samples import LAT, LON, box, feature


def create(beheerder: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = beheerder.post("/api/areas", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_officers_read_their_teams_and_teamless_areas(beheerder: Api, agent1: Api,
                                                      agent3: Api) -> None:
    centrum = create(beheerder, feature(box(-500, -500, 500, 0), "Centrum-West", "wijk",
                                        "Centrum"))
    noord = create(beheerder, feature(box(500, -500, 1500, 500), "Noord", "wijk", "Noord"))
    shared = create(beheerder, feature(box(-100, -100, 100, 100), "Uitgaansgebied",
                                       reason="Vechtpartijen in het weekend"))
    assert centrum["properties"]["team"] == agent1.login["user"]["team"]["id"]
    assert centrum["geometry"]["type"] == "Polygon"

    def names(api: Api) -> set[str]:
        body = api.get("/api/areas").get_json()
        assert body["type"] == "FeatureCollection"
        return {f["properties"]["name"] for f in body["features"]}

    assert names(agent1) == {"Centrum-West", "Uitgaansgebied"}
    assert names(agent3) == {"Noord", "Uitgaansgebied"}
    assert names(beheerder) == {"Centrum-West", "Noord", "Uitgaansgebied"}
    assert agent1.get(f"/api/areas/{noord['id']}").status_code == 404
    assert agent1.get(f"/api/areas/{shared['id']}").get_json()["properties"]["reason"] == (
        "Vechtpartijen in het weekend")
    wijken = agent1.get("/api/areas?kind=wijk").get_json()["features"]
    assert [f["id"] for f in wijken] == [centrum["id"]]


def test_only_a_beheerder_writes_areas(agent1: Api, leider: Api) -> None:
    body = feature(box(-100, -100, 100, 100), "Eigen gebied")
    assert agent1.post("/api/areas", json=body).status_code == 403
    assert leider.post("/api/areas", json=body).status_code == 403


def _problem(beheerder: Api, geometry: Any, **kw: Any) -> str:
    response = beheerder.post("/api/areas", json=feature(geometry, "Fout", **kw))
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["message"].startswith("Ongeldig gebied")
    return " ".join(m for ms in body["errors"].values() for m in ms)


def test_geometry_errors_name_the_problem(app: Any, beheerder: Api) -> None:
    w, s, e, n = LON - 0.01, LAT - 0.01, LON + 0.01, LAT + 0.01
    bowtie = {"type": "Polygon", "coordinates": [[[w, s], [e, n], [e, s], [w, n], [w, s]]]}
    assert "snijdt zichzelf" in _problem(beheerder, bowtie)
    unclosed = {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n]]]}
    assert "niet gesloten" in _problem(beheerder, unclosed)
    unclosed_5 = {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, n]]]}
    assert "niet gesloten" in _problem(beheerder, unclosed_5)
    swapped = {"type": "Polygon", "coordinates": [[[s, w], [s, e], [n, e], [n, w], [s, w]]]}
    assert "verwisseld" in _problem(beheerder, swapped)
    paris = box(-100, -100, 100, 100, lat=48.8566, lon=2.3522)
    assert "buiten Nederland" in _problem(beheerder, paris)
    point = {"type": "Point", "coordinates": [LON, LAT]}
    assert "Polygon of MultiPolygon" in _problem(beheerder, point)
    assert "[lon, lat]" in _problem(beheerder, {"type": "Polygon",
                                                "coordinates": [[["5.1", "52.0"]] * 4]})
    assert "Een wijk hoort bij een team" in _problem(beheerder, box(0, 0, 10, 10), kind="wijk")
    app.config["AREA_MAX_VERTICES"] = 4
    assert "Te veel hoekpunten" in _problem(beheerder, box(0, 0, 10, 10))
    assert db.session.execute(select(func.count()).select_from(Area)).scalar() == 0


def test_other_property_errors(beheerder: Api) -> None:
    geometry = box(0, 0, 100, 100)
    cases = [
        ({"kind": "gevaar"}, "kind"),
        ({"team": "Bestaat niet"}, "team"),
        ({"valid_from": "2026-01-02T00:00:00+01:00", "valid_until": "2026-01-01T00:00:00Z"},
         "valid_until"),
        ({"valid_from": "2026-01-02T00:00:00"}, "valid_from"),
        ({"name": ""}, "name"),
        ({"kleur": "rood"}, "properties"),
    ]
    for props, field in cases:
        body = feature(geometry, "Gebied")
        body["properties"].update(props)
        response = beheerder.post("/api/areas", json=body)
        assert response.status_code == 422, (props, response.get_json())
        assert field in response.get_json()["errors"], (props, response.get_json())


def test_feature_collection_is_all_or_nothing(beheerder: Api, agent1: Api) -> None:
    good = [feature(box(0, 0, 100, 100), "Plein"), feature(box(200, 200, 300, 300), "Park")]
    bad = feature({"type": "Polygon", "coordinates": [[[5.1, 52.0], [5.2, 52.0]]]}, "Kapot")
    response = beheerder.post("/api/areas", json={"type": "FeatureCollection",
                                                  "features": [*good, bad]})
    assert response.status_code == 422
    assert "features[2].geometry" in response.get_json()["errors"]
    assert db.session.execute(select(func.count()).select_from(Area)).scalar() == 0
    response = beheerder.post("/api/areas", json={"type": "FeatureCollection",
                                                  "features": good})
    assert response.status_code == 201
    assert len(response.get_json()["features"]) == 2
    assert len(agent1.get("/api/areas").get_json()["features"]) == 2


def test_area_changes_travel_by_pull(beheerder: Api, agent1: Api, agent3: Api) -> None:
    area = create(beheerder, feature(box(0, 0, 100, 100), "Bouwput", team="Noord"))
    [pulled] = agent3.pull_all()["changes"]
    assert pulled["entity"] == "area" and pulled["op"] == "upsert"
    assert pulled["record"]["properties"]["name"] == "Bouwput"
    assert agent1.pull_all()["changes"] == []
    cursor1, cursor3 = agent1.pull_all()["cursor"], agent3.pull_all()["cursor"]

    # moved to team Centrum: Noord's devices are told to drop it, Centrum's receive it
    response = beheerder.client.patch(f"/api/areas/{area['id']}", headers=beheerder.headers(),
                                      json={"properties": {"team": "Centrum"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["rev"] == 2
    removed = agent3.pull_all(cursor3)["changes"]
    assert [(c["entity"], c["id"], c["op"]) for c in removed] == [
        ("area", str(area["id"]), "remove")]
    [upsert] = agent1.pull_all(cursor1)["changes"]
    assert upsert["op"] == "upsert" and upsert["rev"] == 2

    # ended: it stays, with its end date; deleted: a removal
    end = "2030-01-01T00:00:00+00:00"
    beheerder.client.patch(f"/api/areas/{area['id']}", headers=beheerder.headers(),
                           json={"properties": {"valid_until": end}})
    cursor1 = agent1.pull_all()["cursor"]
    assert agent1.get(f"/api/areas/{area['id']}").get_json()["properties"]["valid_until"] == end
    assert beheerder.client.delete(f"/api/areas/{area['id']}",
                                   headers=beheerder.headers()).status_code == 204
    [gone] = agent1.pull_all(cursor1)["changes"]
    assert gone["op"] == "remove" and gone["record"] is None
    assert agent1.get(f"/api/areas/{area['id']}").status_code == 404


def test_teamless_area_reaches_every_team_by_pull(beheerder: Api, agent1: Api,
                                                  agent3: Api) -> None:
    area = create(beheerder, feature(box(0, 0, 100, 100), "Evenement"))
    for api in (agent1, agent3):
        assert [c["id"] for c in api.pull_all()["changes"]] == [str(area["id"])]
    cursor3 = agent3.pull_all()["cursor"]
    beheerder.client.patch(f"/api/areas/{area['id']}", headers=beheerder.headers(),
                           json={"properties": {"team": "Centrum"}})
    assert [c["op"] for c in agent3.pull_all(cursor3)["changes"]] == ["remove"]
    # a fresh device of team Centrum ends with the area, whatever rows came before
    final = agent1.pull_all()["changes"]
    assert final[-1]["op"] == "upsert" and final[-1]["record"]["properties"]["team"]


def test_seed_demo_ships_utrecht(app: Any) -> None:
    from server.cli import DEMO_PASSWORD, seed_demo

    assert seed_demo()
    areas = db.session.execute(select(Area)).scalars().all()
    assert {(a.name, a.kind) for a in areas} >= {("Centrum", "wijk"), ("Noord", "wijk")}
    assert sum(a.kind == "attention" for a in areas) >= 3
    client = app.test_client()
    login = client.post("/api/auth/login", json={"username": "agent1", "password":
                                                 DEMO_PASSWORD, "device_name": "demo"})
    agent = Api(client, login.get_json())
    # on the Neude: its area of attention and the notice for it
    items = agent.get("/api/briefing?lat=52.0930&lon=5.1195").get_json()["items"]
    assert {(i["kind"], i["title"]) for i in items} == {
        ("area", "Neude en Janskerkhof"), ("notice", "Extra toezicht uitgaansavond")}
    pulled = {c["entity"] for c in agent.pull_all()["changes"]}
    assert pulled == {"area", "notice"}


def test_team_change_resets_the_pull_with_the_new_teams_areas(beheerder: Api, agent2: Api,
                                                              agent3: Api) -> None:
    from server.models import User

    centrum = create(beheerder, feature(box(0, 0, 100, 100), "C", team="Centrum"))
    noord = create(beheerder, feature(box(0, 0, 100, 100), "N", team="Noord"))
    state = agent2.pull_all()
    assert [c["id"] for c in state["changes"]] == [str(centrum["id"])]
    user = db.session.execute(select(User).where(User.username == "agent2")).scalar_one()
    user.team_id = agent3.login["user"]["team"]["id"]
    db.session.commit()
    after = agent2.pull_all(state["cursor"])
    assert after["reset"] is True
    assert [(c["entity"], c["id"]) for c in after["changes"]] == [("area", str(noord["id"]))]
