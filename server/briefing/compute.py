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
    return float(geodesic(a, b).meters)


def _active(valid_from: datetime, valid_until: datetime | None, now: datetime) -> bool:
    return aware(valid_from) <= now and (valid_until is None or aware(valid_until) > now)


def _item(row: tuple[Any, ...], here: tuple[float, float], point: Point, now: datetime,
          limits: Limits, since: datetime) -> dict[str, Any] | None:
    """The briefing item of a candidate row, or None when it does not hold or is inactive."""
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
            distance = metres(here, (lat, lon))
            if distance > radius:
                return None
        if kind == "area":
            return {"kind": "area", "id": int(key), "title": title, "priority": 2,
                    "distance_m": 0.0, "reason": text, "valid_until": iso(valid_until)}
        return {"kind": "notice", "id": int(key), "title": title, "priority": priority,
                "distance_m": distance, "body": text, "area_id": area_id,
                "valid_until": iso(valid_until)}
    if kind == "hotspot":
        distance = max(0.0, metres(here, (lat, lon)) - radius)
        if distance > limits.radius_m:
            return None
        return {"kind": "hotspot", "id": key,
                "title": f"Hotspot {TYPE_LABELS.get(rtype, rtype)}", "priority": 3,
                "distance_m": distance, "count": count, "type": rtype, "radius_m": radius}
    distance = metres(here, (lat, lon))
    if distance > limits.radius_m or aware(created_at) < since:
        return None
    return {"kind": "registration", "id": key, "title": TYPE_LABELS.get(rtype, rtype),
            "priority": 3, "distance_m": distance, "type": rtype, "status": status,
            "created_at": iso(created_at)}


def briefing(team_id: int, lat: float, lon: float, now: datetime,
             limits: Limits) -> list[dict[str, Any]]:
    """Items ordered by priority, then distance (then kind and id, for a stable order)."""
    [(x, y)] = to_rd_many([(lat, lon)])
    since = now - timedelta(days=limits.days)
    sql, params = spatial.briefing_sql(x, y, lat, lon, limits.radius_m, team_id, since)
    rows = _read(sql, params)
    here, point = (lat, lon), Point(x, y)
    items = [item for row in rows
             if (item := _item(row, here, point, now, limits, since)) is not None]
    items.sort(key=lambda i: (i["priority"], i["distance_m"], i["kind"], str(i["id"])))
    for item in items:
        item["distance_m"] = round(item["distance_m"], 1)
    return items[:limits.max_items]


def _read(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """On SQLite a pooled connection of its own (the session's BEGIN takes the write
    lock); on PostgreSQL the session's, so an audit entry that follows shares its
    transaction (each round trip counts on a busy server)."""
    if spatial.on_sqlite():
        with bulk.reading() as read:
            return read(sql, params, _COLUMNS)
    return bulk.rows(sql, params, _COLUMNS)
