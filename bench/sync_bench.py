"""Sync throughput: 10,000 ops from 50 devices, batched, against one request per op.

Starts the real server (gunicorn, as ``make run`` serves) on a temporary SQLite database
(or DATABASE_URL) and talks HTTP to it over loopback. Each op creates one accident
registration of about 1.3 KB of JSON. In each round the devices of a new team push their
ops in batches of 100 and the team's leader pulls them back in pages of 100; it prints the
median ops/s of the rounds, each round, and the ratio against a naive baseline measured in
the same run: one request (one transaction) per op, one change per page.

When bench/couch is installed (``make bench`` installs it), each round also replicates
the same accidents CouchDB-style, PouchDB to pouchdb-server in batches of the same size
(bench/couch/replicate.mjs), and it prints Wijkpost's ratio against that: this machine's
speed varies by tens of percent from minute to minute, and a ratio against a replication
measured in the same minutes is steadier from run to run.

    .venv/bin/python bench/sync_bench.py [--ops 10000] [--devices 50] [--rounds 3]
                                         [--baseline 1000] [--wsgi module:app]
                                         [--ids v7|v4] [--no-couch]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

import orjson

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUNICORN = os.path.join(ROOT, ".venv", "bin", "gunicorn")
COUCH = os.path.join(ROOT, "bench", "couch")
POUCHDB_SERVER = os.path.join(COUCH, "node_modules", ".bin", "pouchdb-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Http:
    def __init__(self, port: int, token: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return orjson.loads(self.send(method, path, orjson.dumps(body) if body is not None
                                      else None))

    def send(self, method: str, path: str, payload: bytes | None) -> bytes:
        """One request with an encoded body; the raw answer (devices parse it natively)."""
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed the connection first: reconnect, as a browser does (a push
            # is idempotent by op_id, so sending it again is safe).
            self.conn.close()
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return data


def accident(rng: random.Random) -> dict[str, Any]:
    """About 1.5 KB: a minor accident with two parties and a witness."""
    return {
        "occurred_at": "2026-11-24T09:30:00+01:00",
        "location": {"lat": 52.09 + rng.random() / 50, "lon": 5.12 + rng.random() / 50,
                     "accuracy": 8},
        "street": "Oudegracht", "house_number": str(rng.randint(1, 300)),
        "outcome": "UMS", "accident_kind": rng.choice("6789"), "built_up_area": "BI",
        "speed_limit": "50", "light": "1", "road_condition": "1",
        "narrative": "Bij het optrekken voor het verkeerslicht reed partij 2 achterop "
                     "partij 1. Beide bestuurders verklaren hetzelfde. " * 5,
        "parties[p1]": {"object_type": "1", "licence_plate": "AB-123-C",
                        "manoeuvre": "2", "insurer": "Verzekeraar Noord"},
        "parties[p2]": {"object_type": "1", "licence_plate": "XY-987-Z",
                        "manoeuvre": "4", "insurer": "Verzekeraar Zuid"},
        "witnesses[w1]": {"name": "J. de Getuige", "phone": "0612345678"},
    }


def server_env(db_url: str, instance: str) -> dict[str, str]:
    """A benchmarked server's environment: logins neither limited nor slowed down."""
    return {**os.environ, "DATABASE_URL": db_url, "WIJKPOST_INSTANCE": instance,
            "WIJKPOST_RATELIMIT_STORAGE": "memory://",
            "WIJKPOST_LOGIN_RATE_ADDRESS": "10000 per minute",
            "WIJKPOST_LOGIN_RATE_USER": "10000 per minute",
            "WIJKPOST_ARGON2_TIME_COST": "1", "WIJKPOST_ARGON2_MEMORY_KIB": "1024",
            # no scheduled jobs (retention purge, push retries) beside the measured requests
            "WIJKPOST_SCHEDULER": "0"}


def start_server(db_url: str, instance: str, teams: list[str]
                 ) -> tuple[subprocess.Popen[bytes], int]:
    """The server on ``db_url``, with per team a leader ``<team>-leider`` and DEVICES
    agents ``<team>-<n>``."""
    port = free_port()
    env = server_env(db_url, instance)
    # The set-up below runs in this process: it must not start a second checkpoint thread
    # on the server's database (it would take CPU from the client and race the server's).
    os.environ.update({**env, "WIJKPOST_SQLITE_CHECKPOINT_THREAD": "0"})
    sys.path.insert(0, ROOT)
    from server import create_app
    from server.cli import init_database, make_user
    from server.extensions import db

    app = create_app()
    with app.app_context():
        init_database()
        for team in teams:
            make_user(f"{team}-leider", "teamleider", "bench-wachtwoord", team)
            for index in range(DEVICES):
                make_user(f"{team}-{index}", "agent", "bench-wachtwoord", team)
        db.session.commit()
        db.engine.dispose()
    # Served as `make run` serves it (gunicorn.conf.py in ROOT).
    server = subprocess.Popen([GUNICORN, "--bind", f"127.0.0.1:{port}", WSGI_APP],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=ROOT)
    for _ in range(100):
        try:
            Http(port).call("GET", "/health")
            return server, port
        except (OSError, RuntimeError):
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("server did not start")


def login(port: int, username: str) -> tuple[Http, str]:
    body = Http(port).call("POST", "/api/auth/login", {
        "username": username, "password": "bench-wachtwoord", "device_name": "bench"})
    return Http(port, body["token"]), body["device_id"]


def uuid7(ms: int) -> str:
    """A time-ordered UUID (version 7, RFC 9562) made at ``ms``, as the PWA makes its ids."""
    value = ((ms & (2**48 - 1)) << 80 | 0x7 << 76 | random.getrandbits(12) << 64
             | 0b10 << 62 | random.getrandbits(62))
    return str(uuid.UUID(int=value))


def make_ops(device_id: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    base_ms = int(time.time() * 1000)
    new_id = (lambda: str(uuid.uuid4())) if IDS == "v4" else (lambda: uuid7(base_ms))
    return [{"op_id": new_id(), "record_id": new_id(), "type": "vor",
             "base_rev": 0, "set": accident(rng), "hlc": f"{base_ms}-{i}-{device_id}"}
            for i in range(count)]


def push_all(devices: list[tuple[Http, list[dict[str, Any]]]], batch: int) -> float:
    # A device has its outbox ready; encoding it is not the server's work.
    requests = []
    for client, ops in devices:
        bodies = [orjson.dumps({"ops": ops[i:i + batch]}) for i in range(0, len(ops), batch)]
        requests.append((client, bodies))
    answers = []
    started = time.perf_counter()
    # devices take turns, as many officers syncing through one server would
    for turn in range(max(len(bodies) for _, bodies in requests)):
        for client, bodies in requests:
            if turn < len(bodies):
                answers.append(client.send("POST", "/api/sync/push", bodies[turn]))
    elapsed = time.perf_counter() - started
    for answer in answers:
        bad = [r for r in orjson.loads(answer)["results"] if r["status"] != "applied"]
        if bad:
            raise RuntimeError(f"unexpected results: {bad[:2]}")
    return elapsed


def pull_all(client: Http, limit: int) -> tuple[int, float]:
    started = time.perf_counter()
    cursor, count = None, 0
    while True:
        query = f"/api/sync/pull?limit={limit}" + (f"&since={cursor}" if cursor else "")
        body = client.call("GET", query)
        count += len(body["changes"])
        cursor = body["cursor"]
        if not body["more"]:
            return count, time.perf_counter() - started


def start_couch(tmp: str) -> tuple[subprocess.Popen[bytes], int]:
    """pouchdb-server keeping its databases in LevelDB files under ``tmp``."""
    port = free_port()
    folder = os.path.join(tmp, "couch")
    os.makedirs(folder)
    server = subprocess.Popen(
        [POUCHDB_SERVER, "--dir", folder, "--port", str(port), "--no-stdout-logs"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("pouchdb-server did not start")


def couch_round(tmp: str, port: int, docs: list[dict[str, Any]], batch: int, name: str
                ) -> dict[str, float]:
    """Push and pull ``docs`` CouchDB-style (bench/couch/replicate.mjs): docs/s each way."""
    path = os.path.join(tmp, f"{name}.json")
    with open(path, "wb") as handle:
        handle.write(orjson.dumps(docs))
    done = subprocess.run(["node", os.path.join(COUCH, "replicate.mjs"), path, str(port),
                           str(batch), name], capture_output=True, check=True, cwd=COUCH)
    return orjson.loads(done.stdout.splitlines()[-1])


DEVICES = 50
WSGI_APP = "server.wsgi:app"
IDS = "v7"


def main() -> None:
    global DEVICES, WSGI_APP, IDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--baseline", type=int, default=1_000,
                        help="ops for the one-request-per-op baseline")
    parser.add_argument("--rounds", type=int, default=3,
                        help="batched rounds (each a new team); the median is reported")
    parser.add_argument("--wsgi", default=WSGI_APP,
                        help="WSGI application to serve (e.g. a wrapper that profiles)")
    parser.add_argument("--ids", choices=("v7", "v4"), default="v7",
                        help="op and record ids: time-ordered as the PWA makes them (v7), "
                             "or random (v4) as a client may")
    parser.add_argument("--no-couch", action="store_true",
                        help="skip the CouchDB-style replication of the same accidents")
    args = parser.parse_args()
    DEVICES, WSGI_APP, IDS = args.devices, args.wsgi, args.ids
    rng = random.Random(7)
    # Each round is one team (its devices push, its leader pulls what they pushed); team
    # names are new per run, so a PostgreSQL database can be reused.
    run = uuid.uuid4().hex[:6]
    teams = [f"b{run}r{r}" for r in range(args.rounds)]
    naive_team = f"b{run}naive"
    per_device = args.ops // DEVICES
    total = per_device * DEVICES
    pushes: list[float] = []
    pulls: list[float] = []
    couch: list[dict[str, float]] = []
    with_couch = not args.no_couch and os.path.exists(POUCHDB_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        server, port = start_server(db_url, tmp, [*teams, naive_team])
        couch_server, couch_port = start_couch(tmp) if with_couch else (None, 0)
        try:
            for team in teams:
                clients = [login(port, f"{team}-{i}") for i in range(DEVICES)]
                work = [(client, make_ops(device_id, per_device, rng))
                        for client, device_id in clients]
                size = sum(len(orjson.dumps(op)) for op in work[0][1]) / per_device
                pushes.append(total / push_all(work, args.batch))
                pulled, pull_time = pull_all(login(port, f"{team}-leider")[0], args.batch)
                if pulled != total:
                    raise RuntimeError(f"pulled {pulled} changes, pushed {total}")
                pulls.append(pulled / pull_time)
                if with_couch:
                    # the same accidents as documents, right after Wijkpost's round
                    docs = [{"_id": op["record_id"], "type": op["type"], **op["set"]}
                            for _, ops in work for op in ops]
                    couch.append(couch_round(tmp, couch_port, docs, args.batch, team))

            clients = [login(port, f"{naive_team}-{i}") for i in range(DEVICES)]
            naive_work = [(client, make_ops(device_id, args.baseline // DEVICES, rng))
                          for client, device_id in clients]
            naive_total = (args.baseline // DEVICES) * DEVICES
            naive_rate = naive_total / push_all(naive_work, 1)
            naive_pulled, naive_pull_time = pull_all(login(port, f"{naive_team}-leider")[0], 1)
            naive_pull_rate = naive_pulled / naive_pull_time
        finally:
            server.terminate()
            server.wait()
            if couch_server is not None:
                couch_server.terminate()
                couch_server.wait()

    push_rate, pull_rate = statistics.median(pushes), statistics.median(pulls)
    rounds = f"median of {args.rounds} rounds"
    print(f"database: {db_url.split(':')[0]}; devices: {DEVICES}; op size: {size:.0f} bytes; "
          f"ids: {'UUIDv7 (time-ordered)' if IDS == 'v7' else 'UUIDv4 (random)'}")
    print(f"push  batched ({args.batch}/request): {total} ops a round, {rounds}: "
          f"{push_rate:,.0f} ops/s  (rounds: {', '.join(f'{r:,.0f}' for r in pushes)})")
    print(f"push  naive (1 op/request):   {naive_total} ops: {naive_rate:,.0f} ops/s")
    print(f"push  ratio batched/naive: {push_rate / naive_rate:.1f}x")
    print(f"pull  paged ({args.batch}/page): {total} changes a round, {rounds}: "
          f"{pull_rate:,.0f} changes/s  (rounds: {', '.join(f'{r:,.0f}' for r in pulls)})")
    print(f"pull  naive (1/page):        {naive_pulled} changes: "
          f"{naive_pull_rate:,.0f} changes/s")
    print(f"pull  ratio paged/naive: {pull_rate / naive_pull_rate:.1f}x")
    if not couch:
        print("couch: not measured (make bench installs bench/couch)")
        return
    couch_push = statistics.median(c["push"] for c in couch)
    couch_pull = statistics.median(c["pull"] for c in couch)
    each = ", ".join(f"{c['push']:,.0f}/{c['pull']:,.0f}" for c in couch)
    print(f"couch CouchDB-style replication, PouchDB to pouchdb-server, {args.batch}/batch, "
          f"same rounds: push {couch_push:,.0f} docs/s, pull {couch_pull:,.0f} docs/s  "
          f"(rounds push/pull: {each})")
    push_ratios = [p / c["push"] for p, c in zip(pushes, couch, strict=True)]
    pull_ratios = [p / c["pull"] for p, c in zip(pulls, couch, strict=True)]
    rounds_text = ", ".join(f"{p:.2f}/{q:.2f}"
                            for p, q in zip(push_ratios, pull_ratios, strict=True))
    print(f"couch ratio Wijkpost/CouchDB-style, median of the rounds: "
          f"push {statistics.median(push_ratios):.2f}x, pull {statistics.median(pull_ratios):.2f}x"
          f"  (rounds push/pull: {rounds_text})")


if __name__ == "__main__":
    sys.exit(main())
