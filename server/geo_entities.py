"""Views of the geographic entities that travel by pull: areas, notices, hotspots."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def load_views(keys: Iterable[tuple[str, str]]) -> dict[str, dict[str, dict[str, Any]]]:
    """{entity: {id: record}} for (entity, id) pairs; a missing id has no record."""
    from server import hotspots
    from server.areas import store as areas
    from server.notices import store as notices

    wanted: dict[str, set[str]] = {}
    for entity, entity_id in keys:
        wanted.setdefault(entity, set()).add(entity_id)
    loaders = {"area": areas.load_views, "notice": notices.load_views,
               "hotspot": hotspots.load_views}
    return {entity: loaders[entity](ids) for entity, ids in wanted.items() if entity in loaders}
