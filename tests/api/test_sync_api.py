"""Push and pull over HTTP: every result status, access rules, bad input, paging."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server import changes
from server.extensions import db
from server.models import AuditEntry, Registration, User
from tests.conftest import Api, login
from tests.samples import minor_accident

JPEG = b"\xff\xd8\xff\xe0" + b"wijkpost-test-photo" * 10


def new_id() -> str:
    return str(uuid.uuid4())


def create(api: Api, **fields: Any) -> str:
    record_id = new_id()
    [result] = api.push(api.op(record_id, fields or {"street": "Dorpsstraat"}))
    assert result["status"] == "applied", result
    return record_id


def test_applied_then_duplicate_on_retry(agent1: Api) -> None:
    op = agent1.op(new_id(), {"street": "Dorpsstraat"})
    [first] = agent1.push(op)
    [again] = agent1.push(op)
    assert first["status"] == "applied" and first["rev"] == 1
    assert again["status"] == "duplicate" and again["first_status"] == "applied"
    assert db.session.execute(select(func.count()).select_from(Registration)).scalar() == 1


def test_duplicate_within_one_batch(agent1: Api) -> None:
    op = agent1.op(new_id(), {"street": "Dorpsstraat"})
    results = agent1.push(op, op)
    assert [r["status"] for r in results] == ["applied", "duplicate"]


def test_merged_carries_full_record(agent1: Api, agent2: Api) -> None:
    rid = create(agent1)
    [r1] = agent2.push(agent2.op(rid, {"narrative": "eerste"}, base_rev=1))
    [r2] = agent1.push(agent1.op(rid, {"street": "Markt"}, base_rev=1))
    assert r1["status"] == "applied" and r2["status"] == "merged"
    assert r2["record"]["data"] == {"street": "Markt", "narrative": "eerste"}
    assert r2["record"]["rev"] == 3


def test_conflict_is_stored_and_readable(agent1: Api, agent2: Api, leider: Api) -> None:
    rid = create(agent1)
    agent2.push(agent2.op(rid, {"street": "Markt"}, base_rev=1))
    [result] = agent1.push(agent1.op(rid, {"street": "Plein"}, base_rev=1))
    assert result["status"] == "conflict" and len(result["conflicts"]) == 1
    body = leider.get(f"/api/registrations/{rid}").get_json()
    [conflict] = body["conflicts"]
    assert {v["value"] for v in conflict["values"]} == {"Markt", "Plein"}
    assert {v["author"] for v in conflict["values"]} == {"agent1", "agent2"}
    assert [h["rev"] for h in body["history"]] == [1, 2, 3]
    # the team leader resolves it on the current rev; a stale rev gets 409
    url = f"/api/registrations/{rid}/conflicts/{conflict['id']}/resolve"
    assert leider.post(url, json={"value": "Markt", "rev": 1}).status_code == 409
    resolved = leider.post(url, json={"value": "Markt", "rev": 3}).get_json()
    assert resolved["data"]["street"] == "Markt"
    assert resolved["conflicts"][0]["status"] == "resolved"


def test_rejected_invalid_value_does_not_stop_the_batch(agent1: Api) -> None:
    rid = new_id()
    results = agent1.push(
        agent1.op(rid, {"street": "Dorpsstraat"}),
        agent1.op(rid, {"outcome": "NIET-BESTAAND"}, base_rev=0),
        agent1.op(rid, {"narrative": "verder"}, base_rev=0),
    )
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert "outcome" in results[1]["errors"]
    row = db.session.get(Registration, rid)
    assert row.data == {"street": "Dorpsstraat", "narrative": "verder"} and row.rev == 2


def test_bad_envelopes_are_rejected_per_op(agent1: Api) -> None:
    good = agent1.op(new_id(), {"street": "x"})
    bad = [
        "geen object",
        {**agent1.op(new_id(), {"street": "x"}), "extra": 1},
        {**agent1.op(new_id(), {"street": "x"}), "type": "xyz"},
        {**agent1.op(new_id(), {"street": "x"}), "base_rev": "1"},
        {**agent1.op(new_id(), {"street": "x"}), "base_rev": True},
        {**agent1.op(new_id(), {"street": "x"}), "record_id": "1; drop table"},
        {**agent1.op(new_id(), {"street": "x"}), "hlc": "morgen"},
        {**agent1.op(new_id(), {"street": "x"}), "hlc": "1-0-ander-apparaat"},
        {**agent1.op(new_id(), {"street": "x"}), "set": ["x"]},
        agent1.op(new_id(), {"onbekend_veld": "x"}),
        agent1.op(new_id(), {"team": 2}),
        agent1.op(new_id(), {"parties": [{"id": "a"}]}),
    ]
    results = agent1.push(good, *bad)
    assert results[0]["status"] == "applied"
    assert all(r["status"] == "rejected" and r["errors"] for r in results[1:]), results


def test_malformed_bodies_get_clear_4xx(agent1: Api) -> None:
    h = {**agent1.headers(), "Content-Type": "application/json"}
    client = agent1.client
    assert client.post("/api/sync/push", data="{niet json", headers=h).status_code == 400
    assert client.post("/api/sync/push", json=[1, 2], headers=agent1.headers()).status_code == 400
    response = client.post("/api/sync/push", json={"ops": "x"}, headers=agent1.headers())
    assert response.status_code == 422 and "ops" in response.get_json()["errors"]
    response = agent1.post("/api/sync/push", json={"device_id": "ander", "ops": []})
    assert response.status_code == 400
    response = agent1.post("/api/sync/push", json={"ops": [], "schema_version": 99})
    assert response.status_code == 400 and response.get_json()["error"] == "schema_version"
    assert agent1.get("/api/sync/pull?limit=0").status_code == 422
    assert agent1.get("/api/sync/pull?since=abc").status_code == 400


def test_base_rev_from_the_future_is_rejected(agent1: Api) -> None:
    rid = create(agent1)
    [result] = agent1.push(agent1.op(rid, {"street": "x"}, base_rev=5))
    assert result["status"] == "rejected" and "base_rev" in result["errors"]


def test_other_team_cannot_push_to_or_read_a_record(agent1: Api, agent3: Api) -> None:
    rid = create(agent1)
    [result] = agent3.push(agent3.op(rid, {"street": "overgenomen"}, base_rev=1))
    assert result["status"] == "rejected" and result["reason"] == "not_found"
    [unknown] = agent3.push(agent3.op(new_id(), {"street": "x"}, base_rev=3))
    assert unknown["errors"] == result["errors"]  # same answer whether it exists or not
    assert agent3.get(f"/api/registrations/{rid}").status_code == 404
    assert agent3.pull_all()["changes"] == []
    assert db.session.get(Registration, rid).data == {"street": "Dorpsstraat"}


def test_team_member_pulls_and_reads_the_teams_records(agent1: Api, agent2: Api) -> None:
    rid = create(agent1)
    pulled = agent2.pull_all()["changes"]
    assert [(c["id"], c["op"], c["rev"]) for c in pulled] == [(rid, "upsert", 1)]
    assert pulled[0]["record"]["created_by"] == "agent1"
    assert "history" not in pulled[0]["record"]


def test_partial_draft_syncs_and_submit_checks_required_fields(agent1: Api) -> None:
    rid = create(agent1)
    [result] = agent1.push(agent1.op(rid, {"status": "submitted"}, base_rev=1))
    assert result["status"] == "rejected"
    assert {"outcome", "occurred_at", "narrative"} <= set(result["errors"])
    assert db.session.get(Registration, rid).status == "draft"


def submit_and_approve(agent: Api, leider: Api) -> str:
    rid = new_id()
    [r1] = agent.push(agent.op(rid, {**minor_accident(), "status": "submitted"}))
    assert r1["status"] == "applied", r1
    response = leider.post(f"/api/registrations/{rid}/review",
                           json={"decision": "approve", "comment": "", "rev": 1})
    assert response.status_code == 200, response.get_json()
    return rid


def test_submitted_record_gets_rd_coordinates(agent1: Api, leider: Api) -> None:
    rid = submit_and_approve(agent1, leider)
    location = leider.get(f"/api/registrations/{rid}").get_json()["location"]
    # Utrecht Domtoren area: RD about (136 000, 456 000)
    assert 135_000 < location["rd_x"] < 137_500 and 455_000 < location["rd_y"] < 457_500


def test_edit_of_approved_record_is_kept_as_amendment(agent1: Api, leider: Api) -> None:
    rid = submit_and_approve(agent1, leider)
    [result] = agent1.push(agent1.op(rid, {"narrative": "Later aangevuld"}, base_rev=2))
    assert result["status"] == "rejected" and result["amendment"]
    body = agent1.get(f"/api/registrations/{rid}").get_json()
    assert body["status"] == "approved"
    assert body["data"]["narrative"] == "Kop-staartbotsing bij het stoplicht."
    assert body["amendments"][0]["set"] == {"narrative": "Later aangevuld"}
    # the amendment reaches other devices through pull
    pulled = {c["id"]: c for c in agent1.pull_all()["changes"]}
    assert pulled[rid]["record"]["amendments"]


def test_returned_record_can_be_resubmitted(agent1: Api, leider: Api) -> None:
    rid = new_id()
    agent1.push(agent1.op(rid, {**minor_accident(), "status": "submitted"}))
    response = leider.post(f"/api/registrations/{rid}/review",
                           json={"decision": "return", "comment": "Kenteken klopt niet",
                                 "rev": 1})
    assert response.get_json()["status"] == "returned"
    record = agent1.pull_all()["changes"][0]["record"]
    assert record["review"]["comment"] == "Kenteken klopt niet"
    [result] = agent1.push(agent1.op(rid, {"status": "submitted"}, base_rev=2))
    assert result["status"] == "applied"
    assert db.session.get(Registration, rid).status == "submitted"


def test_hlc_far_in_the_future_is_clamped(agent1: Api, agent2: Api) -> None:
    rid = create(agent1)
    future = f"{9_999_999_999_999}-0-{agent2.device_id}"
    agent2.push(agent2.op(rid, {"street": "Toekomst"}, base_rev=1, hlc=future))
    # a later, honest edit of the same field from another device wins on HLC
    now_ms = int(__import__("time").time() * 1000) + 120_000
    [result] = agent1.push(agent1.op(rid, {"street": "Heden"}, base_rev=1,
                                     hlc=f"{now_ms}-0-{agent1.device_id}"))
    assert result["status"] == "conflict"
    assert result["record"]["data"]["street"] == "Heden"


def test_pull_pages_without_skipping_or_repeating(agent1: Api, agent2: Api) -> None:
    ids = [create(agent1) for _ in range(7)]
    seen: list[str] = []
    since = None
    for _ in range(3):
        body = agent2.get("/api/sync/pull?limit=3" + (f"&since={since}" if since else "")
                          ).get_json()
        seen += [c["id"] for c in body["changes"]]
        since = body["cursor"]
        # a concurrent writer changes an already pulled record between pages
        agent1.push(agent1.op(ids[0], {"narrative": f"n{len(seen)}"}, base_rev=1))
    first_page = agent2.get("/api/sync/pull?limit=3").get_json()
    assert first_page["more"] and first_page["remaining"] == 4
    rest = agent2.pull_all(since)
    seen += [c["id"] for c in rest["changes"]]
    assert set(seen) == set(ids)
    final = agent2.pull_all()["changes"]
    assert sorted(c["id"] for c in final) == sorted(ids)  # latest position only, once each
    assert {c["rev"] for c in final if c["id"] == ids[0]} == {4}


def test_team_change_resets_the_pull(agent1: Api, agent2: Api, agent3: Api,
                                     client: FlaskClient) -> None:
    rid = create(agent1)
    noord = create(agent3)
    state = agent2.pull_all()
    assert [c["id"] for c in state["changes"]] == [rid]
    user = db.session.execute(select(User).where(User.username == "agent2")).scalar_one()
    agent3_team = db.session.execute(select(User.team_id).where(User.username == "agent3")
                                     ).scalar_one()
    user.team_id = agent3_team
    db.session.commit()
    after = agent2.pull_all(state["cursor"])
    assert after["reset"] is True
    assert [c["id"] for c in after["changes"]] == [noord]
    [result] = agent2.push(agent2.op(rid, {"street": "x"}, base_rev=1))
    assert result["reason"] == "not_found"


def test_purged_record_arrives_as_removal(app: Any, agent1: Api, agent2: Api) -> None:
    rid = create(agent1)
    cursor = agent2.pull_all()["cursor"]
    app.config["RETENTION_DAYS_REGISTRATIONS"] = -1
    from server.cli import purge_expired

    assert purge_expired() == 1
    changes = agent2.pull_all(cursor)["changes"]
    assert changes == [{"entity": "registration", "id": rid, "op": "remove", "rev": None,
                        "record": None}]


def test_photo_upload_then_op_and_missing_attachment(agent1: Api, agent2: Api,
                                                     agent3: Api) -> None:
    sha = hashlib.sha256(JPEG).hexdigest()
    rid = new_id()
    photo = {"photos[f1]": {"photo": {"sha256": sha, "content_type": "image/jpeg"}}}
    op = agent1.op(rid, {"street": "x", **photo})
    [early] = agent1.push(op)
    assert early["status"] == "rejected" and early["reason"] == "missing_attachment"
    put = agent1.put(f"/api/attachments/{sha}", data=JPEG, content_type="image/jpeg")
    assert put.status_code == 201
    again = agent1.put(f"/api/attachments/{sha}", data=JPEG, content_type="image/jpeg")
    assert again.status_code == 200
    [later] = agent1.push(op)  # the same op, retried after the upload
    assert later["status"] == "applied"
    assert agent2.get(f"/api/attachments/{sha}").data == JPEG
    assert agent3.get(f"/api/attachments/{sha}").status_code == 404

    # a top-level photo field (the accident sketch) is checked the same way
    unknown = hashlib.sha256(b"nog niet geupload").hexdigest()
    [sketch] = agent1.push(agent1.op(new_id(), {"sketch": {"sha256": unknown,
                                                           "content_type": "image/png"}}))
    assert sketch["reason"] == "missing_attachment"
    assert sketch["errors"] == {"missing_attachment": [unknown]}


def test_attachment_checks(agent1: Api) -> None:
    sha = hashlib.sha256(JPEG).hexdigest()
    wrong = agent1.put(f"/api/attachments/{'0' * 64}", data=JPEG, content_type="image/jpeg")
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "hash_mismatch"
    png_claim = agent1.put(f"/api/attachments/{sha}", data=JPEG, content_type="image/png")
    assert png_claim.status_code == 415
    gif = agent1.put(f"/api/attachments/{sha}", data=JPEG, content_type="image/gif")
    assert gif.status_code == 415
    assert agent1.put("/api/attachments/XYZ", data=JPEG,
                      content_type="image/jpeg").status_code == 400


def test_attachment_size_limit(tmp_path: Any, template_db: str) -> None:
    from server.cli import make_user
    from tests.conftest import PASSWORD, make_app

    app = make_app(tmp_path, template_db, ATTACHMENT_MAX_BYTES=100)
    with app.app_context():
        make_user("agent1", "agent", PASSWORD, "Centrum")
        db.session.commit()
        api = login(app.test_client(), "agent1")
        big = b"\xff\xd8\xff" + b"x" * 200
        response = api.put(f"/api/attachments/{hashlib.sha256(big).hexdigest()}", data=big,
                           content_type="image/jpeg")
        assert response.status_code == 413
        db.session.remove()
        db.engine.dispose()


def test_reads_and_writes_are_audited_and_chain_verifies(app: Any, agent1: Api,
                                                         agent2: Api) -> None:
    rid = create(agent1)
    agent2.get(f"/api/registrations/{rid}")
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit-verify"])  # chains the pending read first
    assert ok.exit_code == 0, ok.output
    actions = db.session.execute(select(AuditEntry.action, AuditEntry.entity_ids)
                                 .order_by(AuditEntry.id)).all()
    assert ("write", f'["{rid}"]') in actions and ("read", f'["{rid}"]') in actions
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "write")
                               ).scalars().first()
    entry.detail = '{"op_id": "vervalst"}'
    db.session.commit()
    bad = runner.invoke(args=["audit-verify"])
    assert bad.exit_code == 1 and f"Eerste foute regel: {entry.id}" in bad.output


def test_audit_verify_detects_removed_row(app: Any, agent1: Api) -> None:
    create(agent1)
    create(agent1)
    first_write = db.session.execute(select(AuditEntry).where(AuditEntry.action == "write")
                                     ).scalars().first()
    db.session.delete(first_write)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 1 and str(first_write.id) in result.output


def test_item_removal_conflict_resolved_by_keeping_the_item(agent1: Api, agent2: Api,
                                                            leider: Api) -> None:
    rid = create(agent1, **{"parties[p1]": {"object_type": "1", "licence_plate": "AB"}})
    agent2.push(agent2.op(rid, {"parties[p1]": {"licence_plate": "CD"}}, base_rev=1))
    [result] = agent1.push(agent1.op(rid, {"parties[p1]": None}, base_rev=1))
    assert result["status"] == "conflict"
    body = leider.get(f"/api/registrations/{rid}").get_json()
    [conflict] = body["conflicts"]
    assert conflict["field"] == "parties[p1]"
    kept = next(v["value"] for v in conflict["values"] if v["value"] is not None)
    url = f"/api/registrations/{rid}/conflicts/{conflict['id']}/resolve"
    response = leider.post(url, json={"value": kept, "rev": body["rev"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["parties"] == [
        {"id": "p1", "object_type": "1", "licence_plate": "CD"}]


def test_oversize_requests_get_413(app: Any, agent1: Api) -> None:
    app.config["PUSH_MAX_OPS"] = 3
    ops = [agent1.op(new_id(), {"street": "x"}) for _ in range(4)]
    response = agent1.post("/api/sync/push", json={"ops": ops})
    assert response.status_code == 413 and response.get_json()["error"] == "too_many_ops"
    huge = {"ops": [agent1.op(new_id(), {"narrative": "x" * (11 * 1024 * 1024)})]}
    assert agent1.post("/api/sync/push", json=huge).status_code == 413
    assert db.session.execute(select(func.count()).select_from(Registration)).scalar() == 0


def test_text_too_long_and_control_characters_are_field_errors(agent1: Api) -> None:
    results = agent1.push(agent1.op(new_id(), {"street": "x" * 201}),
                          agent1.op(new_id(), {"narrative": "nul\u0000byte"}))
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "street" in results[0]["errors"] and "narrative" in results[1]["errors"]


def test_list_filters_and_bad_filters(agent1: Api, leider: Api) -> None:
    submitted = new_id()
    agent1.push(agent1.op(submitted, {**minor_accident(), "status": "submitted"}))
    create(agent1)
    queue = leider.get("/api/registrations?status=submitted").get_json()
    assert [r["id"] for r in queue["items"]] == [submitted]
    assert leider.get("/api/registrations?status=onzin").status_code == 422
    assert leider.get("/api/registrations?cursor=!!").status_code == 400
    page = leider.get("/api/registrations?limit=1").get_json()
    rest = leider.get(f"/api/registrations?limit=1&cursor={page['cursor']}").get_json()
    assert page["more"] and not rest["more"]
    assert page["items"][0]["id"] != rest["items"][0]["id"]


def test_unknown_api_route_is_json_404(agent1: Api) -> None:
    response = agent1.get("/api/bestaat-niet")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_seed_demo_prints_logins_once(app: Any) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert "agent1" in first.output and "wijkpost-demo" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "niets toegevoegd" in second.output


def test_remaining_count_is_capped(monkeypatch: Any, agent1: Api, agent2: Api) -> None:
    from server.sync_api import pull

    monkeypatch.setattr(pull, "REMAINING_CAP", 2)
    for _ in range(5):
        create(agent1)
    page = agent2.get("/api/sync/pull?limit=1").get_json()
    assert page["more"] and page["remaining"] == 2


def test_pull_interleaves_the_team_and_teamless_changes_in_order(
        app: Flask, agent1: Api, agent2: Api, agent3: Api) -> None:
    """A team sees its own changes and those of no team, in one order, paged exactly."""
    expected: list[str] = []
    for index in range(5):
        expected.append(create(agent1))
        teamless = f"teamless-{index}"
        changes.mark([("registration", teamless, None, True)])
        db.session.commit()
        expected.append(teamless)
        create(agent3)  # another team's: never visible to agent2
    seen: list[str] = []
    since = None
    while True:
        body = agent2.get("/api/sync/pull?limit=3" + (f"&since={since}" if since else "")
                          ).get_json()
        seen += [c["id"] for c in body["changes"]]
        assert body["remaining"] == (len(expected) - len(seen) if body["more"] else 0)
        since = body["cursor"]
        if not body["more"]:
            break
    assert seen == expected
