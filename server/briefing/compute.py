"""The briefing of one point for one officer.

The spatial index (server.spatial) returns the few candidates whose box or geography may
hold the point; only those are read and checked exactly: areas in RD New with shapely
(0 inside), points geodesically with geopy, as the device computes them offline. All
reads go through one pooled connection outside the session (no write lock on SQLite).
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
from server.bulk import Reader
from server.geo import to_rd_many
from server.models import Area, Notice, Registration, aware, iso
from server.registrations.forms import FORMS

TYPE_LABELS = {form.type: form.label for form in FORMS}
_RAW = NullType()  # a column read as the driver gives it


@dataclass(frozen=True, slots=True)
class Limits:
    max_items: int
    radius_m: float
    days: int


@dataclass(frozen=True, slots=True)
class Where:
    """The point asked about: WGS84 and RD New."""

    lat: float
    lon: float
    x: float
    y: float

    @property
    def latlon(self) -> tuple[float, float]:
        return self.lat, self.lon


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(geodesic(a, b).meters)


def _active(valid_from: datetime, valid_until: datetime | None, now: datetime) -> bool:
    return aware(valid_from) <= now and (valid_until is None or aware(valid_until) > now)


_NOTICE_COLUMNS = (_RAW, _RAW, _RAW, _RAW, _RAW, _RAW, _RAW, _RAW, Notice.valid_from,
                   Notice.valid_until)


def _notices(read: Reader, team_id: int, here: Where, now: datetime) -> list[dict[str, Any]]:
    ids = spatial.notices_at(read, here.x, here.y, here.lat, here.lon)
    if not ids:
        return []
    rows = read(
        "SELECT n.id, n.title, n.body, n.priority, n.area_id, n.lat, n.lon, n.radius_m, "
        "n.valid_from, n.valid_until FROM notices n JOIN notice_teams t "
        "ON t.notice_id = n.id AND t.team_id = ? WHERE n.id IN " + bulk.in_list(len(ids)),
        (team_id, *ids), _NOTICE_COLUMNS)
    rows = [r for r in rows if _active(r[8], r[9], now)]
    area_ids = sorted({r[4] for r in rows if r[4] is not None})
    shapes = {area_id: shapely.from_wkb(bytes(wkb)) for area_id, wkb in read(
        "SELECT id, geometry_rd FROM areas WHERE id IN " + bulk.in_list(len(area_ids)),
        area_ids)} if area_ids else {}
    point = Point(here.x, here.y)
    items = []
    for nid, title, body, priority, area_id, lat, lon, radius, _, valid_until in rows:
        if area_id is not None:
            if not shapely.intersects(shapes[area_id], point):
                continue
            distance = 0.0
        else:
            distance = metres(here.latlon, (lat, lon))
            if distance > radius:
                continue
        items.append({"kind": "notice", "id": nid, "title": title, "priority": priority,
                      "distance_m": distance, "body": body, "area_id": area_id,
                      "valid_until": iso(valid_until)})
    return items


_AREA_COLUMNS = (_RAW, _RAW, _RAW, _RAW, Area.valid_from, Area.valid_until)


def _areas(read: Reader, team_id: int, here: Where, now: datetime) -> list[dict[str, Any]]:
    ids = spatial.areas_at(read, here.x, here.y, here.lat, here.lon)
    if not ids:
        return []
    rows = read(
        "SELECT id, name, reason, geometry_rd, valid_from, valid_until FROM areas "
        "WHERE kind = 'attention' AND (team_id = ? OR team_id IS NULL) AND id IN "
        + bulk.in_list(len(ids)), (team_id, *ids), _AREA_COLUMNS)
    point = Point(here.x, here.y)
    return [{"kind": "area", "id": aid, "title": name, "priority": 2, "distance_m": 0.0,
             "reason": reason, "valid_until": iso(valid_until)}
            for aid, name, reason, wkb, valid_from, valid_until in rows
            if _active(valid_from, valid_until, now)
            and shapely.intersects(shapely.from_wkb(bytes(wkb)), point)]


# A cluster's extent is rarely more than a few hundred metres (DBSCAN, eps 150 m).
HOTSPOT_REACH_M = 5000


def _hotspots(read: Reader, team_id: int, here: Where, radius: float
              ) -> list[dict[str, Any]]:
    reach = radius + HOTSPOT_REACH_M
    rows = read(
        "SELECT id, type, count, lat, lon, radius_m FROM hotspots WHERE team_id = ? "
        "AND rd_x BETWEEN ? AND ? AND rd_y BETWEEN ? AND ?",
        (team_id, here.x - reach, here.x + reach, here.y - reach, here.y + reach))
    items = []
    for hid, rtype, count, lat, lon, extent in rows:
        distance = max(0.0, metres(here.latlon, (lat, lon)) - extent)
        if distance <= radius:
            items.append({"kind": "hotspot", "id": hid,
                          "title": f"Hotspot {TYPE_LABELS.get(rtype, rtype)}",
                          "priority": 3, "distance_m": distance, "count": count,
                          "type": rtype, "radius_m": extent})
    return items


_REG_COLUMNS = (_RAW, _RAW, _RAW, _RAW, _RAW, Registration.created_at, _RAW)


def _registrations(read: Reader, team_id: int, here: Where, now: datetime, limits: Limits
                   ) -> list[dict[str, Any]]:
    since = now - timedelta(days=limits.days)
    ids = spatial.registrations_near(read, here.x, here.y, here.lat, here.lon,
                                     limits.radius_m, team_id, since)
    if not ids:
        return []
    rows = read("SELECT id, type, status, lat, lon, created_at, team_id FROM registrations "
                "WHERE id IN " + bulk.in_list(len(ids)), ids, _REG_COLUMNS)
    items = []
    for rid, rtype, status, lat, lon, created_at, row_team in rows:
        if row_team != team_id or lat is None or aware(created_at) < since:
            continue
        distance = metres(here.latlon, (lat, lon))
        if distance <= limits.radius_m:
            items.append({"kind": "registration", "id": rid,
                          "title": TYPE_LABELS.get(rtype, rtype), "priority": 3,
                          "distance_m": distance, "type": rtype, "status": status,
                          "created_at": iso(created_at)})
    return items


def briefing(team_id: int, lat: float, lon: float, now: datetime,
             limits: Limits) -> list[dict[str, Any]]:
    """Items ordered by priority, then distance (then kind and id, for a stable order)."""
    [(x, y)] = to_rd_many([(lat, lon)])
    here = Where(lat, lon, x, y)
    with bulk.reading() as read:
        items = (_notices(read, team_id, here, now) + _areas(read, team_id, here, now)
                 + _hotspots(read, team_id, here, limits.radius_m)
                 + _registrations(read, team_id, here, now, limits))
    items.sort(key=lambda i: (i["priority"], i["distance_m"], i["kind"], str(i["id"])))
    for item in items:
        item["distance_m"] = round(item["distance_m"], 1)
    return items[:limits.max_items]

