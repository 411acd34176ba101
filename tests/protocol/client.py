"""A small sync client written from sync/PROTOCOL.md alone: login, the clock, ops, push,
pull with cursors, and a local copy of what the server sent.

It speaks plain HTTP (urllib) so the conformance suite runs against any server URL.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


def request(base: str, method: str, path: str, token: str | None = None, body: Any = None,
            raw: bytes | None = None, content_type: str | None = None) -> Reply:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type or "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            payload, status = response.read(), response.status
            headers = dict(response.headers.items())
    except urllib.error.HTTPError as error:
        payload, status, headers = error.read(), error.code, dict(error.headers.items())
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = payload
    return Reply(status, parsed, headers)


def hlc_key(stamp: str) -> tuple[int, int, str]:
    ms, counter, node = stamp.split("-", 2)
    return int(ms), int(counter), node


@dataclass
class Device:
    """One signed-in device with its clock, outbox base revs and local copies."""

    base: str
    username: str
    password: str
    device_name: str
    device_id: str | None = None
    token: str = ""
    login_body: dict[str, Any] = field(default_factory=dict)
    last: tuple[int, int] = (0, 0)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    cursor: str | None = None

    # -- session -----------------------------------------------------------------------

    def login(self) -> Reply:
        body: dict[str, Any] = {"username": self.username, "password": self.password,
                                "device_name": self.device_name}
        if self.device_id:
            body["device_id"] = self.device_id
        reply = request(self.base, "POST", "/api/auth/login", body=body)
        if reply.status == 200:
            self.login_body = reply.body
            self.token = reply.body["token"]
            self.device_id = reply.body["device_id"]
        return reply

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> Reply:
        return request(self.base, method, path, self.token, body, **kw)

    # -- clock (PROTOCOL.md §3, clock rules) ---------------------------------------------

    def stamp(self, ahead_ms: int = 0) -> str:
        now = int(time.time() * 1000) + ahead_ms
        ms = max(now, self.last[0])
        counter = self.last[1] + 1 if ms == self.last[0] else 0
        self.last = (ms, counter)
        return f"{ms}-{counter}-{self.device_id}"

    def adopt(self, server_hlc: str) -> None:
        ms, counter, _ = hlc_key(server_hlc)
        if (ms, counter) > self.last:
            self.last = (ms, counter)

    # -- ops and push --------------------------------------------------------------------

    def op(self, record_id: str, set_: dict[str, Any], rtype: str = "vor",
           base_rev: int | None = None, hlc: str | None = None) -> dict[str, Any]:
        if base_rev is None:
            held = self.records.get(record_id)
            base_rev = held["rev"] if held else 0
        return {"op_id": str(uuid.uuid4()), "record_id": record_id, "type": rtype,
                "base_rev": base_rev, "set": set_, "hlc": hlc or self.stamp()}

    def push_raw(self, ops: list[Any], **envelope: Any) -> Reply:
        body = {"schema_version": 1, "device_id": self.device_id, "ops": ops, **envelope}
        return self.call("POST", "/api/sync/push", body)

    def push(self, *ops: dict[str, Any]) -> list[dict[str, Any]]:
        reply = self.push_raw(list(ops))
        assert reply.status == 200, (reply.status, reply.body)
        self.adopt(reply.body["hlc"])
        for result in reply.body["results"]:
            if "record" in result:  # a full copy: the new base
                self.records[result["record_id"]] = result["record"]
        return reply.body["results"]

    # -- pull ----------------------------------------------------------------------------

    def pull_page(self, since: str | None = None, limit: int = 200) -> Reply:
        query = f"?limit={limit}" + (f"&since={since}" if since else "")
        return self.call("GET", f"/api/sync/pull{query}")

    def pull(self, limit: int = 200) -> list[dict[str, Any]]:
        """Pull until ``more`` is false; returns every change seen, in order."""
        seen: list[dict[str, Any]] = []
        while True:
            reply = self.pull_page(self.cursor, limit)
            assert reply.status == 200, (reply.status, reply.body)
            body = reply.body
            for change in body["changes"]:
                seen.append(change)
                if change["entity"] != "registration":
                    continue
                held = self.records.get(change["id"])
                if change["op"] == "remove":
                    self.records.pop(change["id"], None)
                elif held is None or change["rev"] > held["rev"]:
                    self.records[change["id"]] = change["record"]
            self.cursor = body["cursor"]
            self.adopt(body["hlc"])
            if not body["more"]:
                return seen


def new_id() -> str:
    return str(uuid.uuid4())
