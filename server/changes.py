"""The change sequence that pull pages through.

Positions come from one counter row that the writing transaction locks until it commits,
so position N+1 cannot be handed out before the transaction holding N has committed or
rolled back: a reader never sees a later position while an earlier one is still coming.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, tuple_

from server.counters import lock_counter
from server.extensions import db
from server.models import Change

SEQ = "change_seq"


def allocate(count: int) -> int:
    """Reserve ``count`` positions; returns the first. Hold the lock until commit."""
    counter = lock_counter(SEQ)
    first = counter.value + 1
    counter.value += count
    return first


def mark(entries: Iterable[tuple[str, str, int | None, bool]]) -> None:
    """Give each (entity, id, team_id, removed) a new position, replacing its old one."""
    entries = list(entries)
    if not entries:
        return
    first = allocate(len(entries))
    db.session.execute(
        delete(Change).where(
            tuple_(Change.entity, Change.entity_id).in_([(e[0], e[1]) for e in entries])
        )
    )
    db.session.execute(
        insert(Change.__table__),
        [
            {"seq": first + i, "entity": entity, "entity_id": entity_id, "team_id": team_id,
             "removed": removed}
            for i, (entity, entity_id, team_id, removed) in enumerate(entries)
        ],
    )
