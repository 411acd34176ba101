"""Every documented endpoint × every kind of caller: the expected status of each.

The table's keys must equal the operations of ``/api/openapi.json``: an endpoint added
later without a row here fails the test until someone decides who may call it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import update

from server.auth.tokens import token_hash
from server.cli import make_user
from server.extensions import db
from server.models import Token, utcnow
from tests.api.test_access import create, jpeg, photo_set, sha, team_id, upload
from tests.conftest import PASSWORD, Api, login
from tests.geo_samples import LAT, LON, box, feature
from tests.pushkit import BrowserKeys
from tests.samples import minor_accident

KINDS = ("none", "expired", "revoked", "agent", "agent_other", "leider", "leider_other",
         "beheerder")
# the user behind each signed-in kind (agent1 of team Centrum wrote the registrations)
USERS = {"expired": "agent2", "revoked": "agent2", "agent": "agent2", "agent_other": "agent3",
         "leider": "leider1", "leider_other": "leider2", "beheerder": "beheer1"}
REFUSED_TOKEN = {"none": "invalid_token", "expired": "token_expired",
                 "revoked": "device_revoked"}


def signed_in(agent: int, agent_other: int, leider: int, leider_other: int,
              beheerder: int) -> dict[str, int]:
    """A row for an endpoint that needs a token: 401 without a valid one."""
    return {"none": 401, "expired": 401, "revoked": 401, "agent": agent,
            "agent_other": agent_other, "leider": leider, "leider_other": leider_other,
            "beheerder": beheerder}


ALL = signed_in(200, 200, 200, 200, 200)
READERS = signed_in(200, 200, 200, 200, 403)  # need-to-know: no content for a beheerder
TEAM_READERS = signed_in(200, 404, 200, 404, 403)  # and only the own team's
TEAM_LEADER = signed_in(403, 403, 200, 404, 403)  # four eyes: not the author (agent1)
BEHEER = signed_in(403, 403, 403, 403, 200)

TABLE: dict[tuple[str, str], dict[str, int]] = {
    ("POST", "/api/auth/login"): dict.fromkeys(KINDS, 200),  # the token is not looked at
    ("POST", "/api/auth/logout"): ALL,
    ("GET", "/api/me"): ALL,
    ("GET", "/api/forms"): ALL,
    ("GET", "/api/devices"): ALL,  # a beheerder's all, anyone else's own
    ("POST", "/api/devices/{device_id}/revoke"): signed_in(404, 404, 404, 404, 200),
    ("PATCH", "/api/devices/{device_id}"): signed_in(200, 404, 404, 404, 404),  # the owner
    ("GET", "/api/registrations"): READERS,
    ("GET", "/api/registrations/{record_id}"): TEAM_READERS,
    ("POST", "/api/registrations/{record_id}/review"): TEAM_LEADER,
    ("POST", "/api/registrations/{record_id}/conflicts/{conflict_id}/resolve"): TEAM_LEADER,
    ("POST", "/api/registrations/{record_id}/amendments/{amendment_id}/accept"): TEAM_LEADER,
    ("POST", "/api/registrations/{record_id}/amendments/{amendment_id}/file"): TEAM_LEADER,
    ("POST", "/api/sync/push"): READERS,
    ("GET", "/api/sync/pull"): READERS,
    # someone else's bytes: the same 201 as a first upload, and the right that comes with it
    ("PUT", "/api/attachments/{sha256}"): signed_in(201, 201, 201, 201, 403),
    ("GET", "/api/attachments/{sha256}"): TEAM_READERS,
    ("GET", "/api/teams"): BEHEER,
    ("PUT", "/api/teams/{team_id}/substitute"): BEHEER,
    ("GET", "/api/team/members"): READERS,  # team data: the own team's, none for a beheerder
    # exports: a team leader their team in full; a beheerder the AVG-reduced bron only
    ("GET", "/api/export"): signed_in(403, 403, 200, 200, 200),
    ("GET", "/api/push/vapid-public-key"): ALL,
    ("GET", "/api/push/subscriptions"): ALL,
    ("POST", "/api/push/subscriptions"): signed_in(201, 201, 201, 201, 403),
    ("DELETE", "/api/push/subscriptions"): ALL,
    # areas and notices: everyone reads what concerns their team, a beheerder writes
    ("GET", "/api/areas"): ALL,
    ("POST", "/api/areas"): signed_in(403, 403, 403, 403, 201),
    ("GET", "/api/areas/{area_id}"): signed_in(200, 404, 200, 404, 200),
    ("PATCH", "/api/areas/{area_id}"): BEHEER,
    ("PUT", "/api/areas/{area_id}"): BEHEER,
    ("DELETE", "/api/areas/{area_id}"): signed_in(403, 403, 403, 403, 204),
    ("GET", "/api/notices"): ALL,
    ("POST", "/api/notices"): signed_in(403, 403, 403, 403, 201),
    ("POST", "/api/notices/preview"): BEHEER,
    ("GET", "/api/notices/{notice_id}"): signed_in(200, 404, 200, 404, 200),
    ("PATCH", "/api/notices/{notice_id}"): BEHEER,
    ("PUT", "/api/notices/{notice_id}"): BEHEER,
    ("DELETE", "/api/notices/{notice_id}"): BEHEER,
    ("GET", "/api/briefing"): READERS,
    # a place outside the Netherlands: refused before PDOK is asked (no internet here)
    ("GET", "/api/tiles/{z}/{x}/{y}.png"): signed_in(422, 422, 422, 422, 422),
    ("GET", "/api/tiles/offline"): ALL,
    ("GET", "/api/geocode/reverse"): signed_in(422, 422, 422, 422, 422),
}

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _world(client: FlaskClient, agent1: Api, agent2: Api, admin: Api
           ) -> dict[tuple[str, str], Any]:
    """What each operation is called with: (path parameters, request keyword arguments)."""
    linked, loose = jpeg("matrix-linked"), jpeg("matrix-loose")
    upload(agent1, linked)
    upload(agent1, loose)  # not linked: anyone else uploading it proves possession
    readable = create(agent1, {"street": "Markt", **photo_set(sha(linked))})
    to_review = create(agent1, {**minor_accident(), "status": "submitted"})
    conflicted = create(agent1)
    agent2.push(agent2.op(conflicted, {"street": "Markt"}, base_rev=1))
    [clash] = agent1.push(agent1.op(conflicted, {"street": "Plein"}, base_rev=1))
    spare = login(client, "agent1", "reservetelefoon")
    leider = login(client, "leider1", "matrix wereld")
    amended = {}
    for decision in ("accept", "file"):
        record_id = create(agent1, {**minor_accident(), "status": "submitted"})
        assert leider.post(f"/api/registrations/{record_id}/review", json={
            "decision": "approve", "comment": "", "rev": 1}).status_code == 200
        [later] = agent1.push(agent1.op(record_id, {"narrative": "Aanvulling"}, base_rev=2))
        amended[decision] = ({"record_id": record_id, "amendment_id": later["op_id"]},
                             {"json": {"rev": later["rev"]}})
    wijk = admin.post("/api/areas", json=feature(box(-500, -900, 500, 100), "Centrum", "wijk",
                                                 "Centrum")).get_json()
    mistake = admin.post("/api/areas", json=feature(box(900, 900, 1200, 1200), "Vergissing",
                                                    "attention", "Centrum")).get_json()
    notice_body = {"title": "Let op", "body": "Extra surveillance.",
                   "point": {"lat": LAT, "lon": LON}, "radius_m": 200, "priority": 2,
                   "valid_until": (utcnow() + timedelta(days=2)).isoformat()}
    notice = admin.post("/api/notices", json=notice_body).get_json()
    return {
        ("POST", "/api/auth/login"): ({}, {"json": {"username": "agent2", "password": PASSWORD,
                                                    "device_name": "matrix"}}),
        ("POST", "/api/devices/{device_id}/revoke"): ({"device_id": spare.device_id}, {}),
        ("PATCH", "/api/devices/{device_id}"): (
            {"device_id": agent2.device_id}, {"json": {"name": "Telefoon B"}}),
        ("GET", "/api/registrations/{record_id}"): ({"record_id": readable}, {}),
        ("POST", "/api/registrations/{record_id}/review"): (
            {"record_id": to_review}, {"json": {"decision": "approve", "comment": "",
                                                "rev": 1}}),
        ("POST", "/api/registrations/{record_id}/conflicts/{conflict_id}/resolve"): (
            {"record_id": conflicted, "conflict_id": clash["conflicts"][0]},
            {"json": {"value": "Markt", "rev": clash["rev"]}}),
        ("POST", "/api/registrations/{record_id}/amendments/{amendment_id}/accept"):
            amended["accept"],
        ("POST", "/api/registrations/{record_id}/amendments/{amendment_id}/file"):
            amended["file"],
        ("POST", "/api/sync/push"): ({}, {"json": {"ops": []}}),
        ("PUT", "/api/attachments/{sha256}"): (
            {"sha256": sha(loose)}, {"data": loose, "content_type": "image/jpeg"}),
        ("GET", "/api/attachments/{sha256}"): ({"sha256": sha(linked)}, {}),
        ("PUT", "/api/teams/{team_id}/substitute"): (
            {"team_id": team_id("Noord")}, {"json": {"user_id": None}}),
        ("GET", "/api/export"): ({}, {"query_string": {"format": "bron", "type": "vor"}}),
        ("POST", "/api/push/subscriptions"): ({}, {"json": BrowserKeys().subscription(
            "https://fcm.googleapis.com/fcm/send/matrix")}),
        ("POST", "/api/areas"): ({}, {"json": feature(box(-100, -100, 100, 100), "Markt",
                                                      "attention", "Centrum")}),
        ("GET", "/api/areas/{area_id}"): ({"area_id": wijk["id"]}, {}),
        ("PATCH", "/api/areas/{area_id}"): (
            {"area_id": wijk["id"]}, {"json": {"properties": {"reason": "herzien"}}}),
        ("PUT", "/api/areas/{area_id}"): (
            {"area_id": wijk["id"]}, {"json": feature(box(-500, -900, 500, 100), "Centrum",
                                                      "wijk", "Centrum")}),
        ("DELETE", "/api/areas/{area_id}"): ({"area_id": mistake["id"]}, {}),
        ("POST", "/api/notices"): ({}, {"json": notice_body}),
        ("POST", "/api/notices/preview"): ({}, {"json": notice_body}),
        ("GET", "/api/notices/{notice_id}"): ({"notice_id": notice["id"]}, {}),
        ("PATCH", "/api/notices/{notice_id}"): (
            {"notice_id": notice["id"]}, {"json": {"priority": 1}}),
        ("PUT", "/api/notices/{notice_id}"): ({"notice_id": notice["id"]}, {"json": notice_body}),
        ("DELETE", "/api/notices/{notice_id}"): ({"notice_id": notice["id"]}, {}),
        ("GET", "/api/briefing"): ({}, {"query_string": {"lat": LAT, "lon": LON}}),
        ("GET", "/api/tiles/{z}/{x}/{y}.png"): ({"z": 12, "x": 0, "y": 0}, {}),
        ("GET", "/api/geocode/reverse"): ({}, {"query_string": {"lat": 48.85, "lon": 2.35}}),
    }


def _headers(client: FlaskClient, kind: str, admin: Api) -> dict[str, str]:
    """A fresh session of ``kind`` for one call (a call may end its own session)."""
    if kind == "none":
        return {}
    api = login(client, USERS[kind], f"matrix {kind}")
    if kind == "expired":
        db.session.execute(update(Token).where(Token.token_hash == token_hash(api.token))
                           .values(expires_at=utcnow().replace(year=2000)))
        db.session.commit()
    if kind == "revoked":
        assert admin.post(f"/api/devices/{api.device_id}/revoke").status_code == 200
    return api.headers()


def test_every_endpoint_answers_each_kind_of_caller_as_the_table_says(
        client: FlaskClient, agent1: Api, agent2: Api, beheerder: Api) -> None:
    make_user("leider2", "teamleider", PASSWORD, "Noord")
    db.session.commit()
    spec = client.get("/api/openapi.json").get_json()
    documented = {(method.upper(), path) for path, item in spec["paths"].items()
                  for method in item if method in METHODS}
    assert set(TABLE) == documented

    world = _world(client, agent1, agent2, beheerder)
    got: dict[tuple[str, str], dict[str, int]] = {}
    for (method, template), expected in TABLE.items():
        params, kwargs = world.get((method, template), ({}, {}))
        path = template.format(**params)
        got[(method, template)] = {}
        for kind in KINDS:
            response = client.open(path, method=method,
                                   headers=_headers(client, kind, beheerder), **kwargs)
            got[(method, template)][kind] = response.status_code
            response.close()  # ends a streamed body (an export) inside its own context
            if expected[kind] == 401:
                assert response.get_json()["error"] == REFUSED_TOKEN[kind], (method, path)
    assert got == TABLE

