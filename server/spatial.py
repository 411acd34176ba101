"""The spatial index behind briefings: writes kept in step with the rows, candidate queries.

Which index (see spatial_schema): ``rtree`` on SQLite, ``postgis`` on PostgreSQL with the
extension, ``bbox`` (RD bounding-box columns under B-tree indexes) on PostgreSQL without it.
Every query here only narrows to candidates by bounding box or geography; the exact
geometry (shapely on RD New, geopy for point distances) is applied to those few after.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from server import bulk
from server.bulk import Reader
from server.extensions import db
from server.spatial_schema import tree_id

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


def index_registrations(inserts: Iterable[dict[str, Any]],
                        updates: Iterable[dict[str, Any]]) -> None:
    """The push path's flush: new registrations, and updates that wrote the location
    (those carry ``rd_x``). Only SQLite's tree is written here, one ``executemany`` per
    kind; PostGIS derives its column from lat/lon, and the plain index follows rd_x/rd_y.
    """
    if not _on_sqlite():
        return
    moved = [row for row in updates if "rd_x" in row]
    present = [r for r in (*inserts, *moved) if r["rd_x"] is not None]
    absent = [(tree_id(r["id"]),) for r in moved if r["rd_x"] is None]
    if present:
        # team and creation day from the row just written, in the same statement
        bulk.rows_many(
            "INSERT OR REPLACE INTO rtree_registrations SELECT ?, ?, ?, ?, ?, id, team_id, "
            "julianday(created_at) FROM registrations WHERE id = ?",
            [(tree_id(r["id"]), r["rd_x"], r["rd_x"], r["rd_y"], r["rd_y"], r["id"])
             for r in present])
    if absent:
        bulk.rows_many("DELETE FROM rtree_registrations WHERE id = ?", absent)


def unindex_registrations(ids: Iterable[str]) -> None:
    keys = [(tree_id(i),) for i in ids]
    if keys and _on_sqlite():
        bulk.rows_many("DELETE FROM rtree_registrations WHERE id = ?", keys)


def _on_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def _json(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()


# Candidate queries (``read``: a bulk.reading() reader) ----------------------------------

def areas_at(read: Reader, x: float, y: float, lat: float, lon: float) -> list[int]:
    """Ids of areas whose bounding box (rtree, bbox) or geography (postgis) holds the point."""
    kind = backend()
    if kind == "rtree":
        sql = ("SELECT id FROM rtree_areas WHERE min_x <= ? AND max_x >= ? "
               "AND min_y <= ? AND max_y >= ?")
        return [r[0] for r in read(sql, (x, x, y, y))]
    if kind == "postgis":
        return [r[0] for r in read(
            "SELECT id FROM areas WHERE ST_Intersects(geog, "
            "ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography)", (lon, lat))]
    return [r[0] for r in read(
        "SELECT id FROM areas WHERE min_x <= ? AND max_x >= ? AND min_y <= ? AND max_y >= ?",
        (x, x, y, y))]


def notices_at(read: Reader, x: float, y: float, lat: float, lon: float) -> list[int]:
    """Ids of notices whose area or circle may cover the point."""
    kind = backend()
    if kind == "rtree":
        sql = ("SELECT id FROM rtree_notices WHERE min_x <= ? AND max_x >= ? "
               "AND min_y <= ? AND max_y >= ?")
        return [r[0] for r in read(sql, (x, x, y, y))]
    if kind == "postgis":
        return [r[0] for r in read(
            "SELECT id FROM notices WHERE ST_Intersects(cover, "
            "ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography)", (lon, lat))]
    return [r[0] for r in read(
        "SELECT id FROM notices WHERE min_x <= ? AND max_x >= ? AND min_y <= ? AND max_y >= ?",
        (x, x, y, y))]


def registrations_near(read: Reader, x: float, y: float, lat: float, lon: float,
                       radius_m: float, team_id: int, since: datetime) -> list[str]:
    """Ids of the team's registrations created since ``since`` that may lie within
    ``radius_m`` (RD New and geodesic metres differ by under 0.1 %: the box is wider)."""
    reach = radius_m * 1.002 + 1
    kind = backend()
    if kind == "rtree":
        return [r[0] for r in read(
            "SELECT registration_id FROM rtree_registrations WHERE min_x <= ? AND max_x >= ? "
            "AND min_y <= ? AND max_y >= ? AND team_id = ? AND created_jd >= julianday(?)",
            (x + reach, x - reach, y + reach, y - reach, team_id, _stamp(since)))]
    if kind == "postgis":
        return [r[0] for r in read(
            "SELECT id FROM registrations WHERE ST_DWithin(geog, "
            "ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, ?) AND team_id = ? "
            "AND created_at >= ?", (lon, lat, reach, team_id, since))]
    return [r[0] for r in read(
        "SELECT id FROM registrations WHERE rd_x BETWEEN ? AND ? AND rd_y BETWEEN ? AND ? "
        "AND team_id = ? AND created_at >= ?",
        (x - reach, x + reach, y - reach, y + reach, team_id,
         _stamp(since) if _on_sqlite() else since))]


def _stamp(moment: datetime) -> str:
    """A UTC time as SQLite's DateTime columns hold it (text that sorts in time order)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
