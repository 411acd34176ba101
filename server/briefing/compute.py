"""The briefing of one point for one officer.

The spatial index (server.spatial) returns the few candidates whose box or geography may
hold the point; only those are checked exactly: areas in RD New with shapely (0 inside),
points geodesically with geopy, as the device computes them offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import shapely
from geopy.distance import geodesic
from shapely.geometry import Point
from sqlalchemy import select

from server import hotspots, spatial
from server.areas import store as areas
from server.extensions import db
from server.geo import to_rd_many
from server.models import Area, Notice, NoticeTeam, Registration, aware, iso
from server.registrations.forms import FORMS

TYPE_LABELS = {form.type: form.label for form in FORMS}


@dataclass(frozen=True, slots=True)
class Limits:
    max_items: int
    radius_m: float
    days: int


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(geodesic(a, b).meters)


def _active(valid_from: datetime, valid_until: datetime | None, now: datetime) -> bool:
    return aware(valid_from) <= now and (valid_until is None or aware(valid_until) > now)


def _notices(team_id: int, x: float, y: float, here: tuple[float, float],
             now: datetime) -> list[dict[str, Any]]:
    ids = spatial.notices_at(x, y, *here)
    if not ids:
        return []
    rows = db.session.execute(
        select(Notice).join(NoticeTeam, NoticeTeam.notice_id == Notice.id)
        .where(Notice.id.in_(ids), NoticeTeam.team_id == team_id)).scalars().all()
    area_ids = {n.area_id for n in rows if n.area_id is not None}
    shapes = {a.id: areas.rd_shape(a) for a in db.session.execute(
        select(Area).where(Area.id.in_(area_ids))).scalars()} if area_ids else {}
    point = Point(x, y)
    items = []
    for notice in rows:
        if not _active(notice.valid_from, notice.valid_until, now):
            continue
        if notice.area_id is not None:
            if not shapely.intersects(shapes[notice.area_id], point):
                continue
            distance = 0.0
        else:
            distance = metres(here, (notice.lat, notice.lon))  # type: ignore[arg-type]
            if distance > notice.radius_m:  # type: ignore[operator]
                continue
        items.append({"kind": "notice", "id": notice.id, "title": notice.title,
                      "priority": notice.priority, "distance_m": distance,
                      "body": notice.body, "area_id": notice.area_id,
                      "valid_until": iso(notice.valid_until)})
    return items


def _areas(team_id: int, x: float, y: float, here: tuple[float, float],
           now: datetime) -> list[dict[str, Any]]:
    ids = spatial.areas_at(x, y, *here)
    if not ids:
        return []
    rows = db.session.execute(select(Area).where(
        Area.id.in_(ids), Area.kind == "attention",
        (Area.team_id == team_id) | Area.team_id.is_(None))).scalars().all()
    point = Point(x, y)
    return [{"kind": "area", "id": a.id, "title": a.name, "priority": 2, "distance_m": 0.0,
             "reason": a.reason, "valid_until": iso(a.valid_until)}
            for a in rows if _active(a.valid_from, a.valid_until, now)
            and shapely.intersects(areas.rd_shape(a), point)]


def _hotspots(team_id: int, x: float, y: float, here: tuple[float, float],
              radius: float) -> list[dict[str, Any]]:
    items = []
    for hotspot in hotspots.near(team_id, x, y, radius):
        distance = max(0.0, metres(here, (hotspot.lat, hotspot.lon)) - hotspot.radius_m)
        if distance <= radius:
            items.append({"kind": "hotspot", "id": hotspot.id,
                          "title": f"Hotspot {TYPE_LABELS.get(hotspot.type, hotspot.type)}",
                          "priority": 3, "distance_m": distance, "count": hotspot.count,
                          "type": hotspot.type, "radius_m": hotspot.radius_m})
    return items


_REG_COLUMNS = (Registration.id, Registration.type, Registration.status, Registration.lat,
                Registration.lon, Registration.created_at, Registration.team_id)


def _registrations(team_id: int, x: float, y: float, here: tuple[float, float],
                   now: datetime, limits: Limits) -> list[dict[str, Any]]:
    since = now - timedelta(days=limits.days)
    ids = spatial.registrations_near(x, y, *here, limits.radius_m, team_id, since)
    if not ids:
        return []
    rows = db.session.execute(select(*_REG_COLUMNS).where(Registration.id.in_(ids))).all()
    items = []
    for rid, rtype, status, lat, lon, created_at, row_team in rows:
        if row_team != team_id or lat is None or aware(created_at) < since:
            continue
        distance = metres(here, (lat, lon))
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
    here = (lat, lon)
    items = (_notices(team_id, x, y, here, now) + _areas(team_id, x, y, here, now)
             + _hotspots(team_id, x, y, here, limits.radius_m)
             + _registrations(team_id, x, y, here, now, limits))
    items.sort(key=lambda i: (i["priority"], i["distance_m"], i["kind"], str(i["id"])))
    for item in items:
        item["distance_m"] = round(item["distance_m"], 1)
    return items[:limits.max_items]
