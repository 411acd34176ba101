"""Export of 100,000 accident registrations: time and peak memory, csv and bron.

Fills a temporary SQLite database (or DATABASE_URL, whose schema it drops and recreates)
with one team's VOR registrations, inserted in bulk (about 1.5 KB of data each: two
parties with the personal fields BRON carries, a witness), each with its first revision
as a push writes it. Then each format is exported in a fresh subprocess, through the app
(WSGI, in process) as the team leader, reading the streamed body chunk by chunk as a
client would; it prints the wall time, the CPU seconds the export took, the bytes, and
the peak resident memory of that process before and after the export (ru_maxrss). With
--tracemalloc a second run per format reports the peak of Python's own allocations during
the export (slower).

    .venv/bin/python bench/export_bench.py [--rows 100000] [--formats csv,bron]
                                           [--tracemalloc]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
PASSWORD = "bench-wachtwoord"
FAST = {"WIJKPOST_ARGON2_TIME_COST": "1", "WIJKPOST_ARGON2_MEMORY_KIB": "1024",
        "WIJKPOST_SQLITE_CHECKPOINT_THREAD": "0", "WIJKPOST_RATELIMIT_STORAGE": "memory://"}


def accident(rng: random.Random, index: int) -> dict[str, Any]:
    return {
        "occurred_at": f"2026-{1 + index % 12:02d}-{1 + index % 28:02d}T"
                       f"{index % 24:02d}:{index % 60:02d}:00+01:00",
        "location": {"lat": 52.09 + rng.random() / 50, "lon": 5.12 + rng.random() / 50,
                     "accuracy": 8},
        "street": "Oudegracht", "house_number": str(rng.randint(1, 300)),
        "municipality": "Utrecht", "report_number": f"PL0900-{index:08d}",
        "outcome": rng.choice(["UMS", "UMS", "LET"]), "accident_kind": rng.choice("6789"),
        "built_up_area": "BI", "speed_limit": "50", "light": "1", "road_condition": "1",
        "weather": ["D"], "particulars": ["160", "250"],
        "narrative": "Bij het optrekken voor het verkeerslicht reed partij 2 achterop "
                     "partij 1. Beide bestuurders verklaren hetzelfde. " * 5,
        "parties": [
            {"id": f"p{n}", "object_type": "1", "licence_plate": f"AB-{n}{index % 1000:03d}-C",
             "manoeuvre": rng.choice("24"), "insurer": "Verzekeraar Noord",
             "date_of_birth": f"19{50 + index % 50}-0{1 + n}-1{n}", "sex": "M",
             "licence_valid": True, "licence_categories": ["B"], "alcohol": "G",
             "vehicle_lights": "BR", "name": "J. Jansen", "address": "Dorpsstraat 1"}
            for n in (1, 2)
        ],
        "witnesses": [{"id": "w1", "name": "J. de Getuige", "phone": "0612345678"}],
    }


def fill(rows: int) -> None:
    """Create the schema, a team with a leader, and ``rows`` registrations in bulk."""
    from sqlalchemy import text

    from server import create_app
    from server.bulk import insert
    from server.cli import init_database, make_user
    from server.extensions import db
    from server.geo import to_rd_many
    from server.models import Registration, Revision

    app = create_app()
    rng = random.Random(7)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        init_database()
        leader = make_user("leider", "teamleider", PASSWORD, "Bench")
        agent = make_user("agent", "agent", PASSWORD, "Bench")
        db.session.commit()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        columns = ("id", "type", "status", "rev", "team_id", "created_by_id", "data", "meta",
                   "conflicts", "amendments", "review", "open_conflicts", "lat", "lon",
                   "accuracy", "rd_x", "rd_y", "created_at", "updated_at", "submitted_at")
        for first in range(0, rows, 2000):
            batch, revisions = [], []
            datas = [accident(rng, i) for i in range(first, min(rows, first + 2000))]
            points = to_rd_many([(d["location"]["lat"], d["location"]["lon"]) for d in datas])
            for offset, (data, (x, y)) in enumerate(zip(datas, points, strict=True)):
                at = start + timedelta(seconds=first + offset)
                rid = str(uuid.uuid4())
                batch.append((rid, "vor", "approved", 1, leader.team_id, agent.id, data, {},
                              [], [], None, 0, data["location"]["lat"],
                              data["location"]["lon"], 8.0, x, y, at, at, at))
                revisions.append((rid, 1, agent.id, None, at, None, None, "op", {}))
            insert(Registration.__table__, columns, batch)
            insert(Revision.__table__, ("registration_id", "rev", "author_id", "device_id",
                                        "at", "hlc", "op_id", "kind", "set"), revisions)
            db.session.commit()
        db.engine.dispose()


def measure(fmt: str, traced: bool) -> dict[str, Any]:
    """In this (fresh) process: one export of ``fmt``, consumed as a client would."""
    import tracemalloc

    from server import create_app
    from server.extensions import db

    app = create_app({"RATELIMIT_ENABLED": False})
    client = app.test_client()
    login = client.post("/api/auth/login", json={"username": "leider", "password": PASSWORD,
                                                  "device_name": "bench"}).get_json()
    headers = {"Authorization": f"Bearer {login['token']}"}
    client.get("/api/export?format=csv&to=2000-01-01", headers=headers).get_data()  # warm
    usage = resource.getrusage(resource.RUSAGE_SELF)
    before, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    if traced:
        tracemalloc.start()
    began = time.perf_counter()
    response = client.get(f"/api/export?format={fmt}", headers=headers, buffered=False)
    first_chunk = None
    size = 0
    for chunk in response.iter_encoded():
        if first_chunk is None:
            first_chunk = time.perf_counter() - began
        size += len(chunk)
    response.close()
    elapsed = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {"format": fmt, "status": response.status_code, "rows": response.headers.get(
        "X-Export-Rows"), "seconds": round(elapsed, 2),
        # CPU seconds of this process: steadier than wall time on a shared machine (the
        # database's own work is in it too, SQLite runs in process; PostgreSQL's is not)
        "cpu_s": round(usage.ru_utime + usage.ru_stime - cpu, 2),
        "first_chunk_s": round(first_chunk or 0, 3), "mb": round(size / 1e6, 1),
        "maxrss_before_mb": round(before / 1024, 1),
        "maxrss_after_mb": round(usage.ru_maxrss / 1024, 1)}
    if traced:
        out["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
        tracemalloc.stop()
    with app.app_context():
        db.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,bron")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child's mode
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.traced)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, **FAST, "WIJKPOST_INSTANCE": tmp,
               "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"}
        os.environ.update(env)
        began = time.perf_counter()
        fill(args.rows)
        print(f"inserted {args.rows} registrations in {time.perf_counter() - began:.1f} s "
              f"({env['DATABASE_URL'].split(':')[0]})")
        runs = [(fmt, False) for fmt in args.formats.split(",")]
        if args.tracemalloc:
            runs += [(fmt, True) for fmt in args.formats.split(",")]
        for fmt, traced in runs:
            child = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--measure", fmt]
                + (["--traced"] if traced else []),
                env=env, cwd=ROOT, capture_output=True, text=True, check=True)
            result = json.loads(child.stdout.strip().splitlines()[-1])
            print(" ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
