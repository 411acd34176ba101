"""Push and pull cost of this checkout against another, counted in CPU instructions.

On a virtual machine whose speed moves by tens of percent from minute to minute, timings
cannot show a difference of a few percent between two checkouts. Instructions can: each
checkout runs the same pushes of 100 new accidents, and then a team leader's pull of them
page by page (100 a page), in one process through Flask's test client (the app of
``server.wsgi``, as gunicorn serves it) on a temporary SQLite database, under valgrind's
callgrind, which counts the instructions executed while the pushes (or the pull pages)
run, and nothing before. Two runs of one checkout agree within 0.2 %.

What it leaves out: the HTTP server, the kernel's share (system calls: count them with
``strace -c``), and waits. It is a measure of the work the code does, beside the timings
of ``sync_bench.py`` and ``push_compare.py``, not instead of them.

    .venv/bin/python bench/instructions.py --root /path/to/other/checkout [--pushes 20]

Needs valgrind (``apt-get install valgrind``). The other checkout needs its own ``.venv``
(a symlink to this one's will do when the dependencies are the same).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.dirname(os.path.abspath(__file__))


def child(phase: str, pushes: int) -> None:
    """Run by a checkout's own interpreter in its own folder, under callgrind."""
    import random

    sys.path.insert(0, os.getcwd())
    sys.path.insert(0, BENCH)
    import orjson
    from sync_bench import make_ops, server_env

    random.seed(pushes)  # the ids make_ops draws
    tmp = tempfile.mkdtemp()
    os.environ.update({**server_env(f"sqlite:///{tmp}/bench.db", tmp),
                       "WIJKPOST_SQLITE_CHECKPOINT_THREAD": "0"})
    from server.cli import init_database, make_user
    from server.extensions import db
    from server.wsgi import app  # as gunicorn serves it, with its collector settings

    with app.app_context():
        init_database()
        make_user("bench-0", "agent", "bench-wachtwoord", "bench")
        make_user("bench-leider", "teamleider", "bench-wachtwoord", "bench")
        db.session.commit()
    client = app.test_client()

    def login(name: str) -> tuple[dict[str, str], str]:
        body = client.post("/api/auth/login", json={
            "username": name, "password": "bench-wachtwoord", "device_name": "bench"}
        ).get_json()
        return {"Authorization": f"Bearer {body['token']}"}, body["device_id"]

    agent, device_id = login("bench-0")
    agent["Content-Type"] = "application/json"
    rng = random.Random(1)
    bodies = [orjson.dumps({"ops": make_ops(device_id, 100, rng)}) for _ in range(pushes + 5)]

    def push(body: bytes) -> None:
        assert client.post("/api/sync/push", data=body, headers=agent).status_code == 200

    def counting(on: bool) -> None:
        subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
                       check=True, capture_output=True)

    for body in bodies[:5]:  # warm: caches, first statements prepared
        push(body)
    if phase == "push":
        counting(True)
    for body in bodies[5:]:
        push(body)
    if phase == "push":
        counting(False)
        return
    leader, _ = login("bench-leider")
    cursor = client.get("/api/sync/pull?limit=100", headers=leader).get_json()["cursor"]
    counting(True)
    pages = 0
    while True:
        page = client.get(f"/api/sync/pull?limit=100&since={cursor}", headers=leader)
        pages += 1
        body = page.get_json()
        cursor = body["cursor"]
        if not body["more"]:
            break
    counting(False)
    print(f"pages {pages}")


def count(root: str, phase: str, pushes: int) -> tuple[int, int]:
    """Instructions counted in ``root``'s run of ``phase``, and its units (pushes or
    pull pages)."""
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null",
         os.path.join(root, ".venv", "bin", "python"), os.path.abspath(__file__), "--child",
         phase, "--pushes", str(pushes)],
        cwd=root, capture_output=True, text=True, check=True)
    collected = re.search(r"Collected : (\d+)", run.stderr)
    if collected is None:
        raise RuntimeError(f"no count from {root}: {run.stderr[-500:]}")
    pages = re.search(r"pages (\d+)", run.stdout)
    units = int(pages.group(1)) if pages else pushes
    return int(collected.group(1)), units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="the other checkout")
    parser.add_argument("--pushes", type=int, default=20, help="pushes of 100 ops counted")
    parser.add_argument("--child", choices=["push", "pull"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.pushes)
        return
    if not args.root:
        parser.error("--root is required")
    other = os.path.abspath(args.root)
    print(f"other: {other}; this: {HERE}")
    for phase, unit in (("push", "push of 100 new accidents"),
                        ("pull", "pull page of 100 changes")):
        per = []
        for root in (other, HERE):
            instructions, units = count(root, phase, args.pushes)
            per.append(instructions / units)
        print(f"{unit}: other {per[0] / 1e6:.2f} M instructions, this {per[1] / 1e6:.2f} M; "
              f"this / other {per[1] / per[0]:.3f}")


if __name__ == "__main__":
    main()
