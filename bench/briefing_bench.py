"""Briefing latency: GET /api/briefing over HTTP against the same question asked of PostGIS.

Loads a synthetic country (registrations clustered around 40 towns, each town a team;
areas of attention and notices, half of them on a point with a radius) in two sizes, small
(1 % of the large) and large (by default 1,000,000 registrations and 100,000 areas and
notices), into SQLite (R*Tree) and PostgreSQL (PostGIS), starts the real server (gunicorn)
on each, and times GET /api/briefing for an officer of one town at points spread over
that town. In the same run it asks PostGIS the same question in one SQL statement, checks
that every answer has the same items with distances within 0.5 m (an item whose edge lies
within 0.5 m of the point may be on either side: RD New's straight edges against PostGIS's
spheroidal ones), and prints p50/p95 of each, p95 at the large size against the small,
against the officer's town alone (the same answers without the rest of the country) and
against 1 % of the data holding every item the large briefings showed (the same answers
at a hundredth of the size; that set is also served beside the large one and both are
asked in turn, the large set's PostgreSQL database kept while the smaller sets load into
``<database>_sets``), and the ratio against a naive linear scan (every registration
read, geopy for each of the team's recent ones) for a few queries. PostGIS is asked twice:
planned for each point, and prepared on its generic plan, as the server asks; both are
asked point by point in turn with the server over HTTP, so the machine's changing speed
falls on all three alike.

Loading goes around the application: executemany on SQLite, COPY on PostgreSQL (the GiST
index is built after the copy); everything else the server reads is written as it would.

    python bench/briefing_bench.py --pg postgresql+psycopg://postgres@127.0.0.1/db
                                   [--registrations 1000000] [--places 100000]
                                   [--queries 200] [--naive 3]

The PostgreSQL database's public schema is dropped and created again.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
PASSWORD = "bench-wachtwoord"
TOWNS = 40
NOW = datetime.now(UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_call(port: int, method: str, path: str, body: Any = None,
              token: str | None = None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=orjson.dumps(body) if body is not None else None,
                 headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return orjson.loads(data)


# -- the synthetic country ---------------------------------------------------------------

def towns(rng: np.random.Generator) -> np.ndarray:
    """(lat, lon) of TOWNS towns inside the Netherlands' land area, roughly."""
    lat = rng.uniform(51.5, 53.1, TOWNS)
    lon = rng.uniform(4.6, 6.7, TOWNS)
    lat[0], lon[0] = 52.0907, 5.1214  # the officer's town: Utrecht
    return np.column_stack([lat, lon])


def scatter(rng: np.random.Generator, centres: np.ndarray, count: int, sigma_m: float,
            uniform_share: float) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points: most around a town (normal, ``sigma_m``), some anywhere; and the
    team (town index) of each: its town, or the nearest town for a stray point."""
    around = int(count * (1 - uniform_share))
    town = rng.integers(0, TOWNS, around)
    lat = centres[town, 0] + rng.normal(0, sigma_m / 111_250, around)
    lon = centres[town, 1] + rng.normal(0, sigma_m / 68_500, around)
    stray_lat = rng.uniform(51.5, 53.1, count - around)
    stray_lon = rng.uniform(4.6, 6.7, count - around)
    d = ((stray_lat[:, None] - centres[None, :, 0]) ** 2
         + ((stray_lon[:, None] - centres[None, :, 1]) * 0.62) ** 2)
    points = np.column_stack([np.concatenate([lat, stray_lat]),
                              np.concatenate([lon, stray_lon])])
    return points, np.concatenate([town, d.argmin(axis=1)])


def off_edges(moments: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """Seconds moved an hour away from the given edges: the HTTP runs and the PostGIS run
    happen minutes apart, and a row crossing the 14-day or validity edge in between would
    count as a difference."""
    for edge in edges:
        near = np.abs(moments - edge) < 3600
        moments = np.where(near, moments + 7200, moments)
    return moments


def sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def dataset(rng: np.random.Generator, registrations: int, places: int,
            team_ids: list[int], author_id: int) -> dict[str, Any]:
    """Rows for registrations, areas, notices and notice teams (shared by both databases)."""
    import shapely

    from server.geo import to_rd_many
    from server.spatial_schema import tree_id

    centres = towns(np.random.default_rng(7))
    points, town = scatter(rng, centres, registrations, 3000, 0.3)
    rd = to_rd_many([tuple(p) for p in points])
    ages = off_edges(rng.uniform(0, 365 * 86400, registrations), (14 * 86400,))
    regs = []
    for i in range(registrations):
        rid = str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | int(rng.integers(0, 2**63)),
                            version=4))
        created = NOW - timedelta(seconds=float(ages[i]))
        regs.append((rid, "vor", "submitted", 1, team_ids[town[i]], author_id,
                     float(points[i, 0]), float(points[i, 1]), rd[i][0], rd[i][1], created,
                     tree_id(rid)))

    # areas of attention: squares of 100 to 600 m; notices: a point with a radius, or an area
    area_count = places // 2
    a_points, a_town = scatter(rng, centres, area_count, 5000, 0.3)
    half = rng.uniform(50, 300, area_count)
    dlat, dlon = half / 111_250, half / 68_500
    lat, lon = a_points[:, 0], a_points[:, 1]
    rings = np.stack([np.column_stack([lon - dlon, lat - dlat]),
                      np.column_stack([lon + dlon, lat - dlat]),
                      np.column_stack([lon + dlon, lat + dlat]),
                      np.column_stack([lon - dlon, lat + dlat]),
                      np.column_stack([lon - dlon, lat - dlat])], axis=1)
    flat = rings.reshape(-1, 2)
    rd_flat = np.array(to_rd_many([(p[1], p[0]) for p in flat])).reshape(rings.shape)
    rd_polys = shapely.polygons(rd_flat)
    wkb = shapely.to_wkb(rd_polys)
    bounds = shapely.bounds(rd_polys)
    areas = []
    for i in range(area_count):
        team = None if rng.random() < 0.2 else team_ids[a_town[i]]
        until = None if rng.random() < 0.7 else NOW + timedelta(
            seconds=float(off_edges(np.array([rng.uniform(-30, 30) * 86400]), (0,))[0]))
        geometry = {"type": "Polygon", "coordinates": [rings[i].round(7).tolist()]}
        areas.append((i + 1, f"Gebied {i + 1}", "attention", "Bench", team,
                      NOW - timedelta(days=60), until, geometry, bytes(wkb[i]),
                      float(bounds[i, 0]), float(bounds[i, 2]), float(bounds[i, 1]),
                      float(bounds[i, 3]), a_town[i]))

    notice_count = places - area_count
    n_points, n_town = scatter(rng, centres, notice_count, 5000, 0.3)
    n_rd = to_rd_many([tuple(p) for p in n_points])
    notices, notice_teams = [], []
    for i in range(notice_count):
        nid = i + 1
        start_s = float(off_edges(np.array([rng.uniform(0, 20) * 86400]), (0,))[0])
        life_s = float(off_edges(np.array([rng.uniform(1, 40) * 86400]), (start_s,))[0])
        start, end = NOW - timedelta(seconds=start_s), NOW - timedelta(seconds=start_s - life_s)
        if i % 2:
            area = areas[int(rng.integers(0, area_count))]
            box = area[9:13]
            row = (nid, area[0], None, None, None)
            teams = {area[4]} if area[4] is not None else {team_ids[area[13]]}
        else:
            radius = float(rng.uniform(100, 2000))
            x, y = n_rd[i]
            reach = radius * 1.002 + 1
            box = (x - reach, x + reach, y - reach, y + reach)
            row = (nid, None, float(n_points[i, 0]), float(n_points[i, 1]), radius)
            teams = {team_ids[n_town[i]]}
        notices.append((*row, int(rng.integers(1, 4)), start, end, author_id, *box))
        notice_teams += [(nid, t) for t in teams]
    return {"registrations": regs, "areas": areas, "notices": notices,
            "notice_teams": notice_teams, "centres": centres}


# -- loading -----------------------------------------------------------------------------

def prepare(url: str, instance: str) -> tuple[list[int], int, int]:
    """Migrate, create the teams, the officer and a beheerder; returns (team ids, the
    officer's team id, beheerder id)."""
    os.environ.update({"DATABASE_URL": url, "WIJKPOST_INSTANCE": instance,
                       "WIJKPOST_SQLITE_CHECKPOINT_THREAD": "0",
                       # no job (retention, hotspots, indexes) takes the write lock while
                       # the loader writes around the application, nor beside the queries
                       "WIJKPOST_SCHEDULER": "0",
                       "WIJKPOST_ARGON2_TIME_COST": "1", "WIJKPOST_ARGON2_MEMORY_KIB": "1024"})
    from sqlalchemy import text

    from server import create_app
    from server.cli import ensure_team, init_database, make_user
    from server.extensions import db

    app = create_app()
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        init_database()
        teams = [ensure_team(f"Team {i:02d}").id for i in range(TOWNS)]
        make_user("officer", "agent", PASSWORD, "Team 00")
        admin = make_user("admin", "beheerder", PASSWORD)
        db.session.commit()
        result = (teams, teams[0], admin.id)
        db.session.remove()
        db.engine.dispose()
    return result


def load_sqlite(path: str, data: dict[str, Any]) -> None:
    import sqlite3

    conn = sqlite3.connect(path, timeout=60)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    regs = data["registrations"]
    conn.executemany(
        "INSERT INTO registrations (id, type, status, rev, team_id, created_by_id, data, meta,"
        " conflicts, amendments, review, open_conflicts, lat, lon, accuracy, rd_x, rd_y, "
        "created_at, updated_at, submitted_at) VALUES (?, ?, ?, ?, ?, ?, '{}', '{}', '[]', "
        "'[]', NULL, 0, ?, ?, 10, ?, ?, ?, ?, NULL)",
        sorted((*r[:10], sqlite_time(r[10]), sqlite_time(r[10])) for r in regs))
    # the tree fills faster in spatial order (2 km strips, west to east in each)
    conn.executemany(
        "INSERT INTO rtree_registrations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        sorted(((r[11], r[8], r[8], r[9], r[9], r[10].timestamp() / 86400,
                 r[10].timestamp() / 86400, r[0], r[4]) for r in regs),
               key=lambda row: (int(row[3] // 2000), row[1])))
    now = sqlite_time(NOW)
    conn.executemany(
        "INSERT INTO areas (id, name, kind, reason, team_id, valid_from, valid_until, geometry,"
        " geometry_rd, min_x, max_x, min_y, max_y, rev, created_at, updated_at) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
        [(*a[:5], sqlite_time(a[5]), a[6] and sqlite_time(a[6]), json.dumps(a[7]), *a[8:13],
          now, now) for a in data["areas"]])
    conn.executemany("INSERT INTO rtree_areas VALUES (?, ?, ?, ?, ?)",
                     [(a[0], *a[9:13]) for a in data["areas"]])
    conn.executemany(
        "INSERT INTO notices (id, area_id, lat, lon, radius_m, priority, valid_from, "
        "valid_until, created_by_id, min_x, max_x, min_y, max_y, title, body, send_at, "
        "dispatched_at, rev, created_at, updated_at) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'Mededeling', 'Tekst', ?, ?, 1, ?, ?)",
        [(*n[:6], sqlite_time(n[6]), sqlite_time(n[7]), *n[8:13], sqlite_time(n[6]), now,
          now, now) for n in data["notices"]])
    conn.executemany("INSERT INTO rtree_notices VALUES (?, ?, ?, ?, ?)",
                     [(n[0], *n[9:13]) for n in data["notices"]])
    conn.executemany("INSERT INTO notice_teams VALUES (?, ?)", data["notice_teams"])
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def load_postgres(dsn: str, data: dict[str, Any]) -> None:
    import psycopg

    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("DROP INDEX ix_registrations_geog")
        with cur.copy("COPY registrations (id, type, status, rev, team_id, created_by_id, "
                      "data, meta, conflicts, amendments, open_conflicts, lat, lon, accuracy,"
                      " rd_x, rd_y, created_at, updated_at) FROM STDIN") as copy:
            for r in data["registrations"]:
                copy.write_row((*r[:6], "{}", "{}", "[]", "[]", 0, r[6], r[7], 10, r[8], r[9],
                                r[10], r[10]))
        cur.execute("CREATE INDEX ix_registrations_geog ON registrations USING gist (geog)")
        with cur.copy("COPY areas (id, name, kind, reason, team_id, valid_from, valid_until, "
                      "geometry, geometry_rd, min_x, max_x, min_y, max_y, rev, created_at, "
                      "updated_at) FROM STDIN") as copy:
            for a in data["areas"]:
                copy.write_row((*a[:7], json.dumps(a[7]), *a[8:13], 1, NOW, NOW))
        cur.execute("UPDATE areas SET geog = ST_GeomFromGeoJSON(geometry::text)::geography")
        with cur.copy("COPY notices (id, area_id, lat, lon, radius_m, priority, valid_from, "
                      "valid_until, created_by_id, min_x, max_x, min_y, max_y, title, body, "
                      "send_at, dispatched_at, rev, created_at, updated_at) "
                      "FROM STDIN") as copy:
            for n in data["notices"]:
                copy.write_row((*n, "Mededeling", "Tekst", n[6], NOW, 1, NOW, NOW))
        cur.execute("UPDATE notices n SET cover = a.geog FROM areas a WHERE a.id = n.area_id")
        cur.execute("UPDATE notices SET cover = ST_Buffer(ST_SetSRID(ST_MakePoint(lon, lat), "
                    "4326)::geography, radius_m * 1.01 + 5) WHERE area_id IS NULL")
        with cur.copy("COPY notice_teams (notice_id, team_id) FROM STDIN") as copy:
            for row in data["notice_teams"]:
                copy.write_row(row)
        for table in ("areas", "notices"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")


def hotspots(url: str) -> None:
    """The hotspot job over the loaded data, as the scheduler would run it."""
    from server import create_app
    from server.extensions import db
    from server.hotspots import compute_hotspots

    os.environ["DATABASE_URL"] = url
    app = create_app()
    with app.app_context():
        compute_hotspots()
        db.session.remove()
        db.engine.dispose()


# -- asking ------------------------------------------------------------------------------

POSTGIS_SQL = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS g)
SELECT kind, id, priority, distance FROM (
  SELECT 'notice' AS kind, n.id::text AS id, n.priority,
         CASE WHEN n.area_id IS NULL THEN ST_Distance(
           ST_SetSRID(ST_MakePoint(n.lon, n.lat), 4326)::geography, p.g) ELSE 0 END AS distance
  FROM p, notices n JOIN notice_teams t ON t.notice_id = n.id AND t.team_id = %(team)s
  WHERE ST_Intersects(n.cover, p.g) AND n.valid_from <= now() AND n.valid_until > now()
    AND ((n.area_id IS NULL AND ST_DWithin(ST_SetSRID(ST_MakePoint(n.lon, n.lat), 4326)
                                           ::geography, p.g, n.radius_m))
         OR (n.area_id IS NOT NULL AND ST_Intersects(
               (SELECT geog FROM areas WHERE id = n.area_id), p.g)))
  UNION ALL
  SELECT 'area', a.id::text, 2, 0 FROM p, areas a
  WHERE ST_Intersects(a.geog, p.g) AND a.kind = 'attention'
    AND (a.team_id = %(team)s OR a.team_id IS NULL) AND a.valid_from <= now()
    AND (a.valid_until IS NULL OR a.valid_until > now())
  UNION ALL
  SELECT 'hotspot', h.id, 3, GREATEST(0, ST_Distance(
           ST_SetSRID(ST_MakePoint(h.lon, h.lat), 4326)::geography, p.g) - h.radius_m)
  FROM p, hotspots h WHERE h.team_id = %(team)s AND ST_DWithin(
    ST_SetSRID(ST_MakePoint(h.lon, h.lat), 4326)::geography, p.g, %(radius)s + h.radius_m)
  UNION ALL
  SELECT 'registration', r.id, 3, ST_Distance(r.geog, p.g) FROM p, registrations r
  WHERE ST_DWithin(r.geog, p.g, %(radius)s) AND r.team_id = %(team)s
    AND r.created_at >= now() - interval '14 days'
) items ORDER BY priority, distance, kind, id LIMIT 50
"""


def query_points(rng: np.random.Generator, centre: np.ndarray, count: int) -> list[tuple]:
    return [(float(centre[0] + rng.normal(0, 2500 / 111_250)),
             float(centre[1] + rng.normal(0, 2500 / 68_500))) for _ in range(count)]


def serve(url: str, instance: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    # Without its scheduled jobs, as sync_bench.py serves: hotspots() ran the hotspot job
    # already, and the scheduler would run it again a second after the start, clustering
    # the whole country while the briefings are timed.
    env = {**os.environ, "DATABASE_URL": url, "WIJKPOST_INSTANCE": instance,
           "WIJKPOST_SQLITE_CHECKPOINT_THREAD": "1", "WIJKPOST_SCHEDULER": "0"}
    server = subprocess.Popen([GUNICORN, "--bind", f"127.0.0.1:{port}", "server.wsgi:app"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=ROOT)
    for _ in range(200):
        try:
            http_call(port, "GET", "/health")
            return server, port
        except (OSError, RuntimeError):
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("server did not start")


def login(port: int) -> str:
    return http_call(port, "POST", "/api/auth/login", {
        "username": "officer", "password": PASSWORD, "device_name": "bench"})["token"]


def in_turn(ways: dict[str, Any], points: list[tuple]
            ) -> tuple[dict[str, list[float]], dict[str, list[list[tuple]]]]:
    """Each point asked every way, in an order that changes from point to point: this
    machine's speed moves by tens of percent from one minute to the next, and asked in
    the same moments, every way sees the same moods."""
    times: dict[str, list[float]] = {name: [] for name in ways}
    answers: dict[str, list[list[tuple]]] = {name: [] for name in ways}
    names = list(ways)
    for number, (lat, lon) in enumerate(points):
        for name in names[number % len(names):] + names[:number % len(names)]:
            started = time.perf_counter()
            answer = ways[name](lat, lon)
            times[name].append(time.perf_counter() - started)
            answers[name].append(answer)
    return times, answers


def postgis_connection(dsn: str, mode: str = "force_custom_plan") -> Any:
    """``mode``: ``force_custom_plan`` plans the statement for each point, as a question
    asked once; ``auto`` is PostgreSQL's default for a prepared statement, which here
    settles on one generic plan after five runs, as the server's query runs."""
    import psycopg

    connection = psycopg.connect(dsn, autocommit=True)
    connection.execute(f"SET plan_cache_mode = {mode}")
    return connection


def ask_http(port: int, token: str, lat: float, lon: float) -> list[tuple]:
    body = http_call(port, "GET", f"/api/briefing?lat={lat:.7f}&lon={lon:.7f}", token=token)
    return [(i["kind"], str(i["id"]), i["distance_m"]) for i in body["items"]]


def ask_postgis(connection: Any, team: int, lat: float, lon: float) -> list[tuple]:
    rows = connection.execute(POSTGIS_SQL, {"lat": lat, "lon": lon, "team": team,
                                            "radius": 500}, prepare=True).fetchall()
    return [(k, i, float(d)) for k, i, _, d in rows]


def ask(port: int, dsn: str | None, team: int | None, points: list[tuple]
        ) -> tuple[dict[str, list[float]], dict[str, list[list[tuple]]]]:
    """The same points asked over HTTP (``http``) and, with a ``dsn``, of PostGIS directly
    (``planned`` for each point, and ``prepared`` on its generic plan), in turn."""
    ways: dict[str, Any] = {"http": functools.partial(ask_http, port, login(port))}
    connections = []
    if dsn:
        for name, mode in (("planned", "force_custom_plan"), ("prepared", "auto")):
            connections.append(postgis_connection(dsn, mode))
            ways[name] = functools.partial(ask_postgis, connections[-1], team)
    try:
        return in_turn(ways, points)
    finally:
        for connection in connections:
            connection.close()


def naive_scan(path: str, team: int, points: list[tuple]) -> list[float]:
    """Every registration read and checked with geopy (the team's recent ones): the
    briefing's registrations without an index, as a baseline."""
    import sqlite3

    from geopy.distance import geodesic

    times = []
    cutoff = sqlite_time(NOW - timedelta(days=14))
    for lat, lon in points:
        started = time.perf_counter()
        conn = sqlite3.connect(path)
        found = []
        for rid, r_lat, r_lon, r_team, created in conn.execute(
                "SELECT id, lat, lon, team_id, created_at FROM registrations"):
            if r_team == team and created >= cutoff:
                distance = geodesic((lat, lon), (r_lat, r_lon)).meters
                if distance <= 500:
                    found.append((distance, rid))
        found.sort()
        conn.close()
        times.append(time.perf_counter() - started)
    return times


# How far a point lies from an item's edge (metres, PostGIS): its area's boundary, its
# circle, or the briefing's radius. Within 0.5 m of one, RD New's straight edges and
# PostGIS's spheroidal ones may put the point on either side, as distances may differ.
EDGE_SQL = {
    "area": "SELECT ST_Distance(ST_Boundary(geog::geometry)::geography, p) FROM areas, "
            "(SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS p) q "
            "WHERE id = %(id)s::int",
    "notice": "SELECT CASE WHEN n.area_id IS NULL THEN abs(ST_Distance(ST_SetSRID("
              "ST_MakePoint(n.lon, n.lat), 4326)::geography, p) - n.radius_m) ELSE "
              "ST_Distance(ST_Boundary(a.geog::geometry)::geography, p) END FROM notices n "
              "LEFT JOIN areas a ON a.id = n.area_id, (SELECT ST_SetSRID(ST_MakePoint("
              "%(lon)s, %(lat)s), 4326)::geography AS p) q WHERE n.id = %(id)s::int",
    "registration": "SELECT abs(ST_Distance(geog, ST_SetSRID(ST_MakePoint(%(lon)s, "
                    "%(lat)s), 4326)::geography) - 500) FROM registrations WHERE id = %(id)s",
}


def compare(name: str, got: list[list[tuple]], expected: list[list[tuple]],
            points: list[tuple], dsn: str) -> tuple[int, int]:
    """Queries whose items differ or whose distances differ by more than 0.5 m, and of
    the others those that differ only by items within 0.5 m of their edge."""
    import psycopg

    bad = edge = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        for mine, theirs, (lat, lon) in zip(got, expected, points, strict=True):
            a = {(k, i): d for k, i, d in mine}
            b = {(k, i): d for k, i, d in theirs}
            if any(abs(a[key] - b[key]) > 0.5 for key in set(a) & set(b)):
                bad += 1
                continue
            only = set(a) ^ set(b)
            if not only:
                continue
            near = [kind in EDGE_SQL and conn.execute(
                EDGE_SQL[kind], {"lat": lat, "lon": lon, "id": key}).fetchone()[0] <= 0.5
                for kind, key in only]
            if all(near):
                edge += 1
                continue
            bad += 1
            if bad <= 3:
                print(f"  {name} differs: only here {sorted(set(a) - set(b))[:3]}, "
                      f"only in PostGIS {sorted(set(b) - set(a))[:3]}")
    return bad, edge


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


def town_alone(data: dict[str, Any], team: int) -> dict[str, Any]:
    """What of ``data`` the officer's team can see, nothing of the rest of the country:
    its registrations, the notices for it, the areas of its town and those notices name."""
    notices = {n for n, t in data["notice_teams"] if t == team}
    kept = [n for n in data["notices"] if n[0] in notices]
    named = {n[1] for n in kept if n[1] is not None}
    return {"registrations": [r for r in data["registrations"] if r[4] == team],
            "areas": [a for a in data["areas"] if a[13] == 0 or a[0] in named],
            "notices": kept,
            "notice_teams": [(n, t) for n, t in data["notice_teams"] if n in notices],
            "centres": data["centres"]}


def same_answers(data: dict[str, Any], large: dict[str, Any], registrations: int,
                 places: int, team: int) -> dict[str, Any]:
    """``registrations`` registrations and ``places`` areas and notices of the officer's
    town: every one the large run's briefings showed, the rest drawn from the town."""
    shown = {(kind, item) for name in ("sqlite", "postgresql") if name in large
             for answer in large[name][1] for kind, item, _ in answer}
    rng = np.random.default_rng(3)
    town = town_alone(data, team)

    # the hotspot job clusters the registrations of its window: all of those stay, so the
    # hotspots come out the same
    recent = NOW - timedelta(days=int(os.environ.get("WIJKPOST_HOTSPOT_DAYS", "28")))

    def pick(rows: list[tuple], kind: str, count: int, keep: set[Any] = frozenset()
             ) -> list[tuple]:
        """The rows shown (or in ``keep``), and others drawn up to ``count`` in all."""
        def needed(row: tuple) -> bool:
            return ((kind, str(row[0])) in shown or row[0] in keep
                    or (kind == "registration" and row[10] >= recent))
        wanted = [r for r in rows if needed(r)]
        rest = [r for r in rows if not needed(r)]
        extra = max(0, count - len(wanted))
        chosen = rng.choice(len(rest), size=min(extra, len(rest)), replace=False)
        return wanted + [rest[int(i)] for i in chosen]

    regs = pick(town["registrations"], "registration", registrations)
    # the shown notices, and notices on a point drawn (one on an area needs its area too)
    notices = pick([n for n in town["notices"]
                    if n[1] is None or ("notice", str(n[0])) in shown], "notice", places // 2)
    named = {n[1] for n in notices if n[1] is not None}
    # the areas shown or named, and others drawn
    areas = pick(town["areas"], "area", places - len(notices), keep=named)
    kept = {n[0] for n in notices}
    return {"registrations": regs, "areas": areas, "notices": notices,
            "notice_teams": [(n, t) for n, t in town["notice_teams"] if n in kept],
            "centres": data["centres"]}


def run_size(label: str, registrations: int, places: int, pg: str | None, queries: int,
             naive: int, tmp: str, given: Any = None) -> dict[str, Any]:
    """Load a country (or, with ``given``, a function of the officer's team id making the
    data) into each database and time its briefings."""
    if given is None:
        print(f"\n== {label}: {registrations:,} registrations, {places:,} areas and notices ==")
    rng = np.random.default_rng(11)
    results: dict[str, Any] = {}
    sqlite_path = os.path.join(tmp, f"{label}.db")
    urls = {"sqlite": f"sqlite:///{sqlite_path}"}
    if pg:
        urls["postgresql"] = pg
    data = None
    for kind, url in urls.items():
        instance = os.path.join(tmp, f"{label}-{kind}")
        teams, team, admin = prepare(url, instance)
        started = time.perf_counter()
        if data is None and given is not None:
            data = given(team)
            print(f"\n== {label}: {len(data['registrations']):,} registrations, "
                  f"{len(data['areas']) + len(data['notices']):,} areas and notices ==")
        elif data is None:
            data = dataset(rng, registrations, places, teams, admin)
            print(f"  generated in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
        if kind == "sqlite":
            load_sqlite(sqlite_path, data)
        else:
            load_postgres(pg.replace("postgresql+psycopg", "postgresql"), data)  # type: ignore[union-attr]
        hotspots(url)
        print(f"  {kind}: loaded in {time.perf_counter() - started:.1f} s")
        points = query_points(np.random.default_rng(5), data["centres"][0], queries)
        dsn = None
        if kind == "postgresql":
            dsn = pg.replace("postgresql+psycopg", "postgresql")  # type: ignore[union-attr]
        server, port = serve(url, instance)
        try:
            ask(port, dsn, team, points[:20])  # warm-up: connections, caches, PROJ, plans
            times, answers = ask(port, dsn, team, points)
        finally:
            server.terminate()
            server.wait(10)
        results[kind] = (times["http"], answers["http"])
        results["team"], results["points"] = team, points
        results.setdefault("served", {})[kind] = (url, instance, team)
        print(f"  {kind} over HTTP: p50 {pct(results[kind][0], 50):.2f} ms, "
              f"p95 {pct(results[kind][0], 95):.2f} ms, "
              f"{statistics.mean(len(a) for a in results[kind][1]):.1f} items a query")
        if dsn:
            results["postgis"] = (times["planned"], answers["planned"])
            results["prepared"] = (times["prepared"], answers["prepared"])
    if pg:
        dsn = pg.replace("postgresql+psycopg", "postgresql")
        prepared, times = results["prepared"][0], results["postgis"][0]
        answers = results["postgis"][1]
        print(f"  PostGIS directly, prepared (generic plan), asked in turn with HTTP: "
              f"p50 {pct(prepared, 50):.2f} ms, p95 {pct(prepared, 95):.2f} ms")
        print(f"  PostGIS directly, planned per point, asked in turn with HTTP: "
              f"p50 {pct(times, 50):.2f} ms, p95 {pct(times, 95):.2f} ms")
        for kind in ("sqlite", "postgresql"):
            bad, edge = compare(kind, results[kind][1], answers, results["points"], dsn)
            print(f"  answers {kind} vs PostGIS: {len(answers) - bad}/{len(answers)} the same"
                  + (f" ({edge} of them differ only by an item within 0.5 m of its edge)"
                     if edge else ""))
        http95 = pct(results["postgresql"][0], 95)
        print(f"  p95 HTTP (PostgreSQL) / p95 PostGIS directly: {http95 / pct(times, 95):.2f}x "
              f"planned per point, {http95 / pct(prepared, 95):.2f}x prepared (goal <= 2x)")
    if naive:
        naive_times = naive_scan(sqlite_path, results["team"], results["points"][:naive])
        results["naive"] = naive_times
        speedup = statistics.median(naive_times) * 1000 / pct(results["sqlite"][0], 50)
        print(f"  naive linear geopy scan: median {statistics.median(naive_times) * 1000:.0f} "
              f"ms a query, {speedup:.0f}x the indexed briefing over HTTP (SQLite p50)")
    results["data"] = data
    return results


def second_database(url: str) -> str:
    """``url``'s server, database ``<name>_sets`` (created with PostGIS when missing)."""
    import psycopg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    name = f"{target.database}_sets"
    admin = target.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    made = target.set(database=name)
    with psycopg.connect(made.set(drivername="postgresql")
                         .render_as_string(hide_password=False), autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return made.render_as_string(hide_password=False)


def growth_in_turn(large: dict[str, Any], same: dict[str, Any]
                   ) -> dict[str, tuple[float, int, int]]:
    """The large set and the same answers at a hundredth of its size, each served at once
    and asked point by point in turn (PostGIS too): p95 large / p95 small per kind, and
    how many answers agree."""
    points = large["points"]
    servers = []
    ways: dict[str, Any] = {}
    connections = []
    try:
        for label, results in (("large", large), ("small", same)):
            for kind, (url, instance, team) in results["served"].items():
                server, port = serve(url, instance)
                servers.append(server)
                ways[f"{kind} {label}"] = functools.partial(ask_http, port, login(port))
                if kind == "postgresql":
                    connections.append(postgis_connection(
                        url.replace("postgresql+psycopg", "postgresql")))
                    ways[f"postgis {label}"] = functools.partial(
                        ask_postgis, connections[-1], team)
        in_turn(ways, points[:20])  # warm-up
        times, answers = in_turn(ways, points)
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
        for connection in connections:
            connection.close()
    found = {}
    for kind in ("sqlite", "postgresql", "postgis"):
        if f"{kind} large" in times:
            big, small = f"{kind} large", f"{kind} small"
            agree = sum(sorted(a) == sorted(b) for a, b in
                        zip(answers[big], answers[small], strict=True))
            found[kind] = (pct(times[big], 95) / pct(times[small], 95), agree, len(points))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("WIJKPOST_BENCH_PG"),
                        help="PostgreSQL URL (its public schema is recreated)")
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--places", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--naive", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = run_size("small", args.registrations // 100, args.places // 100, args.pg,
                         args.queries, args.naive, tmp)
        large = run_size("large", args.registrations, args.places, args.pg, args.queries,
                         args.naive, tmp)
        whole = large.pop("data")
        # The same neighbourhood without the rest of the country: the answers are the
        # same, so only what the data's size adds shows (at 1 % of the data, above, each
        # briefing also holds fewer items: the towns are less dense).
        # The smaller sets go to a second database, so the large one stays loaded for the
        # growth asked in turn below.
        sets_pg = second_database(args.pg) if args.pg else None
        town = run_size("the officer's town alone", 0, 0, sets_pg, args.queries, 0, tmp,
                        given=functools.partial(town_alone, whole))
        # 1 % of the data again, now holding every item the large briefings showed: the
        # same answers, so the growth shows what the data's size costs, not the answers'
        same = run_size("1 % of the data, the same answers", 0, 0, sets_pg, args.queries, 0,
                        tmp, given=functools.partial(
                            same_answers, whole, large, args.registrations // 100,
                            args.places // 100))
        turn = growth_in_turn(large, same)
    print("\n== growth ==")
    for kind in ("sqlite", "postgresql", "postgis"):
        if kind in large:
            ratio = pct(large[kind][0], 95) / pct(small[kind][0], 95)
            goal = " (goal <= 1.5x)" if kind != "postgis" else " (the query alone)"
            print(f"  {kind}: p95 at {args.registrations:,} / p95 at "
                  f"{args.registrations // 100:,}: {ratio:.2f}x{goal}")
    for kind in ("sqlite", "postgresql", "postgis"):
        if kind in large and kind in same:
            ratio = pct(large[kind][0], 95) / pct(same[kind][0], 95)
            agree = sum(sorted(a) == sorted(b) for a, b in
                        zip(large[kind][1], same[kind][1], strict=True))
            goal = " (goal <= 1.5x)" if kind != "postgis" else " (the query alone)"
            print(f"  {kind}: p95 at {args.registrations:,} / p95 at "
                  f"{len(same['data']['registrations']):,} with the same answers: "
                  f"{ratio:.2f}x{goal} ({agree}/{len(same[kind][1])} answers the same)")
    for kind, (ratio, agree, count) in turn.items():
        goal = " (goal <= 1.5x)" if kind != "postgis" else " (the query alone)"
        print(f"  {kind}: p95 at {args.registrations:,} / p95 at "
              f"{len(same['data']['registrations']):,} with the same answers, asked in turn: "
              f"{ratio:.2f}x{goal} ({agree}/{count} answers the same)")
    for kind in ("sqlite", "postgresql", "postgis"):
        if kind in large and kind in town:
            ratio = pct(large[kind][0], 95) / pct(town[kind][0], 95)
            same = sum(sorted(a) == sorted(b) for a, b in
                       zip(large[kind][1], town[kind][1], strict=True))
            print(f"  {kind}: p95 at {args.registrations:,} / p95 of the officer's town "
                  f"alone: {ratio:.2f}x ({same}/{len(town[kind][1])} answers the same)")


if __name__ == "__main__":
    main()
