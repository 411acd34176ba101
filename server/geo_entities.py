"""Views of the geographic entities that travel by pull: areas, notices, hotspots."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from server import changes
from server.extensions import db


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


def area_live(area: Any, now: datetime) -> bool:
    """Devices keep an area until it ended and no notice that is not over refers to it."""
    from server.models import Notice, aware

    if area.valid_until is None or aware(area.valid_until) > now:
        return True
    return db.session.execute(
        select(Notice.id).where(Notice.area_id == area.id, Notice.valid_until > now).limit(1)
    ).first() is not None


def retract_ended(now: datetime | None = None) -> int:
    """The ``geo-retract`` job: notices and areas whose ``valid_until`` passed since they
    were last logged get a removal in the change log, so the next pull takes them off the
    devices (a read never writes; the job does, every 15 s). Returns how many."""
    from server.areas import store as areas
    from server.models import Area, Notice, utcnow

    now = now or utcnow()
    count = 0
    # Locked, so a concurrent change (which locks the row too) is seen before deciding.
    for notice in db.session.execute(
            select(Notice).where(Notice.retracted_at.is_(None), Notice.valid_until <= now)
            .order_by(Notice.id).with_for_update()).scalars():
        changes.mark_teams("notice", str(notice.id), set())
        notice.retracted_at = now
        count += 1
    db.session.flush()
    for area in db.session.execute(
            select(Area).where(Area.retracted_at.is_(None), Area.valid_until <= now)
            .order_by(Area.id).with_for_update()).scalars():
        if not area_live(area, now):
            areas.on_devices(area, now)
            count += 1
    db.session.commit()
    return count
