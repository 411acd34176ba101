"""The change sequence that pull pages through.

Positions come from one counter row that the writing transaction locks until it commits,
so position N+1 cannot be handed out before the transaction holding N has committed or
rolled back: a reader never sees a later position while an earlier one is still coming.

The log keeps one row per (entity, id, team): an entity that several teams see (a notice
for two teams) has a row for each, and a team that no longer sees it keeps a ``removed``
row at a new position, so its next pull says ``remove``. Team EVERY_TEAM means every team.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from server import bulk
from server.counters import advance, lock
from server.extensions import db
from server.models import EVERY_TEAM, Change

SEQ = "change_seq"
_COLUMNS = ("seq", "entity", "entity_id", "team_id", "removed")
_KEY = ("entity", "entity_id", "team_id")


def allocate(count: int) -> int:
    """Reserve ``count`` positions; returns the first. Held until commit."""
    last, _ = advance(SEQ, count)
    return last - count + 1


def mark(entries: Iterable[tuple[str, str, int | None, bool]]) -> None:
    """Give each (entity, id, team_id, removed) a new position, replacing its old one.

    For entities that belong to one team for life (registrations); ``None`` is every team.
    """
    entries = list(entries)
    if not entries:
        return
    first = allocate(len(entries))
    bulk.insert(Change.__table__, _COLUMNS,
                [(first + i, entity, entity_id, EVERY_TEAM if team is None else team, removed)
                 for i, (entity, entity_id, team, removed) in enumerate(entries)],
                upsert_on=_KEY)


def visible_teams(entity: str, entity_id: str) -> set[int]:
    """The teams (EVERY_TEAM for all) whose latest row of the entity is not a removal."""
    return {row[0] for row in bulk.rows(
        "SELECT team_id FROM changes WHERE entity = ? AND entity_id = ? AND removed = ?",
        (entity, entity_id, False))}


def mark_teams(entity: str, entity_id: str, teams: set[int] | None,
               removed: bool = False) -> None:
    """The entity changed and is now seen by ``teams`` (None: every team; empty: nobody).

    Teams that saw it and no longer do get a removal, at positions before the new rows:
    a team that still sees it through EVERY_TEAM reads the removal, then the upsert.
    """
    now = {EVERY_TEAM} if teams is None else set(teams)
    if removed:
        now, gone = set(), visible_teams(entity, entity_id) | now
    else:
        gone = visible_teams(entity, entity_id) - now
    entries = [(entity, entity_id, team, True) for team in sorted(gone)]
    entries += [(entity, entity_id, team, False) for team in sorted(now)]
    mark(entries)


# --- followers: SQLite indexes kept off the push, following the log from a position -------

def registrations_after(position: str) -> str:
    """SQL selecting the ids of registrations changed after the counter ``position`` (the
    counter's name is a constant of the caller, never user input)."""
    return ("SELECT entity_id FROM changes WHERE seq > coalesce((SELECT value FROM counters "
            f"WHERE name = '{position}'), 0) AND entity = 'registration'")


def follow(position: str, apply: Callable[[list[str]], None], batch: int = 500) -> int:
    """Hand the registrations changed after the counter ``position`` to ``apply``, a batch
    of changes at a time, and move the position past them in the same short write
    transaction: processes running this at once take turns and each batch is handled
    once. Returns the registrations handed over. With nothing new (most runs) it only
    reads, so an idle follower never takes SQLite's write lock."""
    if not bulk.read_apart(f"{registrations_after(position)} LIMIT 1"):
        return 0
    total = 0
    while True:
        db.session.commit()  # what came before ends; next: BEGIN IMMEDIATE, the write lock
        start = int(lock(position)[0])
        found = bulk.rows("SELECT seq, entity_id FROM changes WHERE seq > ? "
                          "AND entity = 'registration' ORDER BY seq LIMIT ?", (start, batch))
        if not found:
            db.session.rollback()
            return total
        ids = sorted({row[1] for row in found})
        apply(ids)
        bulk.rows("UPDATE counters SET value = ? WHERE name = ?", (found[-1][0], position))
        db.session.commit()
        total += len(ids)
        if len(found) < batch:
            return total
