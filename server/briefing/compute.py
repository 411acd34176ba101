"""The briefing of one point for one officer.

One query (server.spatial.briefing_sql) returns the few candidates whose box or geography
may hold the point; only those are checked exactly: areas in RD New with shapely (0
inside), points geodesically with geopy, as the device computes them offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import shapely
from geopy.distance import geodesic
from pyproj import Geod
from shapely.geometry import Point
from sqlalchemy.types import NullType

from server import bulk, spatial
from server.geo import to_rd_many
from server.models import Notice, aware, iso
from server.registrations.forms import FORMS

TYPE_LABELS = {form.type: form.label for form in FORMS}
_RAW = NullType()  # a column read as the driver gives it
# kind, id, title, text, priority, area_id, lat, lon, radius_m, shape, valid_from,
# valid_until, created_at, type, status, count (see spatial.briefing_sql)
_COLUMNS = (_RAW,) * 10 + (Notice.valid_from, Notice.valid_until, Notice.created_at,
                           _RAW, _RAW, _RAW)


@dataclass(frozen=True, slots=True)
class Limits:
    max_items: int
    radius_m: float
    days: int


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic metres on WGS84 (geopy: Karney's algorithm), for a single pair."""
    return float(geodesic(a, b).meters)


_GEOD = Geod(ellps="WGS84")


def metres_from(here: tuple[float, float], points: list[tuple[float, float]]) -> list[float]:
    """Geodesic metres from ``here`` to each point in one call: PROJ's geodesic is the C
    version of the same algorithm geopy runs (GeographicLib; equal to a nanometre,
    tests/unit/test_geodesic.py) at a hundredth of the cost per point."""
    if not points:
        return []
    count = len(points)
    _, _, distances = _GEOD.inv([here[1]] * count, [here[0]] * count,
                                [p[1] for p in points], [p[0] for p in points])
    return [float(d) for d in distances]


def _active(valid_from: datetime, valid_until: datetime | None, now: datetime) -> bool:
    return aware(valid_from) <= now and (valid_until is None or aware(valid_until) > now)


def _item(row: tuple[Any, ...], away: float | None, point: Point, now: datetime,
          limits: Limits, since: datetime) -> dict[str, Any] | None:
    """The briefing item of a candidate row (``away``: geodesic metres to its point, if it
    has one), or None when it does not hold or is inactive."""
    (kind, key, title, text, priority, area_id, lat, lon, radius, shape, valid_from,
     valid_until, created_at, rtype, status, count) = row
    if kind in ("notice", "area"):
        if not _active(valid_from, valid_until, now):
            return None
        if shape is not None:  # an area, or a notice on one: 0 inside
            if not shapely.intersects(shapely.from_wkb(bytes(shape)), point):
                return None
            distance = 0.0
        else:
            distance = away  # type: ignore[assignment]
            if distance > radius:
                return None
        if kind == "area":
            return {"kind": "area", "id": int(key), "title": title, "priority": 2,
                    "distance_m": 0.0, "reason": text, "valid_until": iso(valid_until)}
        return {"kind": "notice", "id": int(key), "title": title, "priority": priority,
                "distance_m": distance, "body": text, "area_id": area_id,
                "valid_until": iso(valid_until)}
    if kind == "hotspot":
        distance = max(0.0, away - radius)  # type: ignore[operator]
        if distance > limits.radius_m:
            return None
        return {"kind": "hotspot", "id": key,
                "title": f"Hotspot {TYPE_LABELS.get(rtype, rtype)}", "priority": 3,
                "distance_m": distance, "count": count, "type": rtype, "radius_m": radius}
    distance = away  # type: ignore[assignment]
    if distance > limits.radius_m or aware(created_at) < since:
        return None
    return {"kind": "registration", "id": key, "title": TYPE_LABELS.get(rtype, rtype),
            "priority": 3, "distance_m": distance, "type": rtype, "status": status,
            "created_at": iso(created_at)}


@dataclass(frozen=True, slots=True)
class Here:
    """The point a briefing is for, in WGS84 and in RD New."""

    lat: float
    lon: float
    x: float
    y: float


def here(lat: float, lon: float) -> Here:
    [(x, y)] = to_rd_many([(lat, lon)])
    return Here(lat, lon, x, y)


def query(team_id: int, at: Here, now: datetime, limits: Limits) -> bulk.Query:
    """The statement that reads the candidates (``read`` runs it; a caller may send it
    with others): ``(sql, params, columns)``."""
    since = now - timedelta(days=limits.days)
    sql, params = spatial.briefing_sql(at.x, at.y, at.lat, at.lon, limits.radius_m, team_id,
                                       since, now)
    return sql, params, _COLUMNS


def items_of(rows: list[tuple[Any, ...]], at: Here, now: datetime,
             limits: Limits) -> list[dict[str, Any]]:
    """The briefing from ``query``'s rows: each candidate checked exactly, ordered by
    priority, then distance (then kind and id, for a stable order), at most
    ``limits.max_items``."""
    since = now - timedelta(days=limits.days)
    point = Point(at.x, at.y)
    located = [i for i, row in enumerate(rows) if row[6] is not None]
    away: list[float | None] = [None] * len(rows)
    distances = metres_from((at.lat, at.lon), [rows[i][6:8] for i in located])
    for index, distance in zip(located, distances, strict=True):
        away[index] = distance
    items = [item for row, far in zip(rows, away, strict=True)
             if (item := _item(row, far, point, now, limits, since)) is not None]
    items.sort(key=lambda i: (i["priority"], i["distance_m"], i["kind"], str(i["id"])))
    for item in items:
        item["distance_m"] = round(item["distance_m"], 1)
    return items[:limits.max_items]


def read(candidates: bulk.Query) -> list[tuple[Any, ...]]:
    """One statement on a pooled connection of its own, outside the session: on SQLite
    the session's BEGIN would take the write lock; on PostgreSQL the session's
    transaction costs three round trips more (BEGIN, SET TRANSACTION READ ONLY,
    ROLLBACK), each a wait on a busy server."""
    sql, params, columns = candidates
    with bulk.reading() as reader:
        # its best plan is the same for every point: the spatial indexes, then the team
        return reader(sql, params, columns, generic=True)
