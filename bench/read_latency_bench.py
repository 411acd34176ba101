"""Read latency: a detail GET on an idle server, and while a stream of heavy pushes runs.

Starts the real server (gunicorn, as ``make run`` serves) on a temporary SQLite database
(or DATABASE_URL), as bench/sync_bench.py does. An officer of team Noord reads one of the
team's registrations over and over: first on an idle server, then while several devices
of team Centrum push, each in its own thread, batches of 500 ops that all touch one large
record (a group of 200 witnesses, edits to random witnesses, and the narrative set by
every device so the batches conflict with one another). It prints the GET's p50/p95 in
both phases and their ratio, and what the pushes took.

By default the reads go to a second server process on the same database, as with
several workers or hosts: what the ratio then shows is waiting for the database (a push's
write lock or row locks), not for the CPU. ``--same-process`` reads from the process that
merges the pushes, where a CPU-bound merge also holds the interpreter lock.

    python bench/read_latency_bench.py [--seconds 30] [--devices 4] [--items 200]
                                       [--same-process] [--root PATH]

``--root`` serves (and sets up with) the code of another checkout, e.g. main's, to
compare with the same script.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from typing import Any

import orjson

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
PASSWORD = "bench-wachtwoord"
WSGI_APP = "server.wsgi:app"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(port: int, method: str, path: str, body: Any = None, token: str | None = None
         ) -> tuple[int, bytes]:
    """One request on a new connection (the server closes each after its answer)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=orjson.dumps(body) if body is not None else None,
                     headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def ok(port: int, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    status, data = call(port, method, path, body, token)
    if status != 200:
        raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
    return orjson.loads(data)


def set_up(root: str, db_url: str, instance: str, devices: int) -> dict[str, str]:
    """The database with its users; returns the servers' environment."""
    env = {**os.environ, "DATABASE_URL": db_url, "WIJKPOST_INSTANCE": instance,
           "WIJKPOST_RATELIMIT_STORAGE": "memory://",
           "WIJKPOST_LOGIN_RATE_ADDRESS": "10000 per minute",
           "WIJKPOST_LOGIN_RATE_USER": "10000 per minute",
           "WIJKPOST_ARGON2_TIME_COST": "1", "WIJKPOST_ARGON2_MEMORY_KIB": "1024"}
    os.environ.update({**env, "WIJKPOST_SQLITE_CHECKPOINT_THREAD": "0",
                       "WIJKPOST_AUDIT_CHAINER_THREAD": "0"})
    sys.path.insert(0, root)
    from server import create_app
    from server.cli import init_database, make_user
    from server.extensions import db

    app = create_app()
    with app.app_context():
        init_database()
        make_user("noord-1", "agent", PASSWORD, "Noord")
        make_user("centrum-leider", "teamleider", PASSWORD, "Centrum")
        for index in range(devices):
            make_user(f"centrum-{index}", "agent", PASSWORD, "Centrum")
        db.session.commit()
        db.engine.dispose()
    return env


def serve(root: str, env: dict[str, str], instance: str, workers: int, name: str
          ) -> tuple[subprocess.Popen[bytes], int]:
    """A gunicorn server as `make run` serves (more than one may serve one database)."""
    port = free_port()
    log = open(os.path.join(instance, f"{name}.log"), "wb")  # noqa: SIM115 - the server's
    server = subprocess.Popen([GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers",
                               str(workers), "--timeout", "600", WSGI_APP],
                              env=env, stdout=subprocess.DEVNULL,
                              stderr=log,
                              cwd=root)
    for _ in range(100):
        try:
            ok(port, "GET", "/health")
            return server, port
        except (OSError, RuntimeError):
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("server did not start")


def login(port: int, username: str) -> tuple[str, str]:
    body = ok(port, "POST", "/api/auth/login", {"username": username, "password": PASSWORD,
                                                "device_name": "bench"})
    return body["token"], body["device_id"]


class Device:
    def __init__(self, port: int, username: str) -> None:
        self.port = port
        self.token, self.device_id = login(port, username)
        self.ms = int(time.time() * 1000)
        self.counter = 0

    def op(self, record_id: str, base_rev: int, fields: dict[str, Any]) -> dict[str, Any]:
        self.counter += 1
        return {"op_id": str(uuid.uuid4()), "record_id": record_id, "type": "vor",
                "base_rev": base_rev, "set": fields,
                "hlc": f"{self.ms}-{self.counter}-{self.device_id}"}

    def push(self, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return ok(self.port, "POST", "/api/sync/push", {"ops": ops}, self.token)["results"]


def witness(name: str) -> dict[str, Any]:
    return {"name": name, "phone": "0612345678", "address": "Oudegracht 1, Utrecht",
            "statement": "Ik zag de aanrijding vanaf de stoep. " * 3}


def heavy_batch(device: Device, record_id: str, base_rev: int, items: int, narratives: int,
                rng: random.Random) -> list[dict[str, Any]]:
    """500 ops on the one large record: witness edits (made on a stale rev, so they clash
    with the other devices' edits of the same witnesses), and the narrative that every
    device sets ``narratives`` times."""
    ops = []
    every = max(1, 500 // narratives) if narratives else 0
    for index in range(500):
        if every and index % every == 0:
            fields: dict[str, Any] = {"narrative": f"Relaas van {device.device_id[:8]} {index}"}
        else:
            key = rng.randrange(items)
            fields = {f"witnesses[w{key}]": {"name": f"Getuige {key} {index}",
                                              "statement": f"Aangevuld {index}"}}
        ops.append(device.op(record_id, base_rev, fields))
    return ops


def read_once(port: int, url: str, token: str, errors: list[str]) -> float:
    """Milliseconds until the answer; a failed read counts with its time."""
    started = time.perf_counter()
    try:
        status: Any = call(port, "GET", url, token=token)[0]
    except OSError as exc:
        status = type(exc).__name__
    if status != 200:
        errors.append(str(status))
    return (time.perf_counter() - started) * 1000


def read_for(port: int, url: str, token: str, seconds: float, go: Any, send: Any) -> None:
    """Read from the signal on for ``seconds``; sends (times, errors) back."""
    go.wait()
    times: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        times.append(read_once(port, url, token, errors))
    send.send((times, errors))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    global WSGI_APP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30,
                        help="how long the push stream runs")
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument("--items", type=int, default=200, help="witnesses in the record")
    parser.add_argument("--idle-reads", type=int, default=300)
    parser.add_argument("--narratives", type=int, default=1,
                        help="ops per batch setting the narrative (a conflict between devices)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn worker processes")
    parser.add_argument("--own-records", dest="shared", action="store_false",
                        help="each device pushes to a large record of its own (no conflicts "
                             "between devices) instead of all to one")
    parser.add_argument("--same-process", action="store_true",
                        help="read from the server process that takes the pushes (they then "
                             "also compete for its CPU and interpreter lock); by default the "
                             "reads go to a second server process on the same database")
    parser.add_argument("--wsgi", default="server.wsgi:app",
                        help="WSGI application to serve (e.g. a wrapper that profiles)")
    parser.add_argument("--root", default=HERE, help="checkout whose server to run")
    args = parser.parse_args()
    WSGI_APP = args.wsgi
    with tempfile.TemporaryDirectory() as tmp:
        db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        root = os.path.abspath(args.root)
        env = set_up(root, db_url, tmp, args.devices)
        servers = [serve(root, env, tmp, args.workers, "pushes")]
        if not args.same_process:
            servers.append(serve(root, env, tmp, args.workers, "reads"))
        port, read_port = servers[0][1], servers[-1][1]
        try:
            reader = Device(read_port, "noord-1")
            small = str(uuid.uuid4())
            reader.push([reader.op(small, 0, {"street": "Dorpsstraat"})])
            leader = Device(port, "centrum-leider")
            larges = [str(uuid.uuid4()) for _ in range(1 if args.shared else args.devices)]
            for large in larges:
                created = leader.push([leader.op(large, 0, {
                    "street": "Oudegracht", "narrative": "Begin",
                    **{f"witnesses[w{i}]": witness(f"Getuige {i}") for i in range(args.items)}})])
                assert created[0]["status"] == "applied", created
            pushers = [Device(port, f"centrum-{i}") for i in range(args.devices)]

            read_errors: list[str] = []
            url = f"/api/registrations/{small}"
            for _ in range(20):
                read_once(read_port, url, reader.token, read_errors)  # warm up
            idle = [read_once(read_port, url, reader.token, read_errors)
                    for _ in range(args.idle_reads)]

            # The busy phase's reader is a process of its own: in this one the pushing
            # threads parse replies of many megabytes, holding the interpreter lock.
            context = multiprocessing.get_context("fork")
            results_end, child_end = context.Pipe()
            go = context.Event()
            reader_process = context.Process(target=read_for, args=(
                read_port, url, reader.token, args.seconds, go, child_end))
            reader_process.start()

            stop = threading.Event()
            push_times: list[float] = []
            failures: list[str] = []

            def push_stream(device: Device, seed: int) -> None:
                local = random.Random(seed)
                base_rev = 1
                while not stop.is_set():
                    ops = heavy_batch(device, larges[seed % len(larges)], base_rev, args.items,
                                      args.narratives, local)
                    started = time.perf_counter()
                    try:
                        results = device.push(ops)
                    except RuntimeError as exc:
                        # counted, then sent again as a device would (op ids make it safe)
                        failures.append(str(exc)[:200])
                        continue
                    push_times.append(time.perf_counter() - started)
                    base_rev = max(r["rev"] for r in results)

            threads = [threading.Thread(target=push_stream, args=(d, i), daemon=True)
                       for i, d in enumerate(pushers)]
            for thread in threads:
                thread.start()
            time.sleep(1)  # let every device have a push under way
            go.set()
            busy, busy_errors = results_end.recv()
            read_errors += busy_errors
            reader_process.join()
            stop.set()  # pushes still under way end with the server
        finally:
            lines = []
            for server, _ in servers:
                server.kill()  # not a graceful stop: it would wait for the pushes under way
                server.wait()
            for name in ("pushes", "reads"):
                if os.path.exists(os.path.join(tmp, f"{name}.log")):
                    with open(os.path.join(tmp, f"{name}.log"), errors="replace") as handle:
                        lines += handle.read().splitlines()
            errors = sorted({line[:200] for line in lines
                             if line.split(":")[0].endswith(("Error", "Violation", "Detected"))
                             })[:5]

    p50_idle, p95_idle = statistics.median(idle), percentile(idle, 0.95)
    p50_busy, p95_busy = statistics.median(busy), percentile(busy, 0.95)
    print(f"database: {db_url.split(':')[0]}; code: {os.path.abspath(args.root)}; "
          f"{args.devices} devices pushing 500-op batches on "
          f"{'one record' if args.shared else 'a record each'} of {args.items} "
          f"witnesses, {args.narratives} narrative op(s) a batch; {args.workers} worker(s); "
          f"reads {'in the same' if args.same_process else 'in another'} server process")
    print(f"detail GET idle:   {len(idle)} reads, p50 {p50_idle:.1f} ms, p95 {p95_idle:.1f} ms")
    print(f"detail GET pushes: {len(busy)} reads, p50 {p50_busy:.1f} ms, p95 {p95_busy:.1f} ms, "
          f"max {max(busy):.1f} ms")
    print(f"ratio busy/idle: p50 {p50_busy / p50_idle:.1f}x, p95 {p95_busy / p95_idle:.1f}x")
    if push_times:
        print(f"pushes: {len(push_times)} of 500 ops, median {statistics.median(push_times):.2f} s,"
              f" max {max(push_times):.2f} s")
    if read_errors:
        print(f"failed reads: {len(read_errors)} ({', '.join(sorted(set(read_errors)))})")
    if failures:
        print(f"push failures: {len(failures)}; first: {failures[0]}")
        for line in errors:
            print(f"  server: {line}")


if __name__ == "__main__":
    sys.exit(main())
