"""Checks of geographic input (GeoJSON areas, points, times) with Dutch messages.

Geometry arrives as GeoJSON in WGS84 ([lon, lat] order); it is checked for structure,
the Netherlands' bounding box, swapped axes, size and validity (shapely), then kept in
RD New (EPSG:28992) metres for distances.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from server.geo import _to_rd

# The Netherlands with its coastal waters and a margin (WGS84).
NL_LON = (3.2, 7.3)
NL_LAT = (50.7, 53.7)


class InputError(ValueError):
    """A field's problem, in Dutch, for a 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def in_nl(lat: float, lon: float) -> bool:
    return NL_LAT[0] <= lat <= NL_LAT[1] and NL_LON[0] <= lon <= NL_LON[1]


def number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def check_point(field: str, lat: Any, lon: Any) -> tuple[float, float]:
    if not number(lat) or not number(lon):
        raise InputError(field, "lat en lon moeten getallen zijn")
    if not in_nl(lat, lon):
        if in_nl(lon, lat):
            raise InputError(field, "lat en lon lijken verwisseld")
        raise InputError(field, "Dit punt ligt buiten Nederland")
    return float(lat), float(lon)


def _rings(geometry: dict[str, Any]) -> list[list[Any]]:
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        raise InputError("geometry", f"Type moet Polygon of MultiPolygon zijn, niet {kind!r}")
    if not isinstance(coords, list) or not coords:
        raise InputError("geometry", "coordinates ontbreekt of is leeg")
    polygons = coords if kind == "MultiPolygon" else [coords]
    rings: list[list[Any]] = []
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise InputError("geometry", "Een polygoon heeft minstens één ring nodig")
        for ring in polygon:
            if not isinstance(ring, list):
                raise InputError("geometry", "Een ring moet een lijst met posities zijn")
            rings.append(ring)
    return rings


def check_geometry(geometry: Any, max_vertices: int) -> tuple[dict[str, Any], BaseGeometry]:
    """The checked GeoJSON geometry and its shape in RD New; InputError names the problem."""
    if not isinstance(geometry, dict):
        raise InputError("geometry", "geometry moet een GeoJSON-object zijn")
    rings = _rings(geometry)
    vertices = sum(len(ring) for ring in rings)
    if vertices > max_vertices:
        raise InputError("geometry", f"Te veel hoekpunten ({vertices}); maximaal {max_vertices}")
    for ring in rings:
        for position in ring:
            if (not isinstance(position, list) or len(position) not in (2, 3)
                    or not all(number(v) for v in position)):
                raise InputError("geometry", "Elke positie moet [lon, lat] met getallen zijn")
        if len(ring) < 4:
            raise InputError("geometry", "Een ring heeft minstens 4 posities nodig")
        if ring[0][:2] != ring[-1][:2]:
            raise InputError("geometry", "Ring is niet gesloten: de laatste positie moet "
                                         "gelijk zijn aan de eerste")
    positions = [p for ring in rings for p in ring]
    if not all(in_nl(p[1], p[0]) for p in positions):
        if all(in_nl(p[0], p[1]) for p in positions):
            raise InputError("geometry", "lat en lon lijken verwisseld: GeoJSON is [lon, lat]")
        raise InputError("geometry", "Het gebied ligt (deels) buiten Nederland")
    wgs = shape(geometry)
    if not wgs.is_valid:
        reason = shapely.is_valid_reason(wgs)
        raise InputError("geometry", f"Ongeldige geometrie: {_dutch(reason)}")
    if wgs.area == 0:
        raise InputError("geometry", "Het gebied heeft geen oppervlakte")
    clean = {"type": geometry["type"], "coordinates": _strip(geometry["coordinates"])}
    return clean, to_rd_shape(wgs)


def _dutch(reason: str) -> str:
    """explain_validity's English reason ("Self-intersection[5.1 52.0]") in Dutch."""
    text, _, where = reason.partition("[")
    names = {"Self-intersection": "de rand snijdt zichzelf",
             "Ring Self-intersection": "een ring raakt zichzelf",
             "Hole lies outside shell": "een gat ligt buiten de buitenrand",
             "Nested shells": "polygonen liggen in elkaar",
             "Interior is disconnected": "het binnengebied is onderbroken",
             "Too few points": "te weinig punten",
             "Duplicate Rings": "dubbele ringen",
             "Nested holes": "gaten liggen in elkaar"}
    dutch = names.get(text.strip(), text.strip())
    return f"{dutch} (bij {where.rstrip(']')})" if where else dutch


def _strip(value: Any) -> Any:
    """Coordinates as [lon, lat] floats (a third value, height, is dropped)."""
    if value and isinstance(value[0], int | float):
        return [float(value[0]), float(value[1])]
    return [_strip(v) for v in value]


def to_rd_shape(wgs: BaseGeometry) -> BaseGeometry:
    transformer = _to_rd()

    def project(coords: np.ndarray) -> np.ndarray:
        xs, ys = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([xs, ys])

    return shapely.transform(wgs, project)


def parse_time(field: str, value: Any) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise InputError(field, "Verwacht een tijdstip (ISO 8601 met tijdzone)")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(field, "Ongeldig tijdstip; gebruik ISO 8601") from None
    if moment.tzinfo is None:
        raise InputError(field, "Tijdzone ontbreekt (bijvoorbeeld +01:00 of Z)")
    return moment
