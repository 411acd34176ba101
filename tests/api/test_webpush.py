"""Web Push: subscriptions through the API, real pywebpush sends to a local push receiver,
decrypted and checked as a browser would; retries, drops, and the allowed endpoints."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text, update

from server import scheduler
from server.extensions import db
from server.models import PushSend, PushSubscription, Team, Token, User, utcnow
from server.webpush import (
    deliver_notice,
    end_subscriptions_for_user,
    send_due,
    sends_accepted,
    subscribed_device_count,
)
from server.webpush.delivery import MAX_BODY_BYTES, encrypted_size, payload
from server.webpush.endpoints import parse_origins
from server.webpush.vapid import b64url_decode
from tests.conftest import Api, login, make_app
from tests.pushkit import Answer, BrowserKeys, PushReceiver, verify_vapid

SUBJECT = "mailto:meldkamer@politie.example"


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    push = PushReceiver().start()
    yield push
    push.stop()


@pytest.fixture
def app(tmp_path: Any, template_db: str, receiver: PushReceiver) -> Iterator[Flask]:
    """The test app, allowing the local receiver (and only it) as push service."""
    app = make_app(tmp_path, template_db, PUSH_ENDPOINTS=receiver.origin,
                   VAPID_SUBJECT=SUBJECT, PUSH_TIMEOUT_SECONDS=2)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def team_id(name: str) -> int:
    return db.session.execute(select(Team.id).where(Team.name == name)).scalar_one()


def subscribe(api: Api, receiver: PushReceiver, name: str) -> BrowserKeys:
    keys = BrowserKeys()
    response = api.post("/api/push/subscriptions", json=keys.subscription(receiver.endpoint(name)))
    assert response.status_code == 201, response.get_json()
    return keys


def notice(notice_id: str = "n-1", priority: int = 1, hours: float = 8,
           title: str = "Inbraakgolf Wittevrouwen: let op busjes") -> dict[str, Any]:
    return {"id": notice_id, "title": title, "priority": priority,
            "valid_until": utcnow() + timedelta(hours=hours)}


def send_row(notice_id: str) -> PushSend:
    db.session.expire_all()
    return db.session.execute(select(PushSend).where(PushSend.notice_id == notice_id)
                              ).scalar_one()


# -- keys --------------------------------------------------------------------------------

def test_vapid_key_created_once_in_instance_folder(tmp_path: Any, template_db: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from server.webpush.vapid import load
    monkeypatch.setenv("WIJKPOST_INSTANCE", str(tmp_path / "instance"))
    first = make_app(tmp_path, template_db)
    path = os.path.join(first.instance_path, "vapid_private.pem")
    assert not os.path.exists(path)  # created at first need, not at start-up
    key = load(first).public_key
    raw = b64url_decode(key)
    assert len(raw) == 65 and raw[0] == 4
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # Another process on the same instance folder signs with the same key.
    assert load(make_app(tmp_path, template_db)).public_key == key


def test_configured_raw_private_key_is_used(tmp_path: Any, template_db: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    monkeypatch.setenv("WIJKPOST_INSTANCE", str(tmp_path / "instance"))

    from server.webpush.vapid import private_raw_b64, public_b64
    key = ec.generate_private_key(ec.SECP256R1())
    app = make_app(tmp_path, template_db, VAPID_PRIVATE_KEY=private_raw_b64(key))
    from server.webpush.vapid import load
    assert load(app).public_key == public_b64(key)
    assert not os.path.exists(os.path.join(app.instance_path, "vapid_private.pem"))


def test_missing_key_file_or_bad_key_stops_start_up(tmp_path: Any, template_db: str) -> None:
    from server.webpush.vapid import VapidKeyError
    with pytest.raises(VapidKeyError, match="does not exist"):
        make_app(tmp_path, template_db, VAPID_KEY_FILE=str(tmp_path / "absent.pem"))
    with pytest.raises(VapidKeyError, match="32 bytes"):
        make_app(tmp_path, template_db, VAPID_PRIVATE_KEY="AAAA")


def test_vapid_keys_command_creates_the_configured_key_file(tmp_path: Any,
                                                            template_db: str) -> None:
    import click

    from server.webpush.vapid import load
    path = tmp_path / "keys" / "vapid.pem"
    with click.Context(click.Command("flask"), info_name="flask"):  # a CLI command starts
        app = make_app(tmp_path, template_db, VAPID_KEY_FILE=str(path))
    out = app.test_cli_runner().invoke(args=["vapid-keys"]).output
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load(make_app(tmp_path, template_db, VAPID_KEY_FILE=str(path))).public_key in out
    again = app.test_cli_runner().invoke(args=["vapid-keys"]).output
    assert again == out  # never replaced: subscriptions are bound to the key


def test_vapid_keys_command_prints_the_public_key(app: Flask, agent1: Api) -> None:
    out = app.test_cli_runner().invoke(args=["vapid-keys"]).output
    served = agent1.get("/api/push/vapid-public-key").get_json()["public_key"]
    assert served in out
    fresh = app.test_cli_runner().invoke(args=["vapid-keys", "--env"]).output
    raw = re.search(r"WIJKPOST_VAPID_PRIVATE_KEY=(\S+)", fresh).group(1)  # type: ignore[union-attr]
    public = re.search(r"applicationServerKey\): (\S+)", fresh).group(1)  # type: ignore[union-attr]
    from server.webpush.vapid import parse_private_key, public_b64
    assert public_b64(parse_private_key(raw, "test")) == public != served


# -- subscriptions -----------------------------------------------------------------------

def test_subscription_bound_to_device_and_replaced(agent1: Api, receiver: PushReceiver) -> None:
    assert agent1.get("/api/push/subscriptions").get_json()["subscribed"] is False
    subscribe(agent1, receiver, "eerste")
    subscribe(agent1, receiver, "tweede")
    rows = db.session.execute(select(PushSubscription)).scalars().all()
    assert [(r.device_id, r.endpoint) for r in rows] == [
        (agent1.device_id, receiver.endpoint("tweede"))]
    assert agent1.get("/api/push/subscriptions").get_json()["subscribed"] is True
    assert agent1.client.delete("/api/push/subscriptions",
                                headers=agent1.headers()).get_json() == {"subscribed": False}
    assert db.session.execute(select(PushSubscription)).first() is None


def test_same_browser_moves_to_the_new_user(agent1: Api, agent2: Api,
                                            receiver: PushReceiver) -> None:
    subscribe(agent1, receiver, "gedeeld")
    subscribe(agent2, receiver, "gedeeld")
    rows = db.session.execute(select(PushSubscription)).scalars().all()
    assert [r.device_id for r in rows] == [agent2.device_id]


def test_beheerder_does_not_subscribe(beheerder: Api, receiver: PushReceiver) -> None:
    response = beheerder.post("/api/push/subscriptions",
                              json=BrowserKeys().subscription(receiver.endpoint("b")))
    assert response.status_code == 403 and "beheerder" in response.get_json()["message"]
    assert db.session.execute(select(PushSubscription)).first() is None


@pytest.mark.parametrize("endpoint", [
    "https://evil.example/push/x",
    "http://127.0.0.1:9/push/x",           # another port on the allowed host
    "https://127.0.0.1/push/x",            # another scheme
    "http://127.0.0.1:{port}@evil.example/push/x",
    "http://evil.example#@127.0.0.1:{port}/push/x",
    "http://127.0.0.1:{port}\\@evil.example/push/x",
    "http://127.0.0.1.evil.example:{port}/push/x",
    "ftp://127.0.0.1:{port}/push/x",
    "/push/x",
])
def test_endpoint_outside_allowed_origins_is_refused(agent1: Api, receiver: PushReceiver,
                                                     endpoint: str) -> None:
    port = receiver.origin.rsplit(":", 1)[1]
    response = agent1.post("/api/push/subscriptions",
                           json=BrowserKeys().subscription(endpoint.format(port=port)))
    assert response.status_code == 422, response.get_json()
    assert "endpoint" in response.get_json()["errors"]
    assert db.session.execute(select(PushSubscription)).first() is None


def test_default_origins_admit_the_browsers_push_services(tmp_path: Any,
                                                          template_db: str) -> None:
    app = make_app(tmp_path, template_db)
    client = app.test_client()
    with app.app_context():
        from server.cli import make_user
        from tests.conftest import PASSWORD
        make_user("agentx", "agent", PASSWORD, "Centrum")
        db.session.commit()
        api = login(client, "agentx")
        cases = {
            "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b": 201,
            "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA": 201,
            "https://web.push.apple.com/QGx1Y2t5": 201,
            "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD": 201,
            "https://a.b.notify.windows.com/w/?token=x": 422,      # * is one label
            "https://notify.windows.com/w/?token=x": 422,
            "https://notify.windows.com.evil.example/w/": 422,
            "http://fcm.googleapis.com/fcm/send/x": 422,            # https only
            "https://fcm.googleapis.com:8443/fcm/send/x": 422,
        }
        got = {url: api.post("/api/push/subscriptions",
                             json=BrowserKeys().subscription(url)).status_code
               for url in cases}
        assert got == cases
        db.session.remove()
        db.engine.dispose()


def test_unsafe_origin_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="https"):
        parse_origins("http://*.example.com")
    with pytest.raises(ValueError, match="too wide"):
        parse_origins("https://*.com")
    with pytest.raises(ValueError, match="not an origin"):
        parse_origins("https://push.example.com/path")


@pytest.mark.parametrize("keys, field", [
    ({"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "p256dh"),
    ({"p256dh": "B" + "A" * 86, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "p256dh"),  # not 0x04
    ({"p256dh": "BA" + "A" * 85, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "p256dh"),  # off curve
    ({"p256dh": "valid", "auth": "AAAAAAAAAAAAAAAAAAAA"}, "auth"),              # 15 bytes
    ({"p256dh": "valid", "auth": "not base64!!"}, "auth"),
    ({"p256dh": "valid"}, "auth"),
])
def test_malformed_keys_are_refused(agent1: Api, receiver: PushReceiver, keys: dict[str, str],
                                    field: str) -> None:
    if keys.get("p256dh") == "valid":
        keys = {**keys, "p256dh": BrowserKeys().p256dh}
    response = agent1.post("/api/push/subscriptions",
                           json={"endpoint": receiver.endpoint("k"), "keys": keys})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["keys"]
    assert isinstance(response.get_json()["message"], str)


# -- delivery ----------------------------------------------------------------------------

def test_notice_delivered_encrypted_to_the_teams_officers(
        app: Flask, agent1: Api, agent2: Api, leider: Api, agent3: Api,
        receiver: PushReceiver) -> None:
    browsers = {name: subscribe(api, receiver, name) for name, api in
                (("a1", agent1), ("a2", agent2), ("l1", leider), ("a3", agent3))}
    centrum = team_id("Centrum")
    assert subscribed_device_count({centrum}) == 3
    assert subscribed_device_count({centrum, team_id("Noord")}) == 4
    public_key = agent1.get("/api/push/vapid-public-key").get_json()["public_key"]

    sent = notice("n-centrum", priority=1, hours=8)
    deliver_notice(sent, {centrum})

    assert sorted(r.path for r in receiver.received) == ["/push/a1", "/push/a2", "/push/l1"]
    for name in ("a1", "a2", "l1"):
        (received,) = receiver.to(name)
        body = browsers[name].decrypt(received)
        assert body == {"notice_id": "n-centrum", "title": sent["title"], "priority": 1,
                        "url": "/#/notices/n-centrum", "tag": "n-centrum"}
        assert 8 * 3600 - 30 < int(received.headers["ttl"]) <= 8 * 3600
        assert received.headers["urgency"] == "high"
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", received.headers["topic"])
        assert "n-centrum" not in received.headers["topic"]
        assert len(received.body) == encrypted_size(
            payload("n-centrum", sent["title"], 1)) < MAX_BODY_BYTES
        verify_vapid(received.headers["authorization"], public_key, receiver.origin, SUBJECT)
    assert len({r.headers["topic"] for r in receiver.received}) == 1
    assert sends_accepted("n-centrum") == 3


@pytest.mark.parametrize("priority, urgency", [(2, "normal"), (3, "low")])
def test_ttl_capped_at_28_days_and_urgency_by_priority(
        agent1: Api, receiver: PushReceiver, priority: int, urgency: str) -> None:
    subscribe(agent1, receiver, "a1")
    deliver_notice(notice("lang", priority=priority, hours=60 * 24), {team_id("Centrum")})
    (received,) = receiver.received
    assert int(received.headers["ttl"]) == 28 * 24 * 3600
    assert received.headers["urgency"] == urgency


def test_encrypted_body_stays_under_4096_bytes() -> None:
    data = payload("n-lang", "Ä" * 5000, 2)
    assert encrypted_size(data) <= MAX_BODY_BYTES and data.endswith(b'"tag":"n-lang"}')


def test_send_is_recorded_before_the_request(app: Flask, agent1: Api,
                                             receiver: PushReceiver) -> None:
    subscribe(agent1, receiver, "a1")
    seen: list[tuple[str, int]] = []
    # What another connection sees at the moment the push service gets the request.
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])

    def look(_: Any) -> None:
        with other.connect() as conn:
            seen.extend(conn.execute(text(
                "SELECT status, attempts FROM push_sends WHERE notice_id = 'n-1'")).all())

    receiver.on_request = look
    deliver_notice(notice(), {team_id("Centrum")})
    other.dispose()
    assert seen == [("pending", 1)]
    assert send_row("n-1").status == "accepted"


def test_a_recorded_send_is_never_repeated(app: Flask, agent1: Api,
                                           receiver: PushReceiver) -> None:
    subscribe(agent1, receiver, "a1")
    sent = notice()
    deliver_notice(sent, {team_id("Centrum")})
    deliver_notice(sent, {team_id("Centrum")})
    send_due(now=utcnow() + timedelta(days=1))
    app.test_cli_runner().invoke(args=["run-jobs"])
    assert len(receiver.received) == 1 and sends_accepted("n-1") == 1


def test_gone_subscription_is_dropped(agent1: Api, agent2: Api, receiver: PushReceiver) -> None:
    subscribe(agent1, receiver, "a1")
    subscribe(agent2, receiver, "a2")
    receiver.script["/push/a1"] = [Answer(410)]
    deliver_notice(notice(), {team_id("Centrum")})
    assert agent1.get("/api/push/subscriptions").get_json()["subscribed"] is False
    assert agent2.get("/api/push/subscriptions").get_json()["subscribed"] is True
    assert subscribed_device_count({team_id("Centrum")}) == 1
    assert sends_accepted("n-1") == 1
    deliver_notice(notice("n-2"), {team_id("Centrum")})
    assert [r.path for r in receiver.received].count("/push/a1") == 1


def test_503_is_retried_after_backoff_then_accepted(app: Flask, agent1: Api,
                                                    receiver: PushReceiver) -> None:
    keys = subscribe(agent1, receiver, "a1")
    receiver.script["/push/a1"] = [Answer(503, retry_after="120")]
    deliver_notice(notice(), {team_id("Centrum")})
    row = send_row("n-1")
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 503)
    assert sends_accepted("n-1") == 0

    assert send_due(now=utcnow() + timedelta(seconds=60)) == {}  # Retry-After: 120 s
    assert len(receiver.received) == 1
    assert send_due(now=utcnow() + timedelta(seconds=125)) == {"accepted": 1}
    first, second = receiver.received
    assert keys.decrypt(second)["notice_id"] == "n-1"
    assert first.headers["topic"] == second.headers["topic"]
    assert sends_accepted("n-1") == 1 and send_row("n-1").attempts == 2


def test_timeout_is_retried_by_the_scheduled_job(tmp_path: Any, template_db: str,
                                                 receiver: PushReceiver) -> None:
    app = make_app(tmp_path, template_db, PUSH_ENDPOINTS=receiver.origin,
                   PUSH_TIMEOUT_SECONDS=1, PUSH_RETRY_BASE_SECONDS=0)
    with app.app_context():
        from server.cli import make_user
        from tests.conftest import PASSWORD
        make_user("agentx", "agent", PASSWORD, "Centrum")
        db.session.commit()
        api = login(app.test_client(), "agentx")
        subscribe(api, receiver, "traag")
        receiver.script["/push/traag"] = [Answer(201, delay=1.5)]
        deliver_notice(notice(), {team_id("Centrum")})
        assert send_row("n-1").status == "pending"
        # The lease of a claim (here 2 × the timeout) must pass before the job retries.
        db.session.execute(update(PushSend).values(next_attempt_at=utcnow()))
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["run-jobs"])
        assert "push-retry: accepted: 1" in result.output, result.output
        assert len(receiver.received) == 2 and sends_accepted("n-1") == 1
        db.session.remove()
        db.engine.dispose()


def test_retries_end_after_the_last_attempt(app: Flask, agent1: Api,
                                            receiver: PushReceiver) -> None:
    subscribe(agent1, receiver, "a1")
    receiver.script["/push/a1"] = [Answer(500)] * 10
    deliver_notice(notice(hours=48), {team_id("Centrum")})
    later = utcnow()
    for _ in range(10):
        later += timedelta(hours=1)
        send_due(now=later)
    row = send_row("n-1")
    assert (row.status, row.attempts) == ("failed", app.config["PUSH_MAX_ATTEMPTS"])
    assert len(receiver.received) == app.config["PUSH_MAX_ATTEMPTS"]


def test_no_send_for_an_expired_notice(agent1: Api, receiver: PushReceiver) -> None:
    subscribe(agent1, receiver, "a1")
    deliver_notice(notice(hours=-1), {team_id("Centrum")})
    assert receiver.received == []


def test_logout_revocation_and_team_change_end_subscriptions(
        app: Flask, client: FlaskClient, agent1: Api, agent2: Api, leider: Api,
        beheerder: Api, receiver: PushReceiver) -> None:
    subscribe(agent1, receiver, "a1")
    subscribe(agent2, receiver, "a2")
    subscribe(leider, receiver, "l1")
    assert agent1.post("/api/auth/logout").status_code == 200
    assert beheerder.post(f"/api/devices/{agent2.device_id}/revoke").status_code == 200
    user = db.session.execute(select(User).where(User.username == "leider1")).scalar_one()
    user.team_id = team_id("Noord")
    end_subscriptions_for_user(user.id)
    db.session.commit()
    assert subscribed_device_count({team_id("Centrum"), team_id("Noord")}) == 0
    deliver_notice(notice(), {team_id("Centrum"), team_id("Noord")})
    assert receiver.received == []


def test_pending_send_of_an_ended_subscription_never_goes_out(
        agent1: Api, receiver: PushReceiver) -> None:
    subscribe(agent1, receiver, "a1")
    receiver.script["/push/a1"] = [Answer(503)]
    deliver_notice(notice(), {team_id("Centrum")})
    agent1.client.delete("/api/push/subscriptions", headers=agent1.headers())
    assert send_due(now=utcnow() + timedelta(hours=1)) == {}
    assert send_row("n-1").status == "gone" and len(receiver.received) == 1


def test_run_jobs_runs_every_registered_job(app: Flask) -> None:
    ran: list[str] = []
    scheduler.register_job("test-job", lambda: ran.append("x") or "klaar", 10)
    try:
        out = app.test_cli_runner().invoke(args=["run-jobs"]).output
    finally:
        scheduler._jobs.pop("test-job")
    assert ran == ["x"]
    assert "test-job: klaar" in out and "push-retry:" in out and "purge-expired:" in out


def test_send_claimed_by_a_process_that_died_is_retried_after_its_lease(
        app: Flask, agent1: Api, receiver: PushReceiver) -> None:
    from server.webpush.delivery import _claim, record_sends
    subscribe(agent1, receiver, "a1")
    record_sends(notice(), {team_id("Centrum")})
    assert len(_claim(utcnow(), None, 10)) == 1  # ...and the process dies before posting
    assert send_due() == {} and receiver.received == []
    assert send_due(now=utcnow() + timedelta(minutes=2)) == {"accepted": 1}
    assert send_row("n-1").attempts == 2


def test_inactive_officer_gets_nothing(agent1: Api, agent2: Api,
                                       receiver: PushReceiver) -> None:
    subscribe(agent1, receiver, "a1")
    subscribe(agent2, receiver, "a2")
    db.session.execute(update(User).where(User.username == "agent2").values(active=False))
    db.session.commit()
    assert subscribed_device_count({team_id("Centrum")}) == 1
    deliver_notice(notice(), {team_id("Centrum")})
    assert [r.path for r in receiver.received] == ["/push/a1"]


def test_a_device_whose_sessions_expired_gets_nothing_until_it_logs_in_again(
        app: Flask, client: FlaskClient, agent1: Api, agent2: Api,
        receiver: PushReceiver) -> None:
    subscribe(agent1, receiver, "a1")
    subscribe(agent2, receiver, "a2")
    db.session.execute(update(Token).where(Token.device_id == agent2.device_id)
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert subscribed_device_count({team_id("Centrum")}) == 1
    deliver_notice(notice(), {team_id("Centrum")})
    assert [r.path for r in receiver.received] == ["/push/a1"]
    # the same device signs in again: the next notice reaches it
    again = login(client, "agent2", device_id=agent2.device_id)
    assert again.device_id == agent2.device_id
    deliver_notice(notice("n-2"), {team_id("Centrum")})
    assert sorted(r.path for r in receiver.received[1:]) == ["/push/a1", "/push/a2"]


def test_sends_of_long_ended_notices_are_purged(app: Flask, agent1: Api,
                                                receiver: PushReceiver) -> None:
    from server.webpush.delivery import purge_old_sends
    subscribe(agent1, receiver, "a1")
    deliver_notice(notice("oud"), {team_id("Centrum")})
    deliver_notice(notice("nieuw"), {team_id("Centrum")})
    db.session.execute(update(PushSend).where(PushSend.notice_id == "oud")
                       .values(valid_until=utcnow() - timedelta(days=91)))
    db.session.commit()
    assert purge_old_sends() == 1
    assert (sends_accepted("oud"), sends_accepted("nieuw")) == (0, 1)


def test_no_post_to_an_origin_the_settings_no_longer_allow(app: Flask, agent1: Api,
                                                           receiver: PushReceiver) -> None:
    subscribe(agent1, receiver, "a1")
    app.config["PUSH_ORIGINS"] = parse_origins("https://fcm.googleapis.com")
    deliver_notice(notice(), {team_id("Centrum")})
    assert receiver.received == [] and send_row("n-1").status == "gone"
    assert agent1.get("/api/push/subscriptions").get_json()["subscribed"] is False
