"""Checking, saving and viewing areas; every write keeps the index and change log in step."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import shapely
from flask import current_app
from sqlalchemy import select

from server import changes, spatial
from server.extensions import db
from server.geoinput import InputError, check_geometry, parse_time
from server.models import Area, Team, iso, utcnow

KINDS = ("wijk", "attention")
PROPERTIES = frozenset({"name", "kind", "reason", "team", "valid_from", "valid_until"})


def view(area: Area) -> dict[str, Any]:
    """The area as a GeoJSON Feature (GET, pull)."""
    return {
        "type": "Feature", "id": area.id, "rev": area.rev,
        "geometry": area.geometry,
        "properties": {
            "name": area.name, "kind": area.kind, "reason": area.reason, "team": area.team_id,
            "valid_from": iso(area.valid_from), "valid_until": iso(area.valid_until),
            "updated_at": iso(area.updated_at),
        },
    }


def load_views(ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    numbers = {int(i) for i in ids if i.isdigit()}
    if not numbers:
        return {}
    rows = db.session.execute(select(Area).where(Area.id.in_(numbers))).scalars()
    return {str(a.id): view(a) for a in rows}


def visible_to(user: Any, area: Area) -> bool:
    """Whether ``user`` sees the area: a beheerder every one, others their team's and
    those without a team."""
    return user.role == "beheerder" or area.team_id in (None, user.team_id)


def teams_of(area: Area) -> set[int] | None:
    """Who sees the area: its team, or every team (None) when it has none."""
    return None if area.team_id is None else {area.team_id}


def rd_shape(area: Area) -> Any:
    return shapely.from_wkb(area.geometry_rd)


def _team(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError("team", "team moet een team-id of teamnaam zijn, of null")
    column = Team.id if isinstance(value, int) else Team.name
    found = db.session.execute(select(Team.id).where(column == value)).scalar_one_or_none()
    if found is None:
        raise InputError("team", f"Team {value!r} bestaat niet")
    return found


def _text(props: dict[str, Any], name: str, limit: int, required: bool) -> str | None:
    value = props.get(name)
    if value is None:
        if required:
            raise InputError(name, "Verplicht veld")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputError(name, "Moet (niet-lege) tekst zijn")
    if len(value) > limit:
        raise InputError(name, f"Maximaal {limit} tekens")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise InputError(name, "Bevat ongeldige tekens")
    return value.strip() if name == "name" else value


def check_feature(feature: Any, existing: Area | None = None) -> dict[str, Any]:
    """The columns a Feature (whole for a new area, partial for a change) sets."""
    if not isinstance(feature, dict):
        raise InputError("feature", "Verwacht een GeoJSON Feature")
    if existing is None and feature.get("type") != "Feature":
        raise InputError("type", "Verwacht type Feature of FeatureCollection")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise InputError("properties", "properties moet een object zijn")
    unknown = set(props) - PROPERTIES - {"updated_at"}
    if unknown:
        raise InputError("properties", f"Onbekende eigenschap: {', '.join(sorted(unknown))}")
    new = existing is None
    columns: dict[str, Any] = {}
    if new or "geometry" in feature:
        geojson, rd = check_geometry(feature.get("geometry"),
                                     current_app.config["AREA_MAX_VERTICES"])
        columns.update(geometry=geojson, geometry_rd=shapely.to_wkb(rd),
                       **dict(zip(("min_x", "min_y", "max_x", "max_y"), rd.bounds,
                                  strict=True)))
    if new or "name" in props:
        columns["name"] = _text(props, "name", 120, True)
    if new or "reason" in props:
        columns["reason"] = _text(props, "reason", 1000, False) or ""
    if new or "kind" in props:
        if props.get("kind") not in KINDS:
            raise InputError("kind", "kind moet 'wijk' of 'attention' zijn")
        columns["kind"] = props["kind"]
    if new or "team" in props:
        columns["team_id"] = _team(props.get("team"))
    if "valid_from" in props or new:
        raw = props.get("valid_from")
        columns["valid_from"] = utcnow() if raw is None else parse_time("valid_from", raw)
    if "valid_until" in props or new:
        raw = props.get("valid_until")
        columns["valid_until"] = None if raw is None else parse_time("valid_until", raw)
    merged = {name: getattr(existing, name) for name in ("kind", "team_id", "valid_from",
                                                          "valid_until")} if existing else {}
    merged.update(columns)
    if merged["kind"] == "wijk" and merged["team_id"] is None:
        raise InputError("team", "Een wijk hoort bij een team")
    start: datetime = merged["valid_from"]
    end: datetime | None = merged["valid_until"]
    if end is not None and _aware(end) <= _aware(start):
        raise InputError("valid_until", "valid_until moet na valid_from liggen")
    return columns


def _aware(moment: datetime) -> datetime:
    from server.models import aware

    return aware(moment)


def create(columns: dict[str, Any]) -> Area:
    now = utcnow()
    area = Area(**columns, rev=1, created_at=now, updated_at=now)
    db.session.add(area)
    db.session.flush()
    _written(area)
    return area


def change(area: Area, columns: dict[str, Any]) -> Area:
    for name, value in columns.items():
        setattr(area, name, value)
    area.rev += 1
    area.updated_at = utcnow()
    db.session.flush()
    _written(area)
    return area


def _written(area: Area) -> None:
    box = (area.min_x, area.max_x, area.min_y, area.max_y)
    spatial.index_area(area.id, box, area.geometry)
    on_devices(area)


def on_devices(area: Area, now: datetime | None = None) -> None:
    """Log the area for its teams' devices while it is live, or take it off them once it
    ended (kept while a live notice refers to it: the devices evaluate that notice with
    its shape, as the server does)."""
    from server.geo_entities import area_live

    now = now or utcnow()
    live = area_live(area, now)
    changes.mark_teams("area", str(area.id), teams_of(area) if live else set())
    area.retracted_at = None if live else now


def delete(area: Area) -> None:
    spatial.unindex_area(area.id)
    changes.mark_teams("area", str(area.id), set(), removed=True)
    db.session.delete(area)
    db.session.flush()
