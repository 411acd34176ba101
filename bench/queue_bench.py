"""Review queue over 100,000 submitted registrations of one team: time per page.

Fills a temporary SQLite database (or DATABASE_URL, whose schema it drops and recreates)
with one team's submitted VOR registrations, inserted in bulk with distinct submission
times. Then the team leader walks the whole queue (``order=waiting``) page by page through
the app (WSGI, in process) and the script prints p50/p95 of the time per page for the
first and the last pages, and a search (``q``) page.

    .venv/bin/python bench/queue_bench.py [--rows 100000] [--limit 50] [--edge 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
PASSWORD = "bench-wachtwoord"
FAST = {"WIJKPOST_ARGON2_TIME_COST": "1", "WIJKPOST_ARGON2_MEMORY_KIB": "1024",
        "WIJKPOST_SQLITE_CHECKPOINT_THREAD": "0", "WIJKPOST_RATELIMIT_STORAGE": "memory://"}


def fill(rows: int) -> None:
    from sqlalchemy import text

    from server import create_app
    from server.bulk import insert
    from server.cli import init_database, make_user
    from server.extensions import db
    from server.models import Registration

    app = create_app()
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
                   "conflicts", "amendments", "review", "open_conflicts", "created_at",
                   "updated_at", "submitted_at")
        for first in range(0, rows, 5000):
            batch = []
            for index in range(first, min(rows, first + 5000)):
                at = start + timedelta(seconds=index)
                data = {"street": f"Straat {index % 500}", "municipality": "Utrecht",
                        "narrative": f"Aanrijding nummer {index} bij het stoplicht."}
                batch.append((str(uuid.uuid4()), "vor", "submitted", 1, leader.team_id,
                              agent.id, data, {}, [], [], None, 0, at, at,
                              # submitted in another order than created
                              start + timedelta(seconds=(index * 7919) % rows)))
            insert(Registration.__table__, columns, batch)
            db.session.commit()
        db.engine.dispose()


def _stats(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"p50={statistics.median(ms):.1f} ms p95={p95:.1f} ms (n={len(ms)})"


def walk(limit: int, edge: int) -> None:
    from server import create_app

    app = create_app({"RATELIMIT_ENABLED": False})
    client = app.test_client()
    login = client.post("/api/auth/login", json={"username": "leider", "password": PASSWORD,
                                                  "device_name": "bench"}).get_json()
    headers = {"Authorization": f"Bearer {login['token']}"}
    times: list[float] = []
    cursor, seen, count = None, 0, None
    while True:
        query = {"order": "waiting", "limit": limit, **({"cursor": cursor} if cursor else {})}
        began = time.perf_counter()
        body = client.get("/api/registrations", query_string=query, headers=headers).get_json()
        times.append(time.perf_counter() - began)
        seen += len(body["items"])
        count = body["waiting_count"]
        cursor = body["cursor"]
        if not body["more"]:
            break
    print(f"walked {seen} registrations (waiting_count={count}) in {len(times)} pages "
          f"of {limit}: total {sum(times):.1f} s")
    print(f"first {edge} pages: {_stats(times[:edge])}")
    print(f"last {edge} pages:  {_stats(times[-edge:])}")
    print(f"all pages:       {_stats(times)}")
    searches = []
    for _ in range(10):
        began = time.perf_counter()
        client.get("/api/registrations", query_string={"q": "nummer 99999", "limit": limit},
                   headers=headers)
        searches.append(time.perf_counter() - began)
    print(f"search page (q, LIKE scan): {_stats(searches)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--edge", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**FAST, "WIJKPOST_INSTANCE": tmp,
               "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"}
        os.environ.update(env)
        began = time.perf_counter()
        fill(args.rows)
        print(f"inserted {args.rows} registrations in {time.perf_counter() - began:.1f} s "
              f"({env['DATABASE_URL'].split(':')[0]})")
        walk(args.limit, args.edge)


if __name__ == "__main__":
    main()
