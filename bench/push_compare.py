"""Push cost of this checkout against another, side by side in the same minutes.

Starts two servers as ``make run`` serves them (gunicorn), each on a temporary SQLite
database of its own: one from ``--root`` (another checkout, e.g. an earlier commit in a
``git worktree``), one from this checkout. One client then sends the same pushes of 100
new accidents to both in turn, alternating which goes first, and finally pulls both back
page by page, again in turn. Each server times its own requests in the thread that
serves them (wall and thread CPU time, by a WSGI wrapper in this file), so the client's
share and the machine's moods fall on both alike. ``--block N`` sends N pushes in a row
to one side before the other's turn: a server busy with back-to-back pushes, as in
``sync_bench.py``, where the default (1) leaves each idle while the other works.

It prints, per side, the medians of client wall time, server wall time and server CPU
time per push and per pull page, the mean of the serving thread's minor page faults (kernel
work that neither instruction counts nor system-call counts see), and the ratio of this
checkout against the other. On a 2-core virtual machine whose speed moves by tens of
percent from minute to minute, a difference of one or two percent shows here where the
CouchDB-style ratio of ``sync_bench.py`` cannot resolve it.

    .venv/bin/python bench/push_compare.py --root /path/to/other/checkout
                                           [--pushes 300] [--devices 10] [--block 1]

The other checkout needs its own ``.venv`` (a symlink to this one's will do when the
dependencies are the same).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import orjson

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sync_bench import Http, free_port, login, make_ops, server_env  # noqa: E402

# Run by each checkout's own interpreter: its schema, its users.
SET_UP = """
import os, sys
sys.path.insert(0, os.getcwd())
from server import create_app
from server.cli import init_database, make_user
from server.extensions import db
app = create_app()
with app.app_context():
    init_database()
    for i in range(int(os.environ["BENCH_DEVICES"])):
        make_user(f"bench-{i}", "agent", "bench-wachtwoord", "bench")
    db.session.commit()
"""


def timed_app(app: Any, log_path: str) -> Any:
    """``app`` writing, per request, its wall and thread CPU milliseconds and the thread's
    minor page faults to ``log_path``."""
    log = open(log_path, "a", buffering=1)  # noqa: SIM115  (open for the process's life)

    def wrapper(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        wall, cpu = time.perf_counter(), time.thread_time()
        faults = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
        body = b"".join(app(environ, start_response))
        faults = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - faults
        log.write(f"{environ.get('PATH_INFO')} {(time.perf_counter() - wall) * 1000:.4f} "
                  f"{(time.thread_time() - cpu) * 1000:.4f} {faults}\n")
        return [body]

    return wrapper


def make_app() -> Any:
    """The WSGI entry point each server runs (``push_compare:make_app()``)."""
    from server.wsgi import app

    return timed_app(app, os.environ["BENCH_TIMING_LOG"])


def start(root: str, tmp: str, name: str, devices: int) -> tuple[subprocess.Popen[bytes],
                                                                   int, str]:
    folder = os.path.join(tmp, name)
    os.makedirs(folder)
    log = os.path.join(folder, "timing.log")
    env = {**server_env(f"sqlite:///{folder}/bench.db", folder),
           "BENCH_DEVICES": str(devices), "BENCH_TIMING_LOG": log}
    python = os.path.join(root, ".venv", "bin", "python")
    subprocess.run([python, "-c", SET_UP], cwd=root, check=True, capture_output=True,
                   env={**env, "WIJKPOST_SQLITE_CHECKPOINT_THREAD": "0"})
    port = free_port()
    server = subprocess.Popen(
        [os.path.join(root, ".venv", "bin", "gunicorn"), "--pythonpath",
         os.path.dirname(os.path.abspath(__file__)), "--bind", f"127.0.0.1:{port}",
         "push_compare:make_app()"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            Http(port).call("GET", "/health")
            return server, port, log
        except (OSError, RuntimeError):
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"the server of {root} did not start")


def server_times(log: str, path: str) -> tuple[list[float], list[float], list[int]]:
    walls, cpus, faults = [], [], []
    with open(log) as lines:
        for line in lines:
            where, wall, cpu, fault = line.split()
            if where == path:
                walls.append(float(wall))
                cpus.append(float(cpu))
                faults.append(int(fault))
    return walls, cpus, faults


def report(what: str, client: list[list[float]], logs: list[str], path: str) -> None:
    print(f"{what}:")
    medians = []
    for side, (times, log) in enumerate(zip(client, logs, strict=True)):
        walls, cpus, faults = server_times(log, path)
        row = (statistics.median(times), statistics.median(walls), statistics.median(cpus))
        medians.append(row)
        print(f"  {('other', 'this')[side]:5}  client {row[0]:.3f} ms  server {row[1]:.3f} ms  "
              f"server CPU {row[2]:.3f} ms  page faults {statistics.mean(faults):.1f}  "
              f"({len(times)} requests)")
    ratios = [b / a for a, b in zip(*medians, strict=True)]
    first = sum(t < o for o, t in zip(*client, strict=True))
    print(f"  this / other: client {ratios[0]:.3f}, server {ratios[1]:.3f}, "
          f"server CPU {ratios[2]:.3f}; this one faster in {first} of {len(client[0])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the other checkout")
    parser.add_argument("--pushes", type=int, default=300, help="pushes of 100 ops each")
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--block", type=int, default=1,
                        help="pushes in a row to one side before the other's turn")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = [start(os.path.abspath(args.root), tmp, "other", args.devices),
                   start(HERE, tmp, "this", args.devices)]
        try:
            ports = [port for _, port, _ in started]
            devices = [[login(port, f"bench-{i}") for i in range(args.devices)]
                       for port in ports]
            pushes: list[list[float]] = [[], []]
            block = max(1, args.block)
            for first in range(0, args.pushes, block):
                turns = range(first, min(first + block, args.pushes))
                for side in ((0, 1) if first // block % 2 == 0 else (1, 0)):
                    # ``block`` pushes in a row to one side: a busy server, as in
                    # sync_bench; 1 leaves each server idle while the other works
                    for turn in turns:
                        client, device_id = devices[side][turn % args.devices]
                        # the same accidents for both sides (a generator seeded per turn)
                        body = orjson.dumps(
                            {"ops": make_ops(device_id, 100, random.Random(turn))})
                        began = time.perf_counter()
                        answer = orjson.loads(client.send("POST", "/api/sync/push", body))
                        pushes[side].append((time.perf_counter() - began) * 1000)
                        if any(r["status"] != "applied" for r in answer["results"]):
                            raise RuntimeError(f"unexpected results: {answer['results'][:2]}")
            pages: list[list[float]] = [[], []]
            readers = [login(port, "bench-0")[0] for port in ports]
            cursors: list[str | None] = [None, None]
            more = [True, True]
            page = 0
            while any(more):
                for side in ((0, 1) if page % 2 == 0 else (1, 0)):
                    if more[side]:
                        since = f"&since={cursors[side]}" if cursors[side] else ""
                        began = time.perf_counter()
                        reply = readers[side].call("GET", f"/api/sync/pull?limit=100{since}")
                        pages[side].append((time.perf_counter() - began) * 1000)
                        cursors[side], more[side] = reply["cursor"], reply["more"]
                page += 1
        finally:
            for server, _, _ in started:
                server.terminate()
                server.wait()
        logs = [log for _, _, log in started]
        print(f"other: {os.path.abspath(args.root)}; this: {HERE}")
        report("push of 100 new accidents", pushes, logs, "/api/sync/push")
        report("pull page of 100 changes", pages, logs, "/api/sync/pull")


if __name__ == "__main__":
    main()
