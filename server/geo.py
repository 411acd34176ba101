"""Coordinates: WGS84 from the device, RD New (EPSG:28992) derived for Dutch maps and BRON."""

from __future__ import annotations

from functools import lru_cache

from pyproj import Transformer


@lru_cache(maxsize=1)
def _to_rd() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)


def to_rd(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) in WGS84 → (x, y) in RD New metres, rounded to a millimetre."""
    x, y = _to_rd().transform(lon, lat)
    return round(x, 3), round(y, 3)
