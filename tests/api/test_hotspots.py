"""Hotspots: clusters per team and type, stable ids, written only when they change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from server.extensions import db
from server.hotspots import compute_hotspots, dbscan
from server.models import Counter, Hotspot, utcnow
from tests.api.test_briefing import brief, registration
from tests.conftest import Api


def change_seq() -> int:
    return db.session.execute(select(Counter.value).where(Counter.name == "change_seq")
                              ).scalar_one()


def test_dbscan_finds_dense_groups_and_leaves_noise() -> None:
    rng = np.random.default_rng(1)
    dense = rng.normal((1000, 1000), 30, size=(8, 2))
    other = rng.normal((5000, 5000), 30, size=(5, 2))
    noise = np.array([[0, 0], [3000, 0], [0, 3000], [9000, 9000]])
    clusters = dbscan(np.vstack([dense, other, noise]), 150, 5)
    assert sorted(map(sorted, clusters)) == [list(range(8)), list(range(8, 13))]
    assert dbscan(other, 150, 6) == []


def test_hotspots_per_team_stable_and_quiet(app: Any, agent1: Api, agent2: Api,
                                            agent3: Api) -> None:
    ours = [registration(agent1 if i % 2 else agent2, 20 * i, 10 * i) for i in range(6)]
    registration(agent1, 3000, 0)  # alone: noise
    theirs = [registration(agent3, 5 * i, 0) for i in range(4)]
    assert compute_hotspots() == {"created": 1, "changed": 0, "removed": 0}
    [hotspot] = db.session.execute(select(Hotspot)).scalars().all()
    assert hotspot.count == 6 and sorted(hotspot.member_ids) == sorted(ours)
    assert 0 < hotspot.radius_m < 150

    pulled = [c for c in agent1.pull_all()["changes"] if c["entity"] == "hotspot"]
    assert [(c["id"], c["op"], c["record"]["count"]) for c in pulled] == [
        (hotspot.id, "upsert", 6)]
    assert [c for c in agent3.pull_all()["changes"] if c["entity"] == "hotspot"] == []
    assert ("hotspot", hotspot.id) in [(i["kind"], i["id"]) for i in brief(agent1)]
    assert all(i["kind"] != "hotspot" for i in brief(agent3))

    # nothing changed: nothing written, nothing for pull
    before = change_seq()
    assert compute_hotspots() == {"created": 0, "changed": 0, "removed": 0}
    assert change_seq() == before

    # one more registration: the same hotspot, a new revision
    cursor = agent1.pull_all()["cursor"]
    registration(agent1, 40, 40)
    assert compute_hotspots()["changed"] == 1
    [again] = db.session.execute(select(Hotspot)).scalars().all()
    assert again.id == hotspot.id and again.count == 7 and again.rev == 2
    later = [c for c in agent1.pull_all(cursor)["changes"] if c["entity"] == "hotspot"]
    assert [(c["id"], c["rev"]) for c in later] == [(hotspot.id, 2)]

    # Noord reaches five: a hotspot of its own
    theirs.append(registration(agent3, 0, 20))
    assert compute_hotspots()["created"] == 1
    assert [c["entity"] for c in agent3.pull_all()["changes"]].count("hotspot") == 1

    # a month later the registrations are too old: the hotspots go, pull says remove
    cursor = agent1.pull_all()["cursor"]
    assert compute_hotspots(utcnow() + timedelta(days=40))["removed"] == 2
    assert [(c["id"], c["op"]) for c in agent1.pull_all(cursor)["changes"]] == [
        (hotspot.id, "remove")]


def test_run_jobs_computes_hotspots(app: Any, agent1: Api) -> None:
    for i in range(5):
        registration(agent1, 10 * i, 0)
    result = app.test_cli_runner().invoke(args=["run-jobs"])
    assert result.exit_code == 0, result.output
    assert "hotspots: 1 nieuw" in result.output


def test_a_wide_hotspot_shows_by_its_edge(app: Any, agent1: Api) -> None:
    """A hotspot counts when its extent comes within the radius, however far its centre."""
    from server.geo import to_rd_many
    from server.models import User
    from tests.api.test_briefing import point

    team_id = db.session.execute(select(User.team_id).where(User.username == "agent1")
                                 ).scalar_one()
    centre = point(6300, 0)
    [(x, y)] = to_rd_many([(centre["lat"], centre["lon"])])
    now = utcnow()
    for hid, radius in (("wijd", 6000.0), ("net-te-ver", 5700.0)):
        db.session.add(Hotspot(id=hid, team_id=team_id, type="vor", count=40,
                               lat=centre["lat"], lon=centre["lon"], rd_x=x, rd_y=y,
                               radius_m=radius, member_ids=[], first_at=now, last_at=now))
    db.session.commit()
    [item] = brief(agent1)
    assert (item["kind"], item["id"]) == ("hotspot", "wijd")
    assert item["distance_m"] == pytest.approx(300, abs=2)
