"""The change sequence that pull pages through.

Positions come from one counter row that the writing transaction locks until it commits,
so position N+1 cannot be handed out before the transaction holding N has committed or
rolled back: a reader never sees a later position while an earlier one is still coming.
"""

from __future__ import annotations

from collections.abc import Iterable

from server import bulk
from server.counters import advance
from server.models import Change

SEQ = "change_seq"
_COLUMNS = ("seq", "entity", "entity_id", "team_id", "removed")


def allocate(count: int) -> int:
    """Reserve ``count`` positions; returns the first. Held until commit."""
    last, _ = advance(SEQ, count)
    return last - count + 1


def mark(entries: Iterable[tuple[str, str, int | None, bool]]) -> None:
    """Give each (entity, id, team_id, removed) a new position, replacing its old one."""
    entries = list(entries)
    if not entries:
        return
    first = allocate(len(entries))
    bulk.insert(Change.__table__, _COLUMNS,
                [(first + i, *entry) for i, entry in enumerate(entries)],
                upsert_on=("entity", "entity_id"))
