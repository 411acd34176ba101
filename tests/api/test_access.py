"""Access decisions: photo possession, need-to-know, four eyes, substitute reviewers."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from server import bulk
from server.cli import make_user
from server.extensions import db
from server.models import Team
from tests.conftest import PASSWORD, Api, login
from tests.samples import minor_accident


def jpeg(label: str) -> bytes:
    return b"\xff\xd8\xff\xe0" + f"wijkpost-{label}".encode() * 8


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def photo_set(digest: str, item: str = "f1") -> dict[str, Any]:
    return {f"photos[{item}]": {"photo": {"sha256": digest, "content_type": "image/jpeg"}}}


def upload(api: Api, data: bytes) -> Any:
    return api.put(f"/api/attachments/{sha(data)}", data=data, content_type="image/jpeg")


def new_id() -> str:
    return str(uuid.uuid4())


def create(api: Api, fields: dict[str, Any] | None = None) -> str:
    record_id = new_id()
    [result] = api.push(api.op(record_id, fields or {"street": "Dorpsstraat"}))
    assert result["status"] == "applied", result
    return record_id


def submitted(api: Api) -> str:
    return create(api, {**minor_accident(), "status": "submitted"})


def extra_user(client: FlaskClient, username: str, role: str, team: str | None) -> Api:
    make_user(username, role, PASSWORD, team)
    db.session.commit()
    return login(client, username)


def team_id(name: str) -> int:
    return db.session.execute(select(Team.id).where(Team.name == name)).scalar_one()


# -- photo possession ----------------------------------------------------------------------


def test_photo_of_another_team_cannot_be_linked_or_read_by_its_hash(agent1: Api,
                                                                    agent3: Api) -> None:
    data = jpeg("centrum")
    assert upload(agent1, data).status_code == 201
    create(agent1, {"street": "x", **photo_set(sha(data))})
    absent = sha(b"nobody uploaded these bytes")

    # Noord links Centrum's photo by its hash: refused exactly as an absent photo.
    [stolen] = agent3.push(agent3.op(new_id(), {"street": "y", **photo_set(sha(data))}))
    [missing] = agent3.push(agent3.op(new_id(), {"street": "y", **photo_set(absent)}))
    assert stolen["status"] == missing["status"] == "rejected"
    assert stolen["reason"] == missing["reason"] == "missing_attachment"
    assert stolen["errors"] == {"missing_attachment": [sha(data)]}
    assert missing["errors"] == {"missing_attachment": [absent]}

    held = agent3.get(f"/api/attachments/{sha(data)}")
    nothing = agent3.get(f"/api/attachments/{absent}")
    assert held.status_code == nothing.status_code == 404
    assert held.get_json() == nothing.get_json()


def test_a_teammate_without_a_linking_registration_has_no_right(agent1: Api,
                                                                agent2: Api) -> None:
    # Uploaded but not linked yet: only the uploader holds it.
    data = jpeg("unlinked")
    upload(agent1, data)
    assert agent1.get(f"/api/attachments/{sha(data)}").data == data
    assert agent2.get(f"/api/attachments/{sha(data)}").status_code == 404
    [result] = agent2.push(agent2.op(new_id(), photo_set(sha(data))))
    assert result["reason"] == "missing_attachment"
    # Once a registration of the team links it, every reader of that registration may.
    create(agent1, photo_set(sha(data)))
    assert agent2.get(f"/api/attachments/{sha(data)}").data == data
    [linked] = agent2.push(agent2.op(new_id(), photo_set(sha(data))))
    assert linked["status"] == "applied"


def test_uploading_bytes_someone_else_holds_answers_as_a_first_upload(agent1: Api,
                                                                      agent3: Api) -> None:
    data = jpeg("shared")
    first = upload(agent1, data)
    assert first.status_code == 201
    create(agent1, photo_set(sha(data)))

    # Noord has the same bytes (possession): the same answer as a first upload...
    theirs = upload(agent3, data)
    assert (theirs.status_code, theirs.get_json()) == (first.status_code, first.get_json())
    # ...and the right that comes with it, to read and to link.
    assert agent3.get(f"/api/attachments/{sha(data)}").data == data
    [linked] = agent3.push(agent3.op(new_id(), photo_set(sha(data))))
    assert linked["status"] == "applied"
    # Only one's own repeat answers 200.
    for api in (agent1, agent3):
        again = upload(api, data)
        assert again.status_code == 200 and again.get_json() == first.get_json()


def test_a_repeated_upload_restores_a_lost_file(app: Flask, agent1: Api) -> None:
    data = jpeg("lost")
    upload(agent1, data)
    path = os.path.join(app.config["ATTACHMENT_DIR"], sha(data)[:2], sha(data))
    os.remove(path)
    assert upload(agent1, data).status_code == 200
    assert agent1.get(f"/api/attachments/{sha(data)}").data == data


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    """Every statement the request sends, through SQLAlchemy or straight to the driver."""
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    real_cursor = bulk._cursor

    def counting_cursor() -> Any:
        seen.append("bulk")
        return real_cursor()

    event.listen(db.engine, "before_cursor_execute", on_execute)
    bulk._cursor = counting_cursor  # type: ignore[assignment]
    try:
        yield seen
    finally:
        bulk._cursor = real_cursor  # type: ignore[assignment]
        event.remove(db.engine, "before_cursor_execute", on_execute)


def test_the_right_check_costs_the_same_for_one_photo_or_many(agent1: Api) -> None:
    photos = [jpeg(f"batch-{i}") for i in range(12)]
    for data in photos:
        upload(agent1, data)
    create(agent1)  # the first change ever also creates the sequence counter
    with counted_statements() as one:
        agent1.push(agent1.op(new_id(), photo_set(sha(photos[0]))))
    with counted_statements() as many:
        results = agent1.push(*(agent1.op(new_id(), photo_set(sha(d))) for d in photos[1:]))
    assert {r["status"] for r in results} == {"applied"}
    assert len(many) == len(one)


def test_resolving_with_a_new_photo_needs_a_right_to_it(agent1: Api, agent2: Api,
                                                        agent3: Api, leider: Api) -> None:
    mine, theirs, foreign = jpeg("sketch-1"), jpeg("sketch-2"), jpeg("sketch-noord")
    upload(agent1, mine)
    upload(agent2, theirs)
    upload(agent3, foreign)
    sketch = {"sketch": {"sha256": sha(mine), "content_type": "image/jpeg"}}
    rid = create(agent1, sketch)
    agent2.push(agent2.op(rid, {"sketch": {"sha256": sha(theirs),
                                           "content_type": "image/jpeg"}}, base_rev=1))
    upload(agent1, jpeg("other"))
    [result] = agent1.push(agent1.op(rid, {"sketch": {"sha256": sha(jpeg("other")),
                                                      "content_type": "image/jpeg"}},
                                     base_rev=1))
    assert result["status"] == "conflict"
    body = leider.get(f"/api/registrations/{rid}").get_json()
    url = f"/api/registrations/{rid}/conflicts/{body['conflicts'][0]['id']}/resolve"

    refused = leider.post(url, json={"value": {"sha256": sha(foreign),
                                               "content_type": "image/jpeg"},
                                     "rev": body["rev"]})
    assert refused.status_code == 422
    assert refused.get_json()["error"] == "missing_attachment"
    assert refused.get_json()["errors"] == {"missing_attachment": [sha(foreign)]}

    own = jpeg("leider-sketch")
    upload(leider, own)
    taken = leider.post(url, json={"value": {"sha256": sha(own), "content_type": "image/jpeg"},
                                   "rev": body["rev"]})
    assert taken.status_code == 200, taken.get_json()
    # the chosen photo is linked: the team can see what the record now shows
    assert agent2.get(f"/api/attachments/{sha(own)}").data == own


def test_a_photo_in_an_amendment_is_readable_by_the_teamleider(agent1: Api, agent2: Api,
                                                                leider: Api) -> None:
    rid = submitted(agent1)
    assert leider.post(f"/api/registrations/{rid}/review",
                       json={"decision": "approve", "comment": "", "rev": 1}).status_code == 200
    data = jpeg("later")
    upload(agent2, data)
    [result] = agent2.push(agent2.op(rid, photo_set(sha(data), "later"), base_rev=2))
    assert result["status"] == "rejected" and result["amendment"]
    # the team leader deciding on the amendment sees the photo it adds
    assert leider.get(f"/api/attachments/{sha(data)}").data == data


# -- need-to-know --------------------------------------------------------------------------


def test_a_beheerder_reads_no_registration_content(agent1: Api, agent2: Api,
                                                   beheerder: Api) -> None:
    data = jpeg("beheer")
    upload(agent1, data)
    rid = create(agent1, {"street": "x", **photo_set(sha(data))})
    agent2.push(agent2.op(rid, {"street": "Markt"}, base_rev=1))
    [conflict] = agent1.push(agent1.op(rid, {"street": "Plein"}, base_rev=1))
    cid = conflict["conflicts"][0]
    refused = {
        "list": beheerder.get("/api/registrations"),
        "detail": beheerder.get(f"/api/registrations/{rid}"),
        "pull": beheerder.get("/api/sync/pull"),
        "photo": beheerder.get(f"/api/attachments/{sha(data)}"),
        "review": beheerder.post(f"/api/registrations/{rid}/review",
                                 json={"decision": "return", "comment": "x", "rev": 3}),
        "resolve": beheerder.post(f"/api/registrations/{rid}/conflicts/{cid}/resolve",
                                  json={"value": "Markt", "rev": 3}),
    }
    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 403)
    for response in refused.values():
        assert response.get_json()["error"] == "forbidden"
        assert "Markt" not in response.get_data(as_text=True)
    # the admin's own work goes on
    assert beheerder.get("/api/devices").status_code == 200
    assert beheerder.get("/api/teams").status_code == 200


# -- four eyes -----------------------------------------------------------------------------


def test_a_teamleider_does_not_approve_their_own_registration(client: FlaskClient,
                                                              leider: Api) -> None:
    other = extra_user(client, "leider2", "teamleider", "Centrum")
    rid = submitted(leider)
    own = leider.post(f"/api/registrations/{rid}/review",
                      json={"decision": "approve", "comment": "", "rev": 1})
    assert own.status_code == 403
    assert own.get_json()["error"] == "own_registration"
    assert "eigen registratie" in own.get_json()["message"]
    assert leider.get(f"/api/registrations/{rid}").get_json()["status"] == "submitted"

    # Returning is no approval: the author may send their own registration back.
    back = leider.post(f"/api/registrations/{rid}/review",
                       json={"decision": "return", "comment": "Nog aanvullen", "rev": 1})
    assert back.status_code == 200 and back.get_json()["status"] == "returned"
    [again] = leider.push(leider.op(rid, {"status": "submitted"}, base_rev=2))
    assert again["status"] == "applied"

    approved = other.post(f"/api/registrations/{rid}/review",
                          json={"decision": "approve", "comment": "", "rev": 3})
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"


# -- substitute reviewer -------------------------------------------------------------------


def test_a_beheerder_names_and_removes_a_substitute_reviewer(client: FlaskClient,
                                                             agent1: Api, agent3: Api,
                                                             leider: Api,
                                                             beheerder: Api) -> None:
    noord_leider = extra_user(client, "leider-noord", "teamleider", "Noord")
    centrum, noord = team_id("Centrum"), team_id("Noord")
    leider_id = leider.login["user"]["id"]

    teams = {t["name"]: t for t in beheerder.get("/api/teams").get_json()["teams"]}
    assert [u["username"] for u in teams["Centrum"]["leaders"]] == ["leider1"]
    assert [u["username"] for u in teams["Noord"]["leaders"]] == ["leider-noord"]
    assert teams["Noord"]["substitute"] is None

    url = f"/api/teams/{noord}/substitute"
    for user_id, error in ((agent1.login["user"]["id"], "not_teamleider"),
                           (noord_leider.login["user"]["id"], "same_team"),
                           (beheerder.login["user"]["id"], "not_teamleider"),
                           (999_999, "not_teamleider")):
        response = beheerder.put(url, json={"user_id": user_id})
        assert response.status_code == 422, (user_id, response.get_json())
        assert response.get_json()["error"] == error
        assert response.get_json()["errors"]["user_id"]
    assert leider.put(url, json={"user_id": leider_id}).status_code == 403
    assert beheerder.put("/api/teams/999999/substitute",
                         json={"user_id": leider_id}).status_code == 404
    for bad in ({}, {"user_id": "leider1"}, {"user_id": leider_id, "extra": 1},
                {"user_id": 2**40}, {"user_id": 0}):
        assert beheerder.put(url, json=bad).status_code == 422, bad
    assert beheerder.put(f"/api/teams/{10**20}/substitute",
                         json={"user_id": leider_id}).status_code == 404

    named = beheerder.put(url, json={"user_id": leider_id})
    assert named.status_code == 200, named.get_json()
    assert named.get_json()["substitute"]["username"] == "leider1"
    assert named.get_json()["substitute"]["team"] == {"id": centrum, "name": "Centrum"}
    listed = {t["name"]: t for t in beheerder.get("/api/teams").get_json()["teams"]}
    assert listed["Noord"]["substitute"]["id"] == leider_id

    # The substitute reads, sees the photos of, reviews and resolves Noord's registrations.
    data = jpeg("noord-foto")
    upload(agent3, data)
    rid = create(agent3, {**minor_accident(), **photo_set(sha(data)), "status": "submitted"})
    conflicted = create(agent3)
    second = login(client, "agent3", "tweede telefoon")
    second.push(second.op(conflicted, {"street": "Markt"}, base_rev=1))
    [clash] = agent3.push(agent3.op(conflicted, {"street": "Plein"}, base_rev=1))
    assert clash["status"] == "conflict"

    own = create(leider)
    assert {r["id"] for r in leider.get("/api/registrations").get_json()["items"]} == {
        rid, conflicted, own}
    by_team = {team: {r["id"] for r in leider.get(f"/api/registrations?team={team}")
                      .get_json()["items"]} for team in (centrum, noord)}
    assert by_team == {centrum: {own}, noord: {rid, conflicted}}
    assert leider.get(f"/api/registrations/{rid}").status_code == 200
    assert leider.get(f"/api/attachments/{sha(data)}").data == data
    # pull stays the own team: the substitute works online
    assert [c["id"] for c in leider.pull_all()["changes"]] == [own]
    resolve_url = f"/api/registrations/{conflicted}/conflicts/{clash['conflicts'][0]}/resolve"
    resolved = leider.post(resolve_url, json={"value": "Markt", "rev": 3})
    assert resolved.status_code == 200, resolved.get_json()
    approved = leider.post(f"/api/registrations/{rid}/review",
                           json={"decision": "approve", "comment": "", "rev": 1})
    assert approved.status_code == 200, approved.get_json()

    # Removed: the access is gone at once, as for any other team's leader.
    cleared = beheerder.put(url, json={"user_id": None})
    assert cleared.status_code == 200 and cleared.get_json()["substitute"] is None
    assert [r["id"] for r in leider.get("/api/registrations").get_json()["items"]] == [own]
    assert leider.get(f"/api/registrations?team={noord}").get_json()["items"] == []
    assert leider.get(f"/api/registrations/{rid}").status_code == 404
    assert leider.get(f"/api/attachments/{sha(data)}").status_code == 404
    assert leider.post(f"/api/registrations/{rid}/review",
                       json={"decision": "return", "comment": "x", "rev": 2}
                       ).status_code == 404
