"""Coordinates: WGS84 from the device, RD New (EPSG:28992) derived for Dutch maps and BRON."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from pyproj import Transformer

# pyproj builds a new PROJ transformer in every thread that uses one (tens of
# milliseconds); a threaded server starts a thread per request. One long-lived thread
# owns the transformer and converts a request's points in one call.
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rd-new")


@lru_cache(maxsize=1)
def _to_rd() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)


def _convert(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    xs, ys = _to_rd().transform([p[1] for p in points], [p[0] for p in points])
    return [(round(x, 3), round(y, 3)) for x, y in zip(xs, ys, strict=True)]


def to_rd_many(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """[(lat, lon)] in WGS84 → [(x, y)] in RD New metres, rounded to a millimetre."""
    if not points:
        return []
    return _worker.submit(_convert, list(points)).result()
