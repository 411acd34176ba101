"""Request bodies: one parser for all of them, refused whole with 400 or 413 when unsound."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from server.extensions import db
from server.models import Registration, Revision
from tests.conftest import PASSWORD, Api, make_app
from tests.samples import minor_accident

DEEP = b"[" * 50_000 + b"]" * 50_000
DEEP_SMALL = b"[" * 20_000 + b"]" * 20_000  # past orjson's own limit, within the 64 kB cap
LONE = b'"\\ud800"'


def raw(client: FlaskClient, url: str, body: bytes, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(url, data=body, content_type="application/json", headers=headers)


def login_body(username: bytes = b'"agent1"', password: bytes | None = None,
               device_name: bytes = b'"d"') -> bytes:
    password = password if password is not None else f'"{PASSWORD}"'.encode()
    return (b'{"username":' + username + b',"password":' + password
            + b',"device_name":' + device_name + b"}")


def assert_invalid_json(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error"] == "invalid_json" and body["message"]
    return body


def submitted(agent: Api) -> str:
    rid = str(uuid.uuid4())
    [result] = agent.push(agent.op(rid, {**minor_accident(), "status": "submitted"}))
    assert result["status"] == "applied", result
    return rid


def conflicted(agent1: Api, agent2: Api) -> tuple[str, str]:
    rid = str(uuid.uuid4())
    agent1.push(agent1.op(rid, {"street": "Dorpsstraat"}))
    agent2.push(agent2.op(rid, {"street": "Markt"}, base_rev=1))
    [result] = agent1.push(agent1.op(rid, {"street": "Plein"}, base_rev=1))
    assert result["status"] == "conflict"
    return rid, agent1.get(f"/api/registrations/{rid}").get_json()["conflicts"][0]["id"]


def test_lone_surrogate_in_login_is_400_whatever_the_password(tmp_path: Any,
                                                              template_db: str) -> None:
    """The rate-limit key and the login read the same parse: no bucket of its own, no oracle."""
    app = make_app(tmp_path, template_db, RATELIMIT_ENABLED=True,
                   LOGIN_RATE_PER_USER="3 per minute", LOGIN_RATE_PER_ADDRESS="100 per minute")
    from server.cli import make_user

    with app.app_context():
        make_user("agent1", "agent", PASSWORD, "Centrum")
        db.session.commit()
        client = app.test_client()
        wrong = [raw(client, "/api/auth/login", login_body(password=b'"x"')).status_code
                 for _ in range(3)]
        assert wrong == [401, 401, 401]
        right = raw(client, "/api/auth/login", login_body(device_name=LONE))
        wrong_again = raw(client, "/api/auth/login",
                          login_body(device_name=LONE, password=b'"x"'))
        assert_invalid_json(right)
        assert_invalid_json(wrong_again)
        for field in ("username", "password"):
            body = login_body(**{field: LONE})
            assert_invalid_json(raw(client, "/api/auth/login", body))
        # the user's own bucket is still the one that counts
        assert raw(client, "/api/auth/login", login_body()).status_code == 429
        db.session.remove()
        db.engine.dispose()


def test_deep_nesting_is_refused_on_login_review_and_resolve(client: FlaskClient, agent1: Api,
                                                              agent2: Api, leider: Api) -> None:
    """50,000 levels are over the body cap (413); 20,000 fit and are refused unparsed (400)."""
    rid = submitted(agent1)
    crid, conflict_id = conflicted(agent1, agent2)
    for deep, check in ((DEEP, assert_too_large), (DEEP_SMALL, assert_invalid_json)):
        check(raw(client, "/api/auth/login", login_body(username=deep)))
        review = b'{"decision":"approve","rev":1,"comment":' + deep + b"}"
        check(raw(client, f"/api/registrations/{rid}/review", review, leider.token))
        resolve = b'{"rev":3,"value":' + deep + b"}"
        url = f"/api/registrations/{crid}/conflicts/{conflict_id}/resolve"
        check(raw(client, url, resolve, leider.token))
    assert db.session.get(Registration, rid).status == "submitted"
    assert db.session.get(Registration, crid).open_conflicts == 1


def assert_too_large(response: Any) -> None:
    assert response.status_code == 413, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"] == "too_large"


def test_lone_surrogate_in_review_and_resolve_is_400(client: FlaskClient, agent1: Api,
                                                     agent2: Api, leider: Api) -> None:
    rid = submitted(agent1)
    review = b'{"decision":"return","rev":1,"comment":"klopt niet ' + LONE[1:-1] + b'"}'
    assert_invalid_json(raw(client, f"/api/registrations/{rid}/review", review, leider.token))
    crid, conflict_id = conflicted(agent1, agent2)
    url = f"/api/registrations/{crid}/conflicts/{conflict_id}/resolve"
    assert_invalid_json(raw(client, url, b'{"rev":3,"value":' + LONE + b"}", leider.token))
    assert db.session.get(Registration, rid).status == "submitted"
    assert db.session.get(Registration, crid).open_conflicts == 1


@pytest.mark.parametrize("depth", [33, 1100])
def test_nesting_past_the_bound_is_refused_even_when_orjson_could(client: FlaskClient,
                                                                  leider: Api, agent1: Api,
                                                                  depth: int) -> None:
    rid = submitted(agent1)
    value = b"[" * depth + b"]" * depth
    body = b'{"decision":"approve","rev":1,"comment":' + value + b"}"
    assert_invalid_json(raw(client, f"/api/registrations/{rid}/review", body, leider.token))


def test_nesting_within_the_bound_reaches_the_schema(client: FlaskClient, leider: Api,
                                                     agent1: Api) -> None:
    rid = submitted(agent1)
    body = b'{"decision":"approve","rev":1,"comment":' + b"[" * 30 + b"]" * 30 + b"}"
    response = raw(client, f"/api/registrations/{rid}/review", body, leider.token)
    assert response.status_code == 422 and "comment" in response.get_json()["errors"]


def test_invalid_json_is_400_not_a_field_error(client: FlaskClient, leider: Api) -> None:
    for body in (b'{"username": "agent1",', b"{'a': 1}", b'{"a": NaN}', b"\xff\xfe"):
        assert_invalid_json(raw(client, "/api/auth/login", body))
        assert_invalid_json(raw(client, "/api/sync/push", body, leider.token))


@pytest.mark.parametrize("char", ["\u0000", "\u001b", "\u0008", "\u007f", "\u001f"])
def test_control_characters_in_any_string_or_key_are_400(client: FlaskClient, leider: Api,
                                                         agent1: Api, char: str) -> None:
    rid = submitted(agent1)
    url = f"/api/registrations/{rid}/review"
    response = leider.post(url, json={"decision": "return", "rev": 1,
                                      "comment": f"klopt niet{char}[2J"})
    body = assert_invalid_json(response)
    assert "comment" in body["errors"]
    response = leider.post(url, json={"decision": "return", "rev": 1, f"x{char}": "a"})
    assert_invalid_json(response)
    response = leider.post(url, json={"decision": "return", "rev": 1,
                                      "comment": "ok", "extra": [{"deep": f"a{char}"}]})
    assert "extra.0.deep" in assert_invalid_json(response)["errors"]
    assert db.session.get(Registration, rid).status == "submitted"
    assert db.session.query(Revision).filter_by(registration_id=rid).count() == 1


def test_review_comment_keeps_newlines_and_tabs(leider: Api, agent1: Api) -> None:
    rid = submitted(agent1)
    comment = "Kenteken klopt niet.\r\n\tZie foto 2."
    response = leider.post(f"/api/registrations/{rid}/review",
                           json={"decision": "return", "rev": 1, "comment": comment})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["review"]["comment"] == comment


def test_review_schema_names_comment_for_control_characters() -> None:
    """The schema's own rule (422 naming ``comment``) for a comment that reached it."""
    from marshmallow import ValidationError

    from server.registrations.routes import ReviewSchema

    for char in ("\u0000", "\u001b", "\u007f"):
        with pytest.raises(ValidationError) as caught:
            ReviewSchema().load({"decision": "return", "rev": 1, "comment": f"a{char}b"})
        assert set(caught.value.messages) == {"comment"}
    assert ReviewSchema().load({"decision": "return", "rev": 1,
                                "comment": "a\nb\tc\r"})["comment"] == "a\nb\tc\r"


def test_push_with_lone_surrogate_or_absurd_nesting_is_refused_whole(client: FlaskClient,
                                                                     agent1: Api) -> None:
    """What orjson refuses (a lone surrogate, nesting past its 1,024 levels) is 400."""
    rid = str(uuid.uuid4())
    good = (b'{"op_id":"' + str(uuid.uuid4()).encode() + b'","record_id":"' + rid.encode()
            + b'","type":"vor","base_rev":0,"set":{"street":"Dorpsstraat"},"hlc":"'
            + agent1.hlc().encode() + b'"}')
    for bad in (b'{"op_id":"x","set":{"street":' + LONE + b"}}",
                b'{"op_id":"x","set":{"street":' + DEEP + b"}}",
                b'{"op_id":"x","set":{"street":' + b"[" * 1100 + b"]" * 1100 + b"}}"):
        body = b'{"ops":[' + good + b"," + bad + b"]}"
        assert_invalid_json(raw(client, "/api/sync/push", body, agent1.token))
    assert db.session.get(Registration, rid) is None


@pytest.mark.parametrize("where", ["street", "parties[p1]", "location", "outcome"])
def test_push_nesting_rejects_only_its_op(agent1: Api, where: str) -> None:
    """Below orjson's bound a deep value is a bad value like any other: its op is rejected
    and the rest of the outbox goes through."""
    deep: object = []
    for _ in range(200):
        deep = [deep, {"a": deep}] if len(str(deep)) < 1000 else [deep]
    rid, other = str(uuid.uuid4()), str(uuid.uuid4())
    results = agent1.push(agent1.op(rid, {"street": "Dorpsstraat"}),
                          agent1.op(other, {where: deep}))
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert where in results[1]["errors"] or any(k.startswith(where)
                                                for k in results[1]["errors"])
    assert db.session.get(Registration, rid) is not None
    assert db.session.get(Registration, other) is None


@pytest.mark.parametrize("bad", [{"type": []}, {"type": {"a": 1}}, {"set": {"status": []}},
                                 {"set": {"status": {"a": 1}}}])
def test_push_unhashable_type_or_status_is_rejected_not_500(agent1: Api,
                                                            bad: dict[str, Any]) -> None:
    rid = str(uuid.uuid4())
    op = {**agent1.op(rid, {"street": "Dorpsstraat"}), **bad}
    response = agent1.post("/api/sync/push", json={"ops": [op]})
    assert response.status_code == 200, response.get_json()
    [result] = response.get_json()["results"]
    assert result["status"] == "rejected"
    assert set(result["errors"]) == ({"type"} if "type" in bad else {"status"})
    assert db.session.get(Registration, rid) is None


def test_push_control_characters_stay_per_op(agent1: Api) -> None:
    """One bad value in the outbox never blocks the others: rejected per op, not 400."""
    rid = str(uuid.uuid4())
    results = agent1.push(agent1.op(rid, {"street": "Dorpsstraat"}),
                          agent1.op(str(uuid.uuid4()), {"street": "a\u0000b"}))
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert "street" in results[1]["errors"]


def test_body_over_the_cap_is_413_before_parsing(tmp_path: Any, template_db: str) -> None:
    app = make_app(tmp_path, template_db, JSON_MAX_BYTES=1024, PUSH_MAX_BYTES=4096)
    from server.cli import make_user

    with app.app_context():
        make_user("agent1", "agent", PASSWORD, "Centrum")
        db.session.commit()
        client = app.test_client()
        # not even valid JSON: the size alone decides, before any parse
        response = raw(client, "/api/auth/login", b"[" * 1025)
        assert response.status_code == 413 and response.get_json()["error"] == "too_large"
        login = raw(client, "/api/auth/login", login_body())
        assert login.status_code == 200
        token = login.get_json()["token"]
        push = raw(client, "/api/sync/push", b'{"ops":[]}' + b" " * 4096, token)
        assert push.status_code == 413 and push.get_json()["error"] == "too_large"
        assert raw(client, "/api/sync/push", b'{"ops":[]}' + b" " * 2000, token).status_code == 200
        # a chunked body (no Content-Length) is cut off at the cap as well
        response = client.post("/api/auth/login", input_stream=io.BytesIO(b" " * 2048),
                               content_type="application/json",
                               headers={"Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input_terminated": True})
        assert_too_large(response)
        db.session.remove()
        db.engine.dispose()


def test_every_api_blueprint_reads_bodies_through_the_one_parse(app: Any) -> None:
    """A blueprint added later with flask-smorest's stock parser would parse bodies again."""
    import flask_smorest

    from server.jsonbody import JsonParser

    smorest = [bp for bp in app.blueprints.values() if isinstance(bp, flask_smorest.Blueprint)]
    assert len(smorest) >= 4
    assert all(isinstance(bp.ARGUMENTS_PARSER, JsonParser) for bp in smorest)
