"""Review list over 100,000 submitted registrations of one team: time per page.

Fills a temporary SQLite database (or DATABASE_URL, whose schema it drops and recreates)
with one team's submitted VOR registrations, inserted in bulk with distinct submission
times, each with a location around Utrecht (in the spatial index as its job puts it there),
a street, a place and a narrative naming a surname and where it happened. Then the team
leader walks the list page by page through the app (WSGI, in process), and the script
prints p50/p95 of the time per page for the first and the last pages of each walk:

- the whole queue (``order=waiting``);
- searched (``q``) for a rare, a medium and a common term, in both orders, through the
  full-text index and, in the same process, through the LIKE scan the list used before
  (the baseline, swapped in for its walks; ``--no-like`` skips it), with the ratios
  LIKE / index and a check that both found the same registrations;
- within an area (``area``): a wijk holding about a third of the registrations and a
  small area of attention, alone and with a search term, and a check of the wijk's
  registrations against shapely.

Times are wall clock; on SQLite also the CPU time of this process, which holds all of a
page's work and hardly moves when other work shares the machine. The scheduler and the
audit chainer thread are off, and on SQLite a read's audit event is not fsynced
(``--audit-sync full`` puts that back: an fsync per page, which hides the query).

    .venv/bin/python bench/queue_bench.py [--rows 100000] [--limit 50] [--edge 20]
                                          [--no-like] [--audit-sync normal|full]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
PASSWORD = "bench-wachtwoord"
FAST = {"WIJKPOST_ARGON2_TIME_COST": "1", "WIJKPOST_ARGON2_MEMORY_KIB": "1024",
        "WIJKPOST_SQLITE_CHECKPOINT_THREAD": "0", "WIJKPOST_RATELIMIT_STORAGE": "memory://",
        # the read events wait in the pending store: no thread outlives the run's files
        "WIJKPOST_AUDIT_CHAINER_THREAD": "0", "WIJKPOST_SCHEDULER": "0"}

SURNAMES = ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser",
            "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
            "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "Müller")  # 5 % each
PLACES = ("bij het stoplicht", "op de rotonde", "bij de oversteekplaats", "op de kruising",
          "in de bocht")  # 20 % each
STREETS = tuple(f"{name}straat" for name in (
    "Oude", "Nieuwe", "Lange", "Korte", "Hoge", "Lage", "Brede", "Smalle", "Ooster",
    "Wester")) + ("Oudegracht", "Nobelstraat", "Biltstraat", "Amsterdamsestraatweg")
# (term, what it finds): every word is the start of a word in the data and nowhere else
# inside one, so the LIKE scan and the index find the same registrations
TERMS = (("nummer 99999", "1 registration"), ("visser rotonde", "1 %"),
         ("stoplicht", "20 %"))
LAT, LON = 52.0907, 5.1214  # the Domtoren
SPREAD_M = 3000


def _offset(north_m: float, east_m: float) -> tuple[float, float]:
    return (LAT + north_m / 111_250.0,
            LON + east_m / (111_320.0 * math.cos(math.radians(LAT))))


def _polygon(corners_m: list[tuple[float, float]]) -> dict[str, Any]:
    ring = [list(reversed(_offset(n, e))) for n, e in corners_m]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


# a hexagon west of the centre (about a third of the points) and a small triangle
WIJK = _polygon([(-2500, -3000), (-2500, -500), (0, 500), (2500, -500), (2500, -3000),
                 (0, -3200)])
ATTENTION = _polygon([(0, 0), (0, 600), (500, 300)])


def fill(rows: int) -> tuple[int, int]:
    """The registrations, users and the two areas; returns the areas' ids."""
    from sqlalchemy import text

    from server import create_app, search, spatial
    from server.areas import store as areas
    from server.bulk import insert, rows_many
    from server.cli import init_database, make_user
    from server.extensions import db
    from server.geo import to_rd_many
    from server.models import Registration

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
        for first in range(0, rows, 5000):
            batch, located = [], []
            points = [_offset(rng.uniform(-SPREAD_M, SPREAD_M), rng.uniform(-SPREAD_M, SPREAD_M))
                      for _ in range(first, min(rows, first + 5000))]
            for index, (lat, lon), (x, y) in zip(range(first, min(rows, first + 5000)), points,
                                                 to_rd_many(points), strict=True):
                at = start + timedelta(seconds=index)
                data = {"street": STREETS[index % len(STREETS)], "place": "Utrecht",
                        "location": {"lat": lat, "lon": lon, "accuracy": 8},
                        "narrative": f"Aanrijding nummer {index} {PLACES[index % 5]}. "
                                     f"Betrokkene {SURNAMES[(index // 5) % 20]} verklaart "
                                     "dat het licht op groen stond."}
                record_id = str(uuid.uuid4())
                batch.append((record_id, "vor", "submitted", 1, leader.team_id, agent.id,
                              data, {}, [], [], None, 0, lat, lon, 8.0, x, y, at, at,
                              # submitted in another order than created
                              start + timedelta(seconds=(index * 7919) % rows)))
                located.append((record_id, x, y, at.timestamp() / 86400, leader.team_id))
            insert(Registration.__table__, columns, batch)
            if spatial.on_sqlite():
                rows_many("INSERT INTO rtree_registrations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          spatial.tree_rows(located))
            db.session.commit()
        # Loaded around the push, so no change log entries: the search index is filled
        # as `flask search-index` fills it (PostgreSQL's triggers indexed each row).
        search.rebuild(db.session.connection())
        db.session.commit()
        wijk = areas.create(areas.check_feature({
            "type": "Feature", "geometry": WIJK, "properties": {
                "name": "Bench West", "kind": "wijk", "team": leader.team_id}}))
        attention = areas.create(areas.check_feature({
            "type": "Feature", "geometry": ATTENTION, "properties": {
                "name": "Bench aandacht", "kind": "attention", "team": leader.team_id}}))
        db.session.commit()
        found = wijk.id, attention.id
        if db.engine.dialect.name == "postgresql":
            # as autovacuum leaves a table some time after a load: statistics for the
            # planner, the visibility map for index-only counts (waiting_count)
            with db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        db.engine.dispose()
    return found


def _stats(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  (n={len(ms)})"


def _p50(times: list[float]) -> float:
    return statistics.median(times)


def like_scan(q: str) -> Any:
    """The list's search before the full-text index: every word in one of the searched
    fields, a LIKE scan of the caller's teams, row by row."""
    from sqlalchemy import and_, func, or_, true

    from server.models import Registration
    from server.narrowing import Narrowing

    clauses = []
    for word in q.split()[:8]:
        pattern = "%" + word.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
        clauses.append(or_(*(func.lower(Registration.data[f].as_string()).like(
            pattern, escape="\\") for f in ("narrative", "street", "place"))))
    return Narrowing(and_(*clauses) if clauses else true())


@contextmanager
def like() -> Any:
    from server import search

    indexed = search.narrowing
    search.narrowing = like_scan  # type: ignore[assignment]
    try:
        yield
    finally:
        search.narrowing = indexed  # type: ignore[assignment]


class Walker:
    def __init__(self, limit: int, edge: int) -> None:
        from server import create_app

        self.app = create_app({"RATELIMIT_ENABLED": False})
        self.client = self.app.test_client()
        login = self.client.post("/api/auth/login", json={
            "username": "leider", "password": PASSWORD, "device_name": "bench"}).get_json()
        self.headers = {"Authorization": f"Bearer {login['token']}"}
        self.limit, self.edge = limit, edge
        # SQLite runs inside this process: its CPU time is the work of a page, whatever
        # else the machine does meanwhile
        self.in_process = os.environ["DATABASE_URL"].startswith("sqlite")

    def walk(self, **query: Any) -> Walk:
        """Every page of the list with ``query``."""
        walk = Walk([], [], [], None)
        cursor = None
        while True:
            params = {"limit": self.limit, **query, **({"cursor": cursor} if cursor else {})}
            began, cpu = time.perf_counter(), time.process_time()
            response = self.client.get("/api/registrations", query_string=params,
                                       headers=self.headers)
            walk.wall.append(time.perf_counter() - began)
            walk.cpu.append(time.process_time() - cpu)
            body = response.get_json()
            assert response.status_code == 200, body
            walk.first = walk.first or body
            walk.ids += [r["id"] for r in body["items"]]
            cursor = body["cursor"]
            if not body["more"]:
                return walk

    def report(self, label: str, walk: Walk) -> None:
        print(f"{label}: {len(walk.ids)} found, {len(walk.wall)} pages, "
              f"total {sum(walk.wall):.2f} s")
        edge = min(self.edge, len(walk.wall))
        for name, times in (("wall", walk.wall), ("CPU ", walk.cpu if self.in_process
                                                  else None)):
            if times is not None:
                print(f"    {name} first {edge:3} pages {_stats(times[:self.edge])}")
                print(f"    {name} last  {edge:3} pages {_stats(times[-self.edge:])}")


@dataclass
class Walk:
    wall: list[float]  # seconds per page, as the client waited
    cpu: list[float]  # CPU seconds per page of this process (all of it on SQLite)
    ids: list[str]
    first: dict[str, Any] | None


def _ratios(baseline: Walk, indexed: Walk, in_process: bool) -> str:
    parts = []
    for name, base, new in (("wall", baseline.wall, indexed.wall),
                            ("CPU", baseline.cpu, indexed.cpu)):
        if name == "CPU" and not in_process:
            continue
        parts.append(f"{name} p50 {_p50(base) / _p50(new):.1f}x, first page "
                     f"{base[0] / new[0]:.1f}x, last page {base[-1] / new[-1]:.1f}x")
    return "; ".join(parts)


def run(limit: int, edge: int, areas: tuple[int, int], like_pages: bool) -> None:
    walker = Walker(limit, edge)
    # warm-up, not counted: the first request of a process loads what every later one reuses
    walker.client.get("/api/registrations", query_string={"limit": limit, "order": "waiting"},
                      headers=walker.headers)
    walk = walker.walk(order="waiting")
    assert walk.first is not None
    print(f"\nqueue (order=waiting, waiting_count={walk.first['waiting_count']}, "
          f"{limit} a page)")
    walker.report("  whole queue", walk)

    print("\nsearch (q): full-text index against the LIKE scan, same process")
    for order in ("waiting", "newest"):
        for term, share in TERMS:
            walk = walker.walk(order=order, q=term)
            walker.report(f"  order={order} q={term!r} ({share}), index", walk)
            if like_pages:
                with like():
                    baseline = walker.walk(order=order, q=term)
                walker.report(f"  order={order} q={term!r} ({share}), LIKE ", baseline)
                same = ("same registrations" if baseline.ids == walk.ids
                        else "DIFFERENT registrations")
                print(f"    LIKE / index: {_ratios(baseline, walk, walker.in_process)}; "
                      f"{same}")

    print("\narea (area=<id>)")
    wijk, attention = areas
    for area, name in ((wijk, "wijk, ~1/3"), (attention, "attention, small")):
        walker.report(f"  order=waiting area={name}", walker.walk(order="waiting", area=area))
        walker.report(f"  order=waiting area={name} q='rotonde'",
                      walker.walk(order="waiting", area=area, q="rotonde"))
    _check_area(walker, wijk)


def _check_area(walker: Walker, area: int) -> None:
    """The wijk's registrations are exactly those whose point shapely puts inside it."""
    import shapely

    from server.extensions import db
    from server.models import Area, Registration

    ids = walker.walk(order="waiting", area=area).ids
    with walker.app.app_context():
        shape = shapely.from_wkb(db.session.get(Area, area).geometry_rd)
        inside = {r.id for r in db.session.query(Registration.id, Registration.rd_x,
                                                 Registration.rd_y)
                  if shapely.intersects_xy(shape, r.rd_x, r.rd_y)}
    print(f"  area check: {len(ids)} listed, {len(inside)} inside by shapely, "
          f"{'the same' if set(ids) == inside and len(ids) == len(inside) else 'DIFFERENT'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--edge", type=int, default=20, help="pages counted as first/last")
    parser.add_argument("--no-like", action="store_true", help="skip the LIKE baseline")
    parser.add_argument("--audit-sync", choices=("normal", "full"), default="normal",
                        help="WIJKPOST_AUDIT_PENDING_SYNC on SQLite; full (the default of a "
                             "server) adds an fsync to every page, which hides the query")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**FAST, "WIJKPOST_INSTANCE": tmp, "WIJKPOST_AUDIT_PENDING_SYNC": args.audit_sync,
               "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"}
        os.environ.update(env)
        began = time.perf_counter()
        areas = fill(args.rows)
        print(f"inserted {args.rows} registrations in {time.perf_counter() - began:.1f} s "
              f"({env['DATABASE_URL'].split(':')[0]})")
        # The loader's garbage, not the server's: left, a full collection of it would land
        # in one measured page (about 80 ms on SQLite).
        gc.collect()
        run(args.limit, args.edge, areas, not args.no_like)


if __name__ == "__main__":
    main()
