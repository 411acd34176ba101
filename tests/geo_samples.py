"""Shapes around Utrecht for the area, notice and briefing tests (GeoJSON is [lon, lat])."""

from __future__ import annotations

import math
from typing import Any

# Around the Domtoren, Utrecht
LAT, LON = 52.0907, 5.1214
M_PER_DEG_LAT = 111_250.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT))


def offset(lat: float, lon: float, north_m: float = 0, east_m: float = 0) -> tuple[float, float]:
    return lat + north_m / M_PER_DEG_LAT, lon + east_m / M_PER_DEG_LON


def box(south_m: float, west_m: float, north_m: float, east_m: float,
        lat: float = LAT, lon: float = LON) -> dict[str, Any]:
    """A rectangle in metres from (lat, lon): a GeoJSON Polygon."""
    s, w = offset(lat, lon, south_m, west_m)
    n, e = offset(lat, lon, north_m, east_m)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def feature(geometry: dict[str, Any], name: str, kind: str = "attention",
            team: Any = None, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry,
            "properties": {"name": name, "kind": kind, "team": team, "reason": "",
                           **props}}
