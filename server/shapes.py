"""Exact point-in-area tests inside SQLite queries: an SQL function over prepared shapes.

SQLite has no geometry of its own: its R*Tree narrows by bounding box, and the exact test
runs in Python, as ``wijkpost_in_shape(key, x, y)`` registered on every connection (see
``server.sqlite``). A query passes a short key rather than the shape itself (an area may
have thousands of corners, and the function is called once per row): ``register`` keeps
the prepared shape under that key, the hash of its WKB, before the query runs.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import shapely

# Shapes of the areas asked for lately. Far more than the areas listed at one moment: a
# shape is registered right before its query, so it cannot be pushed out meanwhile.
MAX_SHAPES = 256
_shapes: OrderedDict[str, Any] = OrderedDict()
_lock = threading.Lock()


def register(wkb: bytes) -> str:
    """The key under which ``wkb`` (RD New) is kept, prepared, for ``in_shape``."""
    key = hashlib.blake2b(wkb, digest_size=16).hexdigest()
    with _lock:
        if key in _shapes:
            _shapes.move_to_end(key)
            return key
    shape = shapely.from_wkb(wkb)
    shapely.prepare(shape)
    with _lock:
        _shapes[key] = shape
        while len(_shapes) > MAX_SHAPES:
            _shapes.popitem(last=False)
    return key


def in_shape(key: str, x: float | None, y: float | None) -> int:
    """1 when the point (RD New) lies in the shape or on its boundary (PostGIS's
    ST_Covers), else 0; a registration without a location is in no area."""
    if x is None or y is None:
        return 0
    return int(shapely.intersects_xy(_shapes[key], x, y))
