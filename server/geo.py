"""Coordinates: WGS84 from the device, RD New (EPSG:28992) derived for Dutch maps and BRON."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from pyproj import Transformer
from pyproj.transformer import TransformerGroup


@lru_cache(maxsize=1)
def _to_rd() -> Transformer:
    """WGS84 → RD New by PROJ's best operation, built from that operation's pipeline text.

    A PROJ transformer is tied to the thread that made it: another thread rebuilds it
    from its recipe. A transformer made with ``from_crs`` searches PROJ's database again
    for that (30 to 100 ms, once in each of gunicorn's threads, in the middle of its
    first request); one made from a pipeline parses the text (0.3 ms). The best operation
    is the one ``from_crs`` applies to Dutch points (tests/unit/test_geo.py).
    """
    best = TransformerGroup("EPSG:4326", "EPSG:28992", always_xy=True).transformers[0]
    return Transformer.from_pipeline(best.definition)


def to_rd_many(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """[(lat, lon)] in WGS84 → [(x, y)] in RD New metres, rounded to a millimetre."""
    if not points:
        return []
    xs, ys = _to_rd().transform([p[1] for p in points], [p[0] for p in points])
    return [(round(x, 3), round(y, 3)) for x, y in zip(xs, ys, strict=True)]
