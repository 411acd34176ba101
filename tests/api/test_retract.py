"""Ended notices and areas leave the devices: the ``geo-retract`` job logs a removal for
each whose ``valid_until`` passed, so a pull from an older cursor says ``remove``; a read
writes nothing."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from server.extensions import db
from server.geo_entities import retract_ended
from server.models import Change, utcnow
from tests.api.test_notices import iso, point_notice, post, wijken
from tests.conftest import Api
from tests.geo_samples import box, feature


def geo_ops(api: Api, since: str | None = None) -> list[tuple[str, str, str]]:
    return [(c["entity"], c["id"], c["op"]) for c in api.pull_all(since)["changes"]
            if c["entity"] != "registration"]


def log_size() -> int:
    return db.session.execute(select(func.count()).select_from(Change)).scalar_one()


def test_an_expired_notice_is_removed_from_an_old_cursor_by_the_job(
        app: Any, beheerder: Api, agent1: Api, agent3: Api) -> None:
    wijken(beheerder)
    notice = post(beheerder, point_notice(east_m=50, valid_from=iso(-timedelta(hours=2)),
                                          valid_until=iso(timedelta(hours=1))))
    nid = str(notice["id"])
    old1, old3 = agent1.pull_all()["cursor"], agent3.pull_all()["cursor"]

    assert retract_ended() == 0  # still valid: nothing to take off
    rows = log_size()
    # after it expired, reading writes nothing: the pull and GET see no change yet
    later = utcnow() + timedelta(hours=2)
    assert geo_ops(agent1, old1) == []
    assert agent1.get(f"/api/notices/{nid}").status_code == 200
    assert log_size() == rows

    assert retract_ended(later) == 1
    assert geo_ops(agent1, old1) == [("notice", nid, "remove")]
    assert geo_ops(agent3, old3) == [("notice", nid, "remove")]  # both teams it reached
    # once: a second run logs nothing new
    cursor = agent1.pull_all()["cursor"]
    assert retract_ended(later + timedelta(minutes=1)) == 0
    assert geo_ops(agent1, cursor) == []
    # a fresh device never receives it; the officer can still read it online
    assert ("notice", nid, "upsert") not in geo_ops(agent1)
    assert agent1.get(f"/api/notices/{nid}").get_json()["valid_until"] == notice["valid_until"]


def test_run_jobs_runs_the_retract_job(app: Any, beheerder: Api, agent1: Api) -> None:
    wijken(beheerder)
    post(beheerder, point_notice(valid_from=iso(-timedelta(hours=2)),
                                 valid_until=iso(timedelta(seconds=1))))
    db.session.commit()  # the fixtures' transaction holds SQLite's write lock otherwise
    time.sleep(1.2)
    result = app.test_cli_runner().invoke(args=["run-jobs"])
    assert result.exit_code == 0, result.output
    assert "geo-retract: 1" in result.output


def test_ending_or_extending_a_notice_takes_it_off_or_brings_it_back(
        beheerder: Api, agent1: Api) -> None:
    wijken(beheerder)
    notice = post(beheerder, point_notice())
    nid = str(notice["id"])
    cursor = agent1.pull_all()["cursor"]
    url = f"/api/notices/{notice['id']}"
    assert beheerder.client.delete(url, headers=beheerder.headers()).status_code == 200
    assert geo_ops(agent1, cursor) == [("notice", nid, "remove")]  # at once, no job needed
    cursor = agent1.pull_all()["cursor"]

    # valid again: back on the devices with its new end
    until = iso(timedelta(days=3))
    response = beheerder.patch(url, json={"valid_until": until})
    assert response.status_code == 200, response.get_json()
    [back] = [c for c in agent1.pull_all(cursor)["changes"] if c["entity"] == "notice"]
    assert back["op"] == "upsert" and back["record"]["valid_until"] == response.get_json()[
        "valid_until"]


def test_an_ended_area_leaves_with_its_last_live_notice(beheerder: Api, agent1: Api) -> None:
    area = beheerder.post("/api/areas", json=feature(
        box(0, 0, 100, 100), "Kermis", team="Centrum",
        valid_from=iso(-timedelta(days=1)), valid_until=iso(timedelta(hours=1)))).get_json()
    aid = str(area["id"])
    notice = post(beheerder, {**point_notice(), "point": None, "radius_m": None,
                              "area_id": area["id"], "valid_until": iso(timedelta(hours=3))})
    nid = str(notice["id"])
    cursor = agent1.pull_all()["cursor"]

    # the area ended, but a notice on it is still valid: the devices keep its shape
    assert retract_ended(utcnow() + timedelta(hours=2)) == 0
    assert geo_ops(agent1, cursor) == []
    # the notice ends too: both go
    assert retract_ended(utcnow() + timedelta(hours=4)) == 2
    assert sorted(geo_ops(agent1, cursor)) == [("area", aid, "remove"),
                                               ("notice", nid, "remove")]


def test_ending_an_area_removes_it_and_a_new_notice_brings_it_back(
        beheerder: Api, agent1: Api) -> None:
    area = beheerder.post("/api/areas", json=feature(box(0, 0, 100, 100), "Bouwput",
                                                     team="Centrum")).get_json()
    aid = str(area["id"])
    cursor = agent1.pull_all()["cursor"]
    ended = beheerder.patch(f"/api/areas/{area['id']}",
                            json={"properties": {"valid_until": iso()}})
    assert ended.status_code == 200, ended.get_json()
    assert geo_ops(agent1, cursor) == [("area", aid, "remove")]
    cursor = agent1.pull_all()["cursor"]
    # renaming an ended area does not send it again
    beheerder.patch(f"/api/areas/{area['id']}", json={"properties": {"name": "Bouwput oud"}})
    assert geo_ops(agent1, cursor) == []

    # a notice on the ended area: the devices need its shape again
    notice = post(beheerder, {**point_notice(), "point": None, "radius_m": None,
                              "area_id": area["id"]})
    assert sorted(geo_ops(agent1, cursor)) == [("area", aid, "upsert"),
                                               ("notice", str(notice["id"]), "upsert")]
