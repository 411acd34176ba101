"""The spatial index behind briefings: its writes (SQLite's registrations' tree following the
change log), candidate queries.

Which index (see spatial_schema): ``rtree`` on SQLite, ``postgis`` on PostgreSQL with the
extension, ``bbox`` (RD bounding-box columns under B-tree indexes) on PostgreSQL without it.
Every query here only narrows to candidates by bounding box or geography; the exact
geometry (shapely on RD New, geopy for point distances) is applied to those few after.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import shapely
from flask import current_app
from sqlalchemy import and_, bindparam, cast, func, literal_column, or_, text
from sqlalchemy.types import UserDefinedType

from server import bulk, changes, shapes
from server.extensions import db
from server.narrowing import Narrowing, registration_ids
from server.spatial_schema import TREE_POSITION, UNIX_EPOCH_JD, tree_id

BBox = tuple[float, float, float, float]  # min_x, max_x, min_y, max_y in RD New metres


def backend() -> str:
    """rtree, postgis or bbox: looked up once per application."""
    found = current_app.extensions.get("wijkpost_spatial")
    if found is None:
        engine = db.engine
        if engine.dialect.name == "sqlite":
            found = "rtree"
        else:
            with engine.connect() as connection:
                has = connection.exec_driver_sql(
                    "SELECT 1 FROM information_schema.columns WHERE table_name = 'areas' "
                    "AND column_name = 'geog'").first()
            found = "postgis" if has else "bbox"
        current_app.extensions["wijkpost_spatial"] = found
    return found


# Writes ---------------------------------------------------------------------------------

def index_area(area_id: int, box: BBox, geojson: dict[str, Any]) -> None:
    kind = backend()
    if kind == "rtree":
        bulk.rows("INSERT OR REPLACE INTO rtree_areas VALUES (?, ?, ?, ?, ?)", (area_id, *box))
    elif kind == "postgis":
        bulk.rows("UPDATE areas SET geog = ST_GeomFromGeoJSON(?)::geography WHERE id = ?",
                  (_json(geojson), area_id))


def unindex_area(area_id: int) -> None:
    if backend() == "rtree":
        bulk.rows("DELETE FROM rtree_areas WHERE id = ?", (area_id,))


def index_notice(notice_id: int, box: BBox, area_id: int | None,
                 point: tuple[float, float] | None, radius_m: float | None) -> None:
    kind = backend()
    if kind == "rtree":
        bulk.rows("INSERT OR REPLACE INTO rtree_notices VALUES (?, ?, ?, ?, ?)",
                  (notice_id, *box))
    elif kind == "postgis":
        if area_id is not None:
            bulk.rows("UPDATE notices SET cover = (SELECT geog FROM areas WHERE id = ?) "
                      "WHERE id = ?", (area_id, notice_id))
        else:
            assert point is not None and radius_m is not None
            # A buffer is a polygon inside the circle: widened so it never cuts it short.
            bulk.rows("UPDATE notices SET cover = ST_Buffer(ST_SetSRID(ST_MakePoint(?, ?), "
                      "4326)::geography, ?) WHERE id = ?",
                      (point[1], point[0], radius_m * 1.01 + 5, notice_id))


def unindex_notice(notice_id: int) -> None:
    if backend() == "rtree":
        bulk.rows("DELETE FROM rtree_notices WHERE id = ?", (notice_id,))


# The registrations' tree (SQLite) follows the change log in a job, as the search index
# does: an R*Tree insert costs more than the rest of a new registration's rows together,
# and the push's write transaction is the officers' critical path. Queries take the
# registrations changed after the job's position from the change log (the last seconds'
# writes, a few) beside the tree's candidates, so they see every write at once.
POSITION = TREE_POSITION
BATCH = 500  # changes per transaction: each batch holds the write lock a few milliseconds
CHUNK = 500  # ids per IN list
# The registrations whose tree entry may be missing or stale: changed after the position.
PENDING = changes.registrations_after(POSITION)


def tree_rows(located: Iterable[tuple[str, float, float, float, int]]
              ) -> list[tuple[Any, ...]]:
    """Rows of the registrations' tree from (id, rd_x, rd_y, day of creation, team)."""
    return [(tree_id(rid), x, x, y, y, day, day, rid, team) for rid, x, y, day, team in located]


def index_pending(batch: int = BATCH) -> int:
    """SQLite: bring the registrations' tree up to date with the change log
    (``changes.follow``); returns the registrations looked at. A no-op elsewhere (PostGIS
    derives its column from lat/lon in the row; the plain index follows rd_x/rd_y)."""
    if not on_sqlite():
        return 0
    return changes.follow(POSITION, _index, batch)


def _index(ids: list[str]) -> None:
    located: dict[str, tuple[str, float, float, float, int]] = {}
    indexed: dict[int, tuple[float, float, float, float]] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        marks = ", ".join("?" * len(part))
        for row in bulk.rows(
                f"SELECT id, rd_x, rd_y, julianday(created_at) - {UNIX_EPOCH_JD}, team_id "
                f"FROM registrations WHERE id IN ({marks}) AND rd_x IS NOT NULL", tuple(part)):
            located[row[0]] = row
        for key, *box in bulk.rows("SELECT id, min_x, max_x, min_y, max_y FROM "
                                   f"rtree_registrations WHERE id IN ({marks})",
                                   tuple(tree_id(rid) for rid in part)):
            indexed[key] = tuple(box)  # type: ignore[assignment]
    # a status or a party changed (most pushes): the point's entry stands, nothing to write
    moved = [row for row in located.values() if not _holds(indexed.get(tree_id(row[0])), row)]
    gone = [(tree_id(rid),) for rid in ids if rid not in located and tree_id(rid) in indexed]
    if gone:  # purged, or its location cleared
        bulk.rows_many("DELETE FROM rtree_registrations WHERE id = ?", gone)
    if moved:
        bulk.rows_many("INSERT OR REPLACE INTO rtree_registrations VALUES "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?)", tree_rows(moved))


def _holds(box: tuple[float, float, float, float] | None,
           row: tuple[str, float, float, float, int]) -> bool:
    """The tree's box (32-bit floats, rounded outward) still holds the row's point."""
    return box is not None and box[0] <= row[1] <= box[1] and box[2] <= row[2] <= box[3]


def index_job() -> str:
    return f"{index_pending()} registraties bijgewerkt in de ruimtelijke index"


def _day(moment: datetime) -> float:
    """Days since 1970 (UTC): the registrations' tree's third dimension."""
    return moment.timestamp() / 86400


def unindex_registrations(ids: Iterable[str]) -> None:
    keys = [(tree_id(i),) for i in ids]
    if keys and on_sqlite():
        bulk.rows_many("DELETE FROM rtree_registrations WHERE id = ?", keys)


def on_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def _json(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()


# The briefing's one query ---------------------------------------------------------------
#
# One statement gathers every candidate of a briefing, the index narrowing each kind to
# the few rows whose box or geography may hold the point: one round trip to the database
# (on a loaded PostgreSQL server each costs milliseconds). Columns: kind, id, title, text,
# priority, area_id, lat, lon, radius_m, shape (RD New WKB), valid_from, valid_until,
# created_at, type, status, count.

_POINT = "ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography"


def briefing_sql(x: float, y: float, lat: float, lon: float, radius_m: float,
                 team_id: int, since: datetime, now: datetime) -> tuple[str, list[Any]]:
    """The candidates: the caller checks each exactly (geometry, distance, validity); the
    conditions here only leave out rows that cannot hold, so fewer cross the driver."""
    kind = backend()
    reach = radius_m * 1.002 + 1  # RD and geodesic metres differ by under 0.1 %
    box = (x, x, y, y)
    moment = _stamp(now) if on_sqlite() else now
    params: list[Any] = []

    def holds(alias: str, tree: str, column: str) -> str:
        if kind == "rtree":
            params.extend(box)
            return (f"{alias}.id IN (SELECT id FROM {tree} WHERE min_x <= ? AND max_x >= ? "
                    "AND min_y <= ? AND max_y >= ?)")
        if kind == "postgis":
            params.extend((lon, lat))
            return f"ST_Intersects({alias}.{column}, {_POINT})"
        params.extend(box)
        return (f"{alias}.min_x <= ? AND {alias}.max_x >= ? AND {alias}.min_y <= ? "
                f"AND {alias}.max_y >= ?")

    params.extend((team_id, moment, moment))
    notices = (
        "SELECT 'notice', CAST(n.id AS TEXT), n.title, n.body, n.priority, n.area_id, n.lat, "
        "n.lon, n.radius_m, a.geometry_rd, n.valid_from, n.valid_until, "
        # typed here: a UNION takes each column's type from its first part
        "CAST(NULL AS TIMESTAMP WITH TIME ZONE), CAST(NULL AS VARCHAR(10)), "
        "CAST(NULL AS VARCHAR(20)), CAST(NULL AS INTEGER) FROM notices n "
        "JOIN notice_teams t ON t.notice_id = n.id AND t.team_id = ? "
        "LEFT JOIN areas a ON a.id = n.area_id WHERE n.valid_from <= ? AND n.valid_until > ? "
        "AND " + holds("n", "rtree_notices", "cover"))
    params.extend((team_id, moment, moment))
    areas = (
        "SELECT 'area', CAST(a.id AS TEXT), a.name, a.reason, 2, NULL, NULL, NULL, NULL, "
        "a.geometry_rd, a.valid_from, a.valid_until, NULL, NULL, NULL, NULL FROM areas a "
        "WHERE a.kind = 'attention' AND (a.team_id = ? OR a.team_id IS NULL) "
        "AND a.valid_from <= ? AND (a.valid_until IS NULL OR a.valid_until > ?) AND "
        + holds("a", "rtree_areas", "geog"))
    # within the radius of the centre plus the hotspot's own extent (a team has few
    # hotspots: its index narrows, this condition drops the far ones)
    params.extend((team_id, x, reach, y, reach))
    hotspots = (
        "SELECT 'hotspot', h.id, NULL, NULL, 3, NULL, h.lat, h.lon, h.radius_m, NULL, NULL, "
        "NULL, NULL, h.type, NULL, h.count FROM hotspots h WHERE h.team_id = ? "
        "AND ABS(h.rd_x - ?) <= ? + h.radius_m * 1.002 "
        "AND ABS(h.rd_y - ?) <= ? + h.radius_m * 1.002")
    registrations = (
        "SELECT 'registration', r.id, NULL, NULL, 3, NULL, r.lat, r.lon, NULL, NULL, NULL, "
        "NULL, r.created_at, r.type, r.status, NULL FROM registrations r WHERE ")
    if kind == "rtree":
        # The tree narrows by box and day (rounded outward); the team is read for those
        # few only. The registrations changed since the tree's position join them (see
        # PENDING); the row's own team, box and created_at decide for all (the unary plus
        # keeps SQLite off the team's indexes: the few candidates come by primary key).
        params.extend((x + reach, x - reach, y + reach, y - reach, _day(since), team_id,
                       team_id, x - reach, x + reach, y - reach, y + reach, _stamp(since)))
        registrations += (
            "r.id IN (SELECT registration_id FROM rtree_registrations WHERE min_x <= ? "
            "AND max_x >= ? AND min_y <= ? AND max_y >= ? AND max_day >= ? AND team_id = ? "
            f"UNION ALL {PENDING}) AND +r.team_id = ? AND r.rd_x BETWEEN ? AND ? "
            "AND r.rd_y BETWEEN ? AND ? AND r.created_at >= ?")
    elif kind == "postgis":
        params.extend((lon, lat, reach, team_id, since))
        registrations += (f"ST_DWithin(r.geog, {_POINT}, ?) AND r.team_id = ? "
                          "AND r.created_at >= ?")
    else:
        params.extend((x - reach, x + reach, y - reach, y + reach, team_id,
                       _stamp(since) if on_sqlite() else since))
        registrations += ("r.rd_x BETWEEN ? AND ? AND r.rd_y BETWEEN ? AND ? "
                          "AND r.team_id = ? AND r.created_at >= ?")
    return " UNION ALL ".join((notices, areas, hotspots, registrations)), params


def _stamp(moment: datetime) -> str:
    """A UTC time as SQLite's DateTime columns hold it (text that sorts in time order)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# The review list's area filter ----------------------------------------------------------

def area_narrowing(area: Any, teams: Sequence[int]) -> Narrowing:
    """The registrations (rows of ``registrations``) whose location lies in ``area`` or on
    its boundary: the index narrows to the area's box, an exact test decides."""
    from server.models import Registration

    box = (area.min_x, area.max_x, area.min_y, area.max_y)
    in_box = and_(Registration.rd_x.between(box[0], box[1]),
                  Registration.rd_y.between(box[2], box[3]))
    kind = backend()
    if kind == "postgis":
        # The shape as a value, not a subquery: the planner then weighs it against the
        # column's statistics (a wijk holds half the team: walk the list's order; a street
        # corner a few: start from the GiST index), where for a subquery it guesses a few
        # rows and sorts a whole wijk for every page. The same value as areas.geog.
        return Narrowing(text(
            "ST_Covers(ST_GeomFromGeoJSON(:area_shape)::geography, registrations.geog)"
        ).bindparams(area_shape=_json(area.geometry)))
    if kind == "bbox":
        return Narrowing(and_(in_box, _pg_polygon_test(shapely.from_wkb(area.geometry_rd))))
    key = shapes.register(area.geometry_rd)
    exact = func.wijkpost_in_shape(key, Registration.rd_x, Registration.rd_y) == 1
    candidates = text(
        "SELECT registration_id AS id FROM rtree_registrations WHERE min_x <= :area_x1 "
        "AND max_x >= :area_x0 AND min_y <= :area_y1 AND max_y >= :area_y0 "
        f"AND team_id IN :area_teams UNION ALL {PENDING}"  # the condition tests them all
    ).bindparams(bindparam("area_teams", list(teams), expanding=True), area_x0=box[0],
                 area_x1=box[1], area_y0=box[2], area_y1=box[3]).columns(literal_column("id"))
    return Narrowing(and_(in_box, exact), candidates, registration_ids, exact=False)


def _pg_polygon_test(shape: Any) -> Any:
    """PostgreSQL without PostGIS: its built-in ``polygon`` type holds the point (RD New)
    in one of the shape's outer rings and outside that ring's holes (a point on the edge
    of a hole counts as in the hole, where ST_Covers would keep it)."""
    from server.models import Registration

    point = func.point(Registration.rd_x, Registration.rd_y)
    parts = []
    for index, polygon in enumerate(getattr(shape, "geoms", [shape])):
        rings = [polygon.exterior, *polygon.interiors]
        tests = [point.op("<@")(cast(
            bindparam(f"area_ring_{index}_{n}", _pg_ring(ring)), PgPolygon()))
            for n, ring in enumerate(rings)]
        parts.append(and_(tests[0], *(~t for t in tests[1:])))
    return or_(*parts)


def _pg_ring(ring: Any) -> str:
    return "(" + ",".join(f"({x!r},{y!r})" for x, y in ring.coords[:-1]) + ")"


class PgPolygon(UserDefinedType[str]):
    """PostgreSQL's built-in ``polygon``, for a cast of its text form."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "polygon"
