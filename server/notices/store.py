"""Checking, saving and viewing notices, and which teams each concerns."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import shapely
from shapely.geometry import Point
from sqlalchemy import delete, select

from server import changes, spatial
from server.areas import store as areas
from server.extensions import db
from server.geo import to_rd_many
from server.geo_entities import area_live
from server.geoinput import InputError, check_point, number, parse_time
from server.models import Area, Notice, NoticeTeam, aware, iso, utcnow
from server.notices.dispatch import push_ttl_s
from server.webpush import sends_accepted

FIELDS = frozenset({"title", "body", "area_id", "point", "radius_m", "priority", "valid_from",
                    "valid_until", "send_at"})
RADIUS_M = (10, 20_000)
MAX_LIFETIME = timedelta(days=366)


def view(notice: Notice, teams: Iterable[int], for_admin: bool = False) -> dict[str, Any]:
    """The notice as officers (GET, pull) and, with the send figures, beheerders see it."""
    body: dict[str, Any] = {
        "id": notice.id, "rev": notice.rev, "title": notice.title, "body": notice.body,
        "area_id": notice.area_id,
        "point": None if notice.lat is None else {"lat": notice.lat, "lon": notice.lon},
        "radius_m": notice.radius_m, "priority": notice.priority,
        "valid_from": iso(notice.valid_from), "valid_until": iso(notice.valid_until),
        "send_at": iso(notice.send_at), "teams": sorted(teams),
        "updated_at": iso(notice.updated_at),
    }
    if for_admin:
        body.update(sends_accepted=sends_accepted(str(notice.id)),
                    dispatched_at=iso(notice.dispatched_at), created_at=iso(notice.created_at),
                    push_ttl_s=push_ttl_s(notice, utcnow()))
    return body


def teams_by_notice(ids: Iterable[int]) -> dict[int, set[int]]:
    ids = list(ids)
    found: dict[int, set[int]] = {i: set() for i in ids}
    if ids:
        for notice_id, team_id in db.session.execute(
                select(NoticeTeam.notice_id, NoticeTeam.team_id)
                .where(NoticeTeam.notice_id.in_(ids))):
            found[notice_id].add(team_id)
    return found


def load_views(ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    numbers = [int(i) for i in set(ids) if i.isdigit()]
    if not numbers:
        return {}
    rows = db.session.execute(select(Notice).where(Notice.id.in_(numbers))).scalars().all()
    teams = teams_by_notice(n.id for n in rows)
    return {str(n.id): view(n, teams[n.id]) for n in rows}


def _text(body: dict[str, Any], name: str, limit: int, required: bool) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputError(name, "Verplicht veld" if value is None else "Moet tekst zijn")
    if len(value) > limit:
        raise InputError(name, f"Maximaal {limit} tekens")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise InputError(name, "Bevat ongeldige tekens")
    return value.strip() if name == "title" else value


def check(body: Any, existing: Notice | None = None) -> dict[str, Any]:
    """The columns a notice body sets (whole for a new notice, partial for a change)."""
    if not isinstance(body, dict):
        raise InputError("notice", "Verwacht een JSON-object")
    unknown = set(body) - FIELDS
    if unknown:
        raise InputError(sorted(unknown)[0], "Onbekend veld")
    new = existing is None
    columns: dict[str, Any] = {}
    if new or "title" in body:
        columns["title"] = _text(body, "title", 120, True)
    if new or "body" in body:
        columns["body"] = _text(body, "body", 4000, False)
    if new or "priority" in body:
        priority = body.get("priority", 2)
        if type(priority) is not int or not 1 <= priority <= 3:
            raise InputError("priority", "priority moet 1, 2 of 3 zijn")
        columns["priority"] = priority
    if new:
        columns.update(_place(body))
    elif {"area_id", "point", "radius_m"} & set(body):
        columns.update(_place(_place_change(existing, body)))  # type: ignore[arg-type]
    now = utcnow()
    for name in ("valid_from", "valid_until", "send_at"):
        if body.get(name) is not None:
            columns[name] = parse_time(name, body[name])
    if new:
        columns.setdefault("valid_from", now)
        if "valid_until" not in columns:
            raise InputError("valid_until", "Verplicht veld")
        columns.setdefault("send_at", columns["valid_from"])
    start = aware(columns.get("valid_from") or existing.valid_from)  # type: ignore[union-attr]
    end = aware(columns.get("valid_until") or existing.valid_until)  # type: ignore[union-attr]
    send = aware(columns.get("send_at") or existing.send_at)  # type: ignore[union-attr]
    if end <= start:
        raise InputError("valid_until", "valid_until moet na valid_from liggen")
    if end - start > MAX_LIFETIME:
        raise InputError("valid_until", "Een mededeling geldt hooguit een jaar")
    if send >= end:
        raise InputError("send_at", "send_at moet vóór valid_until liggen")
    return columns


def _place_change(existing: Notice, body: dict[str, Any]) -> dict[str, Any]:
    """The place after a change: only the radius, only the point, or another kind."""
    place: dict[str, Any] = {
        "area_id": existing.area_id, "radius_m": existing.radius_m,
        "point": None if existing.lat is None else {"lat": existing.lat, "lon": existing.lon}}
    if body.get("area_id") is not None:
        place.update(point=None, radius_m=None)
    if body.get("point") is not None:
        place["area_id"] = None
    place.update({k: body[k] for k in ("area_id", "point", "radius_m") if k in body})
    return place


def _place(body: dict[str, Any]) -> dict[str, Any]:
    area_id, point, radius = body.get("area_id"), body.get("point"), body.get("radius_m")
    if (area_id is None) == (point is None):
        raise InputError("area_id", "Geef óf area_id óf point met radius_m")
    if area_id is not None:
        if radius is not None:
            raise InputError("radius_m", "radius_m hoort alleen bij point")
        known = type(area_id) is int and 0 < area_id < 2**31
        area = db.session.get(Area, area_id) if known else None
        if area is None:
            raise InputError("area_id", "Dit gebied bestaat niet")
        return {"area_id": area.id, "lat": None, "lon": None, "radius_m": None}
    if not isinstance(point, dict) or set(point) != {"lat", "lon"}:
        raise InputError("point", "point moet {lat, lon} zijn")
    lat, lon = check_point("point", point["lat"], point["lon"])
    if not number(radius) or not RADIUS_M[0] <= radius <= RADIUS_M[1]:
        raise InputError("radius_m", f"radius_m moet tussen {RADIUS_M[0]} en {RADIUS_M[1]} "
                                     "meter liggen")
    return {"area_id": None, "lat": lat, "lon": lon, "radius_m": float(radius)}


def _wijken_near(box: tuple[float, float, float, float]) -> list[Area]:
    min_x, max_x, min_y, max_y = box
    return list(db.session.execute(select(Area).where(
        Area.kind == "wijk", Area.team_id.is_not(None), Area.min_x <= max_x,
        Area.max_x >= min_x, Area.min_y <= max_y, Area.max_y >= min_y)).scalars())


def _active(area: Area, now: datetime) -> bool:
    return aware(area.valid_from) <= now and (area.valid_until is None
                                              or aware(area.valid_until) > now)


def place_of(columns: dict[str, Any]) -> tuple[tuple[float, float, float, float], Any]:
    """The RD bounding box and shape (area polygon, or the point) of a notice's place."""
    if columns.get("area_id") is not None:
        area = db.session.get(Area, columns["area_id"])
        assert area is not None
        return (area.min_x, area.max_x, area.min_y, area.max_y), areas.rd_shape(area)
    [(x, y)] = to_rd_many([(columns["lat"], columns["lon"])])
    reach = columns["radius_m"] * 1.002 + 1  # RD metres differ from geodesic by < 0.1 %
    return (x - reach, x + reach, y - reach, y + reach), Point(x, y)


def teams_for(columns: dict[str, Any]) -> set[int]:
    """The teams a notice concerns: its area's team; for an area without a team, every
    team whose (current) wijk intersects it; for a point, the teams whose wijk holds it."""
    if columns.get("area_id") is not None:
        area = db.session.get(Area, columns["area_id"])
        assert area is not None
        if area.team_id is not None:
            return {area.team_id}
    box, place = place_of(columns)
    now = utcnow()
    return {w.team_id for w in _wijken_near(box)  # type: ignore[misc]
            if _active(w, now) and shapely.intersects(areas.rd_shape(w), place)}


def _written(notice: Notice) -> set[int]:
    columns = {"area_id": notice.area_id, "lat": notice.lat, "lon": notice.lon,
               "radius_m": notice.radius_m}
    box, _ = place_of(columns)
    notice.min_x, notice.max_x, notice.min_y, notice.max_y = box
    teams = teams_for(columns)
    db.session.execute(delete(NoticeTeam).where(NoticeTeam.notice_id == notice.id))
    db.session.add_all(NoticeTeam(notice_id=notice.id, team_id=t) for t in sorted(teams))
    db.session.flush()
    point = None if notice.lat is None else (notice.lat, notice.lon)
    spatial.index_notice(notice.id, box, notice.area_id, point, notice.radius_m)
    # An ended notice leaves the devices at once (its teams stay: officers may still GET it).
    now = utcnow()
    live = aware(notice.valid_until) > now
    changes.mark_teams("notice", str(notice.id), teams if live else set())
    notice.retracted_at = None if live else now
    if notice.area_id is not None:
        area = db.session.get(Area, notice.area_id)
        if area is not None and (area.retracted_at is None) != area_live(area, now):
            areas.on_devices(area, now)  # back for this live notice, or off with its last one
    return teams


def create(columns: dict[str, Any], created_by_id: int) -> tuple[Notice, set[int]]:
    now = utcnow()
    notice = Notice(**columns, created_by_id=created_by_id, rev=1,
                    created_at=now, updated_at=now, min_x=0, max_x=0, min_y=0, max_y=0)
    db.session.add(notice)
    db.session.flush()
    return notice, _written(notice)


def change(notice: Notice, columns: dict[str, Any]) -> set[int]:
    for name, value in columns.items():
        setattr(notice, name, value)
    notice.rev += 1
    notice.updated_at = utcnow()
    db.session.flush()
    return _written(notice)


def _overlaps(box: tuple[float, float, float, float]) -> Any:
    min_x, max_x, min_y, max_y = box
    return ((Notice.min_x <= max_x) & (Notice.max_x >= min_x) & (Notice.min_y <= max_y)
            & (Notice.max_y >= min_y))


def area_changed(area: Area, old_box: tuple[float, float, float, float] | None = None
                 ) -> None:
    """An area was written: its notices (and, for a wijk, the active notices around its
    new and old place, whose teams follow the wijken) get their teams and index anew."""
    now = utcnow()
    where = Notice.area_id == area.id
    if area.kind == "wijk":
        near = _overlaps((area.min_x, area.max_x, area.min_y, area.max_y))
        if old_box is not None:
            near = near | _overlaps(old_box)
        where = where | ((Notice.valid_until > now) & near)
    for notice in db.session.execute(select(Notice).where(where)).scalars().all():
        notice.rev += 1
        notice.updated_at = now
        _written(notice)
