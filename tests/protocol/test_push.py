"""PROTOCOL.md §4 (push): every result status, every rejection reason, the envelope's 4xx."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from tests.protocol.client import Device, new_id
from tests.protocol.helpers import SUBMITTABLE, assert_error

Devices = Callable[..., Device]
JPEG = b"\xff\xd8\xff\xe0" + b"conformance-photo" * 20


def _create(device: Device, set_: dict | None = None) -> str:
    rid = new_id()
    [result] = device.push(device.op(rid, set_ or {"street": "Dorpsstraat"}))
    assert result["status"] == "applied", result
    assert result["rev"] == 1 and "record" not in result
    return rid


def test_applied_then_duplicate(devices: Devices) -> None:
    phone = devices("agent1")
    op = phone.op(new_id(), {"street": "Dorpsstraat"})
    [first] = phone.push(op)
    [again] = phone.push(op)
    assert first["status"] == "applied" and first["rev"] == 1
    assert again["status"] == "duplicate" and again["first_status"] == "applied"
    assert again["rev"] == 1 and "record" not in again


def test_merged_carries_the_full_record(devices: Devices) -> None:
    phone, colleague = devices("agent1"), devices("agent2")
    rid = _create(phone)
    colleague.pull()
    [theirs] = colleague.push(colleague.op(rid, {"narrative": "van de collega"}))
    [mine] = phone.push(phone.op(rid, {"street": "Markt"}, base_rev=1))
    assert theirs["status"] == "applied"
    assert mine["status"] == "merged"
    record = mine["record"]
    assert record["rev"] == mine["rev"] == 3
    assert record["data"]["street"] == "Markt"
    assert record["data"]["narrative"] == "van de collega"


def test_conflict_lists_every_value_one_per_device(devices: Devices) -> None:
    phone, colleague = devices("agent1"), devices("agent2")
    rid = _create(phone)
    colleague.push(colleague.op(rid, {"street": "Markt"}, base_rev=1))
    [first] = phone.push(phone.op(rid, {"street": "Plein"}, base_rev=1))
    assert first["status"] == "conflict" and len(first["conflicts"]) == 1
    [conflict] = first["record"]["conflicts"]
    assert set(conflict) >= {"id", "field", "values", "status", "opened_at"}
    assert conflict["field"] == "street" and conflict["status"] == "open"
    for value in conflict["values"]:
        assert set(value) >= {"value", "author", "device", "hlc"}
    assert {v["value"] for v in conflict["values"]} == {"Markt", "Plein"}
    # the same device, still on base 1, sets the field again: its newer value takes the
    # place of its older one (one value per device in an open conflict)
    [second] = phone.push(phone.op(rid, {"street": "Plein 2"}, base_rev=1))
    assert second["status"] == "conflict"
    [conflict] = second["record"]["conflicts"]
    assert sorted(v["value"] for v in conflict["values"]) == ["Markt", "Plein 2"]
    assert len({v["device"] for v in conflict["values"]}) == 2


def test_item_fields_conflict_per_sub_field(devices: Devices) -> None:
    phone, colleague = devices("agent1"), devices("agent2")
    rid = _create(phone, {"parties[p1]": {"object_type": "1"}})
    colleague.push(colleague.op(rid, {"parties[p1]": {"licence_plate": "AB-123-C"}},
                                base_rev=1))
    [other_field] = phone.push(phone.op(rid, {"parties[p1]": {"injury": "none"}}, base_rev=1))
    assert other_field["status"] == "merged"
    colleague.push(colleague.op(rid, {"parties[p1]": {"injury": "slight"}}, base_rev=1))
    [clash] = phone.push(phone.op(rid, {"parties[p1]": {"licence_plate": "XY-987-Z"}},
                                  base_rev=1))
    assert clash["status"] == "conflict"
    fields = {c["field"] for c in clash["record"]["conflicts"]}
    assert "parties[p1].licence_plate" in fields


def test_rejected_invalid_value_keeps_the_batch_going(devices: Devices) -> None:
    phone = devices("agent1")
    rid = new_id()
    results = phone.push(phone.op(rid, {"street": "Dorpsstraat"}),
                         phone.op(rid, {"outcome": "NIET-BESTAAND"}, base_rev=0),
                         phone.op(rid, {"narrative": "verder"}, base_rev=0))
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert "outcome" in results[1]["errors"]
    assert results[1]["rev"] == 1  # the record's rev when a field is refused


def test_op_envelope_rules(devices: Devices) -> None:
    phone = devices("agent1")
    good = phone.op(new_id(), {"street": "Dorpsstraat"})
    cases = {
        "op_id": {**good, "op_id": "not-a-uuid"},
        "record_id": {**phone.op("abc", {"street": "x"})},
        "base_rev": {**phone.op(new_id(), {"street": "x"}), "base_rev": -1},
        "hlc": {**phone.op(new_id(), {"street": "x"}), "hlc": "gisteren"},
        "type": {**phone.op(new_id(), {"street": "x"}), "type": "brand"},
    }
    reply = phone.push_raw(list(cases.values()))
    assert reply.status == 200
    for (key, _), result in zip(cases.items(), reply.body["results"], strict=True):
        assert result["status"] == "rejected", (key, result)
        assert key in result["errors"], (key, result)
        assert result["rev"] == 0
    # an id with a trailing newline is not the id
    newline = phone.push_raw([{**phone.op(new_id() + "\n", {"street": "x"})}])
    assert newline.body["results"][0]["status"] == "rejected"


def test_not_found_for_another_team_and_for_nothing(devices: Devices) -> None:
    phone, elsewhere = devices("agent1"), devices("agent3")
    rid = _create(phone)
    [foreign] = elsewhere.push(elsewhere.op(rid, {"street": "Kerkstraat"}, base_rev=1))
    [absent] = elsewhere.push(elsewhere.op(new_id(), {"street": "Kerkstraat"}, base_rev=4))
    for result in (foreign, absent):
        assert result["status"] == "rejected" and result["reason"] == "not_found"
        assert result["errors"] == {"record_id": ["not_found"]}


def test_missing_attachment_then_upload_then_the_same_op(devices: Devices) -> None:
    phone = devices("agent1")
    sha = hashlib.sha256(JPEG + phone.device_id.encode()).hexdigest()
    body = JPEG + phone.device_id.encode()
    op = phone.op(new_id(), {"photos[f1]": {"photo": {"sha256": sha,
                                                      "content_type": "image/jpeg"}}})
    [missing] = phone.push(op)
    assert missing["status"] == "rejected" and missing["reason"] == "missing_attachment"
    assert missing["errors"]["missing_attachment"] == [sha]
    put = phone.call("PUT", f"/api/attachments/{sha}", raw=body, content_type="image/jpeg")
    assert put.status == 201
    [applied] = phone.push(op)  # not remembered: the same op_id goes again
    assert applied["status"] == "applied"


def test_status_transitions_and_the_same_status_again(devices: Devices) -> None:
    phone = devices("agent1")
    rid = new_id()
    [draft] = phone.push(phone.op(rid, {"street": "Dorpsstraat"}))
    [incomplete] = phone.push(phone.op(rid, {"status": "submitted"}, base_rev=0))
    assert incomplete["status"] == "rejected" and "outcome" in incomplete["errors"]
    [submitted] = phone.push(phone.op(rid, {**SUBMITTABLE, "status": "submitted"}, base_rev=0))
    assert submitted["status"] == "applied" and submitted["rev"] == 2
    [again] = phone.push(phone.op(rid, {"status": "submitted"}, base_rev=0))
    assert again["status"] == "applied" and again["rev"] == 2  # changes nothing
    [no_reason] = phone.push(phone.op(rid, {"status": "withdrawn"}, base_rev=0))
    assert no_reason["status"] == "rejected" and "withdraw_reason" in no_reason["errors"]
    [withdrawn] = phone.push(phone.op(rid, {"status": "withdrawn",
                                            "withdraw_reason": "dubbel"}, base_rev=0))
    assert withdrawn["status"] == "applied" and withdrawn["rev"] == 3
    [twice] = phone.push(phone.op(rid, {"status": "withdrawn"}, base_rev=0))
    assert twice["status"] == "applied" and twice["rev"] == 3
    # an edit of a withdrawn record is refused and changes nothing
    [edit] = phone.push(phone.op(rid, {"street": "Markt"}, base_rev=0))
    assert edit["status"] == "rejected" and edit["rev"] == 3 and "amendment" not in edit
    assert draft["rev"] == 1
    for forbidden in ("approved", "returned", "draft"):
        [result] = phone.push(phone.op(new_id(), {"status": forbidden}))
        assert result["status"] == "rejected" and "status" in result["errors"]


def test_an_edit_of_an_approved_record_is_kept_as_an_amendment(devices: Devices) -> None:
    phone, leader = devices("agent1"), devices("leider1")
    rid = new_id()
    phone.push(phone.op(rid, {**SUBMITTABLE, "status": "submitted"}))
    reviewed = leader.call("POST", f"/api/registrations/{rid}/review",
                           {"decision": "approve", "comment": "", "rev": 1})
    assert reviewed.status == 200 and reviewed.body["status"] == "approved"
    [late] = phone.push(phone.op(rid, {"narrative": "nog iets gezien"}, base_rev=1))
    assert late["status"] == "rejected" and isinstance(late.get("amendment"), str)
    [again] = phone.push({**phone.op(rid, {"x": 1}), "op_id": late["op_id"]})
    assert again["status"] == "duplicate" and again["first_status"] == "rejected"
    detail = leader.call("GET", f"/api/registrations/{rid}").body
    assert any(a["id"] == late["amendment"] for a in detail["amendments"])


def test_envelope_errors(devices: Devices) -> None:
    phone = devices("agent1")
    assert_error(phone.push_raw([], schema_version=2), 400, "schema_version")
    assert_error(phone.push_raw([], device_id=new_id()), 400, "device_mismatch")
    too_many = [phone.op(new_id(), {"street": "x"}) for _ in range(501)]
    assert_error(phone.push_raw(too_many), 413, "too_many_ops")
    assert_error(phone.call("POST", "/api/sync/push", {"ops": "geen lijst"}), 422)
    no_version = phone.call("POST", "/api/sync/push", {"ops": []})
    assert no_version.status == 200 and no_version.body["results"] == []
    admin = devices("beheer1")
    assert_error(admin.push_raw([]), 403)
