"""The real server in a subprocess (gunicorn, as `make run` serves it) on a temporary SQLite
database seeded with the demo team: the end-to-end and protocol conformance suites talk
HTTP to it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "wijkpost-demo"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The real server in a subprocess; stop() and start() keep its port and database."""

    def __init__(self, tmp: str, env: dict[str, str] | None = None, pwa: bool = True) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        flask = Path(sys.executable).parent / "flask"
        self.flask = [str(flask) if flask.exists() else "flask", "--app", "server"]
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/e2e.db",
            "WIJKPOST_INSTANCE": f"{tmp}/instance",
            "WIJKPOST_ATTACHMENT_DIR": f"{tmp}/attachments",
            "WIJKPOST_LOGIN_RATE_USER": "1000 per minute",
            "WIJKPOST_LOGIN_RATE_ADDRESS": "1000 per minute",
            "WIJKPOST_ARGON2_TIME_COST": "1",
            "WIJKPOST_ARGON2_MEMORY_KIB": "1024",
            "FLASK_DEBUG": "0",
            # Tests never reach PDOK (a device fetches its wijk's tiles ahead after every
            # sync): a closed local port answers at once; tests that need tiles set a stand-in.
            "WIJKPOST_TILE_URL": "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png",
            **(env or {}),
        }
        # A copy of the built app, so that a test can publish a "new version" of it.
        self.dist = Path(tmp) / "dist"
        if pwa:
            shutil.copytree(ROOT / "pwa" / "dist", self.dist)
            self.env["WIJKPOST_PWA_DIST"] = str(self.dist)
        self.log = open(f"{tmp}/server.log", "ab")  # noqa: SIM115 (open while the server runs)
        self.proc: subprocess.Popen[bytes] | None = None
        for command in ("init-db", "seed-demo"):
            subprocess.run([*self.flask, command], cwd=ROOT, env=self.env, check=True,
                           stdout=self.log, stderr=subprocess.STDOUT)

    def start(self) -> None:
        # Served as `make run` serves it (gunicorn.conf.py in ROOT).
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.proc = subprocess.Popen(
            [str(gunicorn), "--graceful-timeout", "2", "--bind", f"127.0.0.1:{self.port}",
             "server.wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("the server stopped at start; see server.log") from None
                time.sleep(0.2)
        raise RuntimeError("the server did not answer /health within 30 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def is_up(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1):
                return True
        except OSError:
            return False

    # -- direct API calls, to check what the server holds ---------------------------------

    def api(self, method: str, path: str, token: str | None = None,
            body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/api{path}", data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw

    def token(self, username: str) -> str:
        status, body = self.api("POST", "/auth/login", body={
            "username": username, "password": PASSWORD, "device_name": "e2e-check"})
        assert status == 200, body
        return body["token"]

    def registrations(self, username: str) -> list[dict[str, Any]]:
        """Every registration the user may read, as full records (via pull)."""
        token = self.token(username)
        out: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            query = "?limit=500" + (f"&since={cursor}" if cursor else "")
            status, body = self.api("GET", f"/sync/pull{query}", token)
            assert status == 200, body
            for change in body["changes"]:
                if change["entity"] == "registration" and change["op"] == "upsert":
                    out[change["id"]] = change["record"]
            cursor = body["cursor"]
            if not body["more"]:
                return list(out.values())
