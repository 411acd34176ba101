"""The briefing: what shows where, in which order, within which bounds, for whom."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from server import audit, spatial
from server.extensions import db
from server.models import AuditEntry, utcnow
from tests.conftest import Api
from tests.geo_samples import LAT, LON, box, feature, offset


def iso(delta: timedelta = timedelta()) -> str:
    return (utcnow() + delta).isoformat()


def area(beheerder: Api, geometry: dict[str, Any], name: str, **kw: Any) -> int:
    response = beheerder.post("/api/areas", json=feature(geometry, name, **kw))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def notice(beheerder: Api, **body: Any) -> int:
    body = {"title": "Mededeling", "priority": 2, "valid_until": iso(timedelta(days=2)), **body}
    response = beheerder.post("/api/notices", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def point(north_m: float = 0, east_m: float = 0) -> dict[str, float]:
    lat, lon = offset(LAT, LON, north_m, east_m)
    return {"lat": lat, "lon": lon}


def registration(api: Api, north_m: float = 0, east_m: float = 0) -> str:
    rid = str(uuid.uuid4())
    [result] = api.push(api.op(rid, {"location": {**point(north_m, east_m), "accuracy": 5}}))
    assert result["status"] == "applied", result
    return rid


def brief(api: Api, north_m: float = 0, east_m: float = 0) -> list[dict[str, Any]]:
    here = point(north_m, east_m)
    response = api.get(f"/api/briefing?lat={here['lat']}&lon={here['lon']}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


@pytest.fixture
def city(beheerder: Api) -> dict[str, int]:
    """Centrum's wijk west of the centre, Noord's east of it (100 m overlap)."""
    area(beheerder, box(-2000, -3000, 2000, 100), "Centrum", kind="wijk", team="Centrum")
    area(beheerder, box(-2000, 0, 2000, 3000), "Noord", kind="wijk", team="Noord")
    return {
        "square": area(beheerder, box(-100, -100, 100, 100), "Neude", reason="Overlast"),
        "far": area(beheerder, box(1000, 1000, 1200, 1200), "Station"),
        "noord_only": area(beheerder, box(-100, -100, 100, 100), "Noord-plein", team="Noord"),
    }


def test_items_inside_and_outside_ordered_by_priority_then_distance(
        city: dict[str, int], beheerder: Api, agent1: Api, agent2: Api, agent3: Api) -> None:
    covering = notice(beheerder, title="Inbraken", priority=1, point=point(100, -300),
                      radius_m=400)
    notice(beheerder, title="Te klein", priority=1, point=point(100, -300), radius_m=50)
    notice(beheerder, title="Later", priority=1, point=point(0, -300), radius_m=500,
           valid_from=iso(timedelta(hours=3)))
    area_notice = notice(beheerder, title="Markt", priority=3, area_id=city["square"])
    notice(beheerder, title="Alleen Noord", priority=1, area_id=city["noord_only"])
    near = registration(agent2, 300, 0)
    nearer = registration(agent1, -40, 30)
    registration(agent1, 600, 0)   # beyond 500 m
    theirs = registration(agent3, 10, 10)   # another team's

    items = brief(agent1)
    summary = [(i["kind"], i["id"], i["priority"]) for i in items]
    assert summary == [
        ("notice", covering, 1),
        ("area", city["square"], 2),
        ("notice", area_notice, 3),
        ("registration", nearer, 3),
        ("registration", near, 3),
    ]
    distances = [i["distance_m"] for i in items]
    assert distances[0] == pytest.approx((100**2 + 300**2) ** 0.5, abs=2)
    assert distances[1] == distances[2] == 0
    assert distances[3] == pytest.approx(50, abs=1)
    assert distances[4] == pytest.approx(300, abs=1)
    assert items[1]["title"] == "Neude" and items[1]["reason"] == "Overlast"

    # Noord's officer at the same spot: the teamless area, Noord's own notice, not
    # Centrum's registrations
    noord = {(i["kind"], i["title"]) for i in brief(agent3)}
    assert {("notice", "Alleen Noord"), ("area", "Neude"), ("area", "Noord-plein"),
            ("notice", "Markt")} <= noord
    assert ("notice", "Inbraken") not in noord  # its point lies in Centrum's wijk only
    assert [i["id"] for i in brief(agent3) if i["kind"] == "registration"] == [theirs]

    # outside every area of attention and notice
    assert brief(agent1, -1500, -2500) == []


def test_registrations_older_than_the_window_leave(monkeypatch: Any, agent1: Api) -> None:
    rid = registration(agent1, 100, 0)
    assert [i["id"] for i in brief(agent1)] == [rid]
    from server.briefing import routes

    monkeypatch.setattr(routes, "utcnow", lambda: utcnow() + timedelta(days=13))
    assert [i["id"] for i in brief(agent1)] == [rid]
    monkeypatch.setattr(routes, "utcnow", lambda: utcnow() + timedelta(days=15))
    assert brief(agent1) == []


def test_expired_notice_leaves(monkeypatch: Any, city: dict[str, int], beheerder: Api,
                               agent1: Api) -> None:
    notice(beheerder, title="Kort", priority=1, point=point(0, -300), radius_m=500,
           valid_until=iso(timedelta(hours=1)))
    assert "Kort" in [i["title"] for i in brief(agent1)]
    from server.briefing import routes

    monkeypatch.setattr(routes, "utcnow", lambda: utcnow() + timedelta(hours=2))
    assert "Kort" not in [i["title"] for i in brief(agent1)]


def test_areas_of_attention_only_while_valid(monkeypatch: Any, beheerder: Api,
                                             agent1: Api) -> None:
    area(beheerder, box(-100, -100, 100, 100), "Tot morgen", valid_until=iso(timedelta(days=1)))
    area(beheerder, box(-100, -100, 100, 100), "Vanaf morgen",
         valid_from=iso(timedelta(days=1)))
    assert [i["title"] for i in brief(agent1)] == ["Tot morgen"]
    from server.briefing import routes

    monkeypatch.setattr(routes, "utcnow", lambda: utcnow() + timedelta(days=2))
    assert [i["title"] for i in brief(agent1)] == ["Vanaf morgen"]


def test_item_count_and_radius_are_bounded(app: Any, agent1: Api) -> None:
    ids = [registration(agent1, 60 * n, 0) for n in range(1, 6)]
    assert [i["id"] for i in brief(agent1)] == ids
    app.config["BRIEFING_MAX_ITEMS"] = 3
    assert [i["id"] for i in brief(agent1)] == ids[:3]
    app.config["BRIEFING_MAX_ITEMS"] = 50
    app.config["BRIEFING_RADIUS_M"] = 200
    assert [i["id"] for i in brief(agent1)] == ids[:3]


def tree() -> list[str]:
    """SQLite: the registrations in the R*Tree."""
    return sorted(db.session.execute(text(
        "SELECT registration_id FROM rtree_registrations")).scalars())


def on_sqlite() -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's R*Tree: PostGIS indexes the row's own column")


@pytest.mark.parametrize("indexed", [False, True], ids=["before-the-index-job", "after-it"])
def test_moved_registration_follows_in_the_index(agent1: Api, indexed: bool) -> None:
    rid = registration(agent1, 100, 0)
    if indexed:
        spatial.index_pending()
    [moved] = agent1.push(agent1.op(rid, {"location": {**point(2000, 0), "accuracy": 5}},
                                    base_rev=1))
    assert moved["status"] == "applied"
    if indexed:
        spatial.index_pending()
    assert brief(agent1) == []
    assert [i["id"] for i in brief(agent1, 2000, 0)] == [rid]


def test_the_tree_follows_the_change_log_and_a_briefing_sees_every_push_at_once(
        agent1: Api) -> None:
    on_sqlite()
    rid = registration(agent1, 100, 0)
    assert tree() == []  # the push wrote no tree entry: its transaction stays short
    assert [i["id"] for i in brief(agent1)] == [rid]  # from the change log directly
    assert spatial.index_pending() == 1
    assert tree() == [rid]
    position, end = db.session.execute(text(
        "SELECT (SELECT value FROM counters WHERE name = 'spatial_index'), "
        "(SELECT max(seq) FROM changes)")).one()
    assert position == end
    assert [i["id"] for i in brief(agent1)] == [rid]  # from the tree, once
    assert [i["id"] for i in brief(agent1, 2000, 0)] == []
    # an edit that leaves the location alone is looked at and leaves the entry as it is
    [edited] = agent1.push(agent1.op(rid, {"street": "Neude"}, base_rev=1))
    assert edited["status"] == "applied"
    assert spatial.index_pending() == 1 and tree() == [rid]
    assert spatial.index_pending() == 0  # nothing new since


def test_briefing_reads_are_audited_with_the_registrations_shown(agent1: Api) -> None:
    rid = registration(agent1, 100, 0)
    brief(agent1)
    audit.chain_pending()  # reads are made durable apart first, then chained
    [(ids, detail)] = db.session.execute(
        select(AuditEntry.entity_ids, AuditEntry.detail)
        .where(AuditEntry.action == "read")).all()
    assert json.loads(ids) == [rid] and json.loads(detail) == {"via": "briefing"}


def test_bad_points_and_roles(agent1: Api, beheerder: Api) -> None:
    assert agent1.get("/api/briefing?lat=48.85&lon=2.35").status_code == 422
    swapped = agent1.get(f"/api/briefing?lat={LON}&lon={LAT}")
    assert swapped.status_code == 422 and "verwisseld" in swapped.get_json()["message"]
    assert agent1.get("/api/briefing?lat=abc&lon=5").status_code == 422
    assert agent1.get("/api/briefing").status_code == 422
    assert agent1.get("/api/briefing?lat=nan&lon=5").status_code == 422
    assert beheerder.get(f"/api/briefing?lat={LAT}&lon={LON}").status_code == 403


def test_plain_bounding_box_fallback_gives_the_same_answer(
        app: Any, city: dict[str, int], beheerder: Api, agent1: Api) -> None:
    """Where no spatial index exists (PostgreSQL without PostGIS) the bounding-box
    columns answer the same question."""
    covering = notice(beheerder, priority=1, point=point(0, -300), radius_m=400)
    rid = registration(agent1, 100, 0)
    registration(agent1, 700, 0)
    expected = [("notice", covering), ("area", city["square"]), ("registration", rid)]
    assert [(i["kind"], i["id"]) for i in brief(agent1)] == expected
    app.extensions["wijkpost_spatial"] = "bbox"
    assert [(i["kind"], i["id"]) for i in brief(agent1)] == expected


def test_purged_registration_leaves_the_index(app: Any, agent1: Api) -> None:
    rid = registration(agent1, 100, 0)
    spatial.index_pending()
    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        assert tree() == [rid]
    app.config["RETENTION_DAYS_REGISTRATIONS"] = -1
    from server.cli import purge_expired

    assert purge_expired() == 1
    assert brief(agent1) == []
    spatial.index_pending()  # the purge's change: the entry is gone already
    if sqlite:
        assert tree() == []
    assert brief(agent1) == []


def test_an_idle_index_job_leaves_the_write_lock_alone(agent1: Api) -> None:
    """The index jobs run every 2 s: with nothing new they must not queue behind a push
    (or make one queue behind them) for SQLite's one write lock."""
    on_sqlite()
    import sqlite3

    from server import search

    registration(agent1, 100, 0)
    assert spatial.index_pending() == 1 and search.index_pending() == 1
    db.session.commit()
    pushing = sqlite3.connect(db.engine.url.database, timeout=0.1)
    pushing.execute("BEGIN IMMEDIATE")  # a push holds the write lock
    try:
        assert spatial.index_pending() == 0
        assert search.index_pending() == 0
    finally:
        pushing.rollback()
        pushing.close()


def test_a_briefing_follows_a_team_change_a_new_role_and_a_revocation_at_once(
        city: dict[str, int], beheerder: Api, agent1: Api, agent3: Api) -> None:
    """The second briefing of a token sends its query with the token check, for the team
    the first one found: a team change, a new role or a revoked device still decide."""
    mine = registration(agent1, 50, 0)
    theirs = registration(agent3, -50, 0)   # team Noord's
    for _ in range(2):
        shown = {i["id"] for i in brief(agent1)}
        assert mine in shown and theirs not in shown and city["noord_only"] not in shown
    noord = db.session.execute(text("SELECT id FROM teams WHERE name = 'Noord'")).scalar()
    db.session.execute(text("UPDATE users SET team_id = :team WHERE username = 'agent1'"),
                       {"team": noord})
    db.session.commit()
    for _ in range(2):
        shown = {i["id"] for i in brief(agent1)}
        assert theirs in shown and city["noord_only"] in shown and mine not in shown
    db.session.execute(text("UPDATE users SET role = 'beheerder' WHERE username = 'agent1'"))
    db.session.commit()
    assert agent1.get(f"/api/briefing?lat={LAT}&lon={LON}").status_code == 403
    db.session.execute(text("UPDATE users SET role = 'agent' WHERE username = 'agent1'"))
    db.session.commit()
    assert beheerder.post(f"/api/devices/{agent1.device_id}/revoke").status_code == 200
    refused = agent1.get(f"/api/briefing?lat={LAT}&lon={LON}")
    assert refused.status_code == 401 and refused.get_json()["error"] == "device_revoked"


def test_a_refused_token_answers_before_a_bad_point(agent1: Api, client: Any) -> None:
    assert client.get("/api/briefing?lat=abc&lon=5").status_code == 401
    assert client.get("/api/briefing?lat=abc&lon=5",
                      headers={"Authorization": "Bearer nope"}).status_code == 401
