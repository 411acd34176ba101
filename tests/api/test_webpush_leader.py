"""One scheduler leader among several server processes: two real gunicorn servers on the
same database each run the scheduler; only one runs the jobs, each notice reaches the
push service once per subscription, and when the leader dies the other takes over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask

from server.cli import make_user
from server.extensions import db
from server.models import Team, utcnow
from tests.conftest import PASSWORD
from tests.pushkit import BrowserKeys, PushReceiver

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(env["WIJKPOST_TEST_LOGS"] + f"-{name}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(GUNICORN), "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
             "--threads", "2", "--graceful-timeout", "1", "--no-control-socket",
             "tests.api.leader_app:app"],
            cwd=ROOT, env={**env, "WIJKPOST_TEST_SERVER": name},
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_up(self) -> None:
        deadline = time.time() + 90  # a loaded 2-core machine starts slowly
        while time.time() < deadline:
            assert self.proc.poll() is None, f"server {self.name} exited"
            try:
                requests.get(f"{self.url}/api/me", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError(f"server {self.name} did not start")

    def kill(self) -> None:
        """As a crash: master and worker at once, no clean-up of their own."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log.close()

    def subscribe(self, username: str, keys: BrowserKeys, endpoint: str) -> None:
        login = requests.post(f"{self.url}/api/auth/login", timeout=10, json={
            "username": username, "password": PASSWORD, "device_name": "telefoon"}).json()
        response = requests.post(f"{self.url}/api/push/subscriptions", timeout=10,
                                 json=keys.subscription(endpoint),
                                 headers={"Authorization": f"Bearer {login['token']}"})
        assert response.status_code == 201, response.text


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    push = PushReceiver().start()
    yield push
    push.stop()


def runs(path: Path) -> list[str]:
    return path.read_text().split()[::2] if path.exists() else []


def test_two_server_processes_send_each_notice_once(app: Flask, tmp_path: Path,
                                                    receiver: PushReceiver) -> None:
    make_user("agent1", "agent", PASSWORD, "Centrum")
    make_user("agent2", "agent", PASSWORD, "Centrum")
    db.session.commit()
    centrum = db.session.execute(db.select(Team.id)).scalar_one()
    db.session.commit()  # on SQLite an open transaction holds the write lock
    notices_file, runs_file = tmp_path / "notices.json", tmp_path / "runs.txt"
    notices_file.write_text("[]")
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "WIJKPOST_INSTANCE": str(tmp_path / "instance"),  # shared: one VAPID key
        "SECRET_KEY": "leader-test",
        "WIJKPOST_SCHEDULER": "1",
        "WIJKPOST_SCHEDULER_LEADER_RETRY_SECONDS": "1",
        "WIJKPOST_PUSH_ENDPOINTS": receiver.origin,
        "WIJKPOST_ARGON2_TIME_COST": "1", "WIJKPOST_ARGON2_MEMORY_KIB": "1024",
        "WIJKPOST_TEST_NOTICES": str(notices_file), "WIJKPOST_TEST_RUNS": str(runs_file),
        "WIJKPOST_TEST_LOGS": str(tmp_path / "server"),
    }
    servers = [Server("A", env), Server("B", env)]
    try:
        for server in servers:
            server.wait_up()
        browsers = {"agent1": BrowserKeys(), "agent2": BrowserKeys()}
        servers[0].subscribe("agent1", browsers["agent1"], receiver.endpoint("agent1"))
        servers[1].subscribe("agent2", browsers["agent2"], receiver.endpoint("agent2"))

        def add_notice(notice_id: str) -> None:
            notices = json.loads(notices_file.read_text())
            notices.append({"id": notice_id, "title": f"Melding {notice_id}", "priority": 2,
                            "valid_until": (utcnow() + timedelta(hours=2)).isoformat(),
                            "send_at": utcnow().isoformat(), "team_ids": [centrum]})
            notices_file.write_text(json.dumps(notices))

        add_notice("n-1")
        receiver.wait_for(2, timeout=30)
        time.sleep(3)  # both schedulers tick several times more
        assert sorted(r.path for r in receiver.received) == ["/push/agent1", "/push/agent2"]
        for name, keys in browsers.items():
            assert keys.decrypt(receiver.to(name)[0])["notice_id"] == "n-1"
        leaders = set(runs(runs_file))
        assert len(leaders) == 1, f"jobs ran in {leaders}"
        (leader_name,) = leaders
        leader = next(s for s in servers if s.name == leader_name)
        survivor = next(s for s in servers if s is not leader)

        leader.kill()
        before = len(runs(runs_file))
        add_notice("n-2")
        receiver.wait_for(4, timeout=40)
        time.sleep(3)
        paths = sorted(r.path for r in receiver.received)
        assert paths == ["/push/agent1", "/push/agent1", "/push/agent2", "/push/agent2"]
        for name, keys in browsers.items():
            assert [keys.decrypt(r)["notice_id"] for r in receiver.to(name)] == ["n-1", "n-2"]
        assert set(runs(runs_file)[before:]) == {survivor.name}
    finally:
        for server in servers:
            server.kill()


