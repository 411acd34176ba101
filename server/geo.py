"""Coordinates: WGS84 from the device, RD New (EPSG:28992) derived for Dutch maps and BRON."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from pyproj import Transformer

# A PROJ transformer is tied to the thread that uses it: using one from another thread
# rebuilds it there (about 0.1 s). Each thread keeps its own; gunicorn's threads live as
# long as the worker, so each pays that once, and a conversion costs about 1 µs a point.
_local = threading.local()


def _to_rd() -> Transformer:
    transformer = getattr(_local, "to_rd", None)
    if transformer is None:
        transformer = _local.to_rd = Transformer.from_crs("EPSG:4326", "EPSG:28992",
                                                          always_xy=True)
    return transformer


def to_rd_many(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """[(lat, lon)] in WGS84 → [(x, y)] in RD New metres, rounded to a millimetre."""
    if not points:
        return []
    xs, ys = _to_rd().transform([p[1] for p in points], [p[0] for p in points])
    return [(round(x, 3), round(y, 3)) for x, y in zip(xs, ys, strict=True)]
