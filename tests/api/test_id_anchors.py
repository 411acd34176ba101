"""Ids with a trailing newline are refused where they enter, not stored under a name no
later request can reach."""

from __future__ import annotations

import base64
import json
import uuid

from flask.testing import FlaskClient

from server.extensions import db
from server.models import Registration
from tests.conftest import Api

JPEG = b"\xff\xd8\xff\xe0" + b"wijkpost-id-anchor" * 10


def test_record_id_with_trailing_newline_is_rejected_per_op(agent1: Api) -> None:
    rid = str(uuid.uuid4())
    results = agent1.push(agent1.op(rid + "\n", {"street": "Dorpsstraat"}),
                          agent1.op(rid, {"street": "Markt"}))
    assert results[0]["status"] == "rejected" and "record_id" in results[0]["errors"]
    assert results[1]["status"] == "applied"
    assert [r.id for r in db.session.query(Registration)] == [rid]
    items = agent1.get("/api/registrations").get_json()["items"]
    assert [i["id"] for i in items] == [rid]


def test_op_id_and_hlc_with_trailing_newline_are_rejected(agent1: Api) -> None:
    op = agent1.op(str(uuid.uuid4()), {"street": "Dorpsstraat"})
    [result] = agent1.push({**op, "op_id": str(uuid.uuid4()) + "\n"})
    assert result["status"] == "rejected" and "op_id" in result["errors"]
    [result] = agent1.push({**op, "hlc": op["hlc"] + "\n"})
    assert result["status"] == "rejected" and "hlc" in result["errors"]
    assert db.session.query(Registration).count() == 0


def test_item_key_with_trailing_newline_is_rejected(agent1: Api) -> None:
    op = agent1.op(str(uuid.uuid4()), {"parties[p1]\n": {"object_type": "1"}})
    [result] = agent1.push(op)
    assert result["status"] == "rejected"
    assert db.session.query(Registration).count() == 0


def test_attachment_hash_with_trailing_newline_is_400(agent1: Api) -> None:
    import hashlib

    sha = hashlib.sha256(JPEG).hexdigest()
    response = agent1.put(f"/api/attachments/{sha}%0A", data=JPEG, content_type="image/jpeg")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_hash"
    assert agent1.get(f"/api/attachments/{sha}%0A").status_code == 400


def test_list_cursor_with_trailing_newline_is_400(agent1: Api, client: FlaskClient) -> None:
    raw = json.dumps(["2026-11-24T09:30:00+00:00", str(uuid.uuid4()) + "\n"]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode()
    response = agent1.get(f"/api/registrations?cursor={cursor}")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_cursor"
