"""Pull: the changes a user may see after a cursor, in change-log order.

The cursor carries the change position and a short hash of the user's access scope; when
the scope changed (another team) the reply says ``reset`` and starts from the beginning,
so the device can drop what it may no longer see.
"""

from __future__ import annotations

import hashlib
from typing import Any

from server import audit, bulk
from server.auth.tokens import Principal
from server.errors import ApiError
from server.geo_entities import load_views as load_geo_views
from server.models import EVERY_TEAM, Change, Counter
from server.registrations import store

REMAINING_CAP = 10_000
FLOOR = "change_floor"  # positions below this were pruned; older cursors must reset


def scope_of(principal: Principal) -> str:
    # The own team only: a substitute reviewer reads another team online, never offline.
    return f"team:{principal.user.team_id}"


def _scope_hash(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:10]


def make_cursor(seq: int, scope: str) -> str:
    return f"{seq}.{_scope_hash(scope)}"


def parse_cursor(cursor: str | None) -> tuple[int, str | None]:
    if not cursor:
        return 0, None
    seq_text, _, scope_hash = cursor.partition(".")
    if not seq_text.isdigit() or len(seq_text) > 18 or not scope_hash:
        raise ApiError(400, "invalid_cursor", "Ongeldige cursor; begin opnieuw zonder cursor",
                       errors={"since": ["Ongeldige cursor"]})
    return int(seq_text), scope_hash


_CHANGE_COLUMNS = (Change.seq, Change.entity, Change.entity_id, Change.removed)


def _ranges(scope: str, team_id: int | None) -> list[tuple[str, tuple[Any, ...]]]:
    """The index ranges of ``changes`` a scope may see: (condition, parameters) each.

    A team sees its own changes and those of every team. The two are read as two ranges of
    the (team_id, seq) index, each with its own LIMIT, and merged here: written as one
    ``OR``, SQLite collects every later change of both and sorts them for each page.
    """
    return [(" AND team_id = ?", (team_id,)), (f" AND team_id = {EVERY_TEAM}", ())]


def _page(ranges: list[tuple[str, tuple[Any, ...]]], since: int, count: int
          ) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for condition, params in ranges:
        rows += bulk.rows(
            f"SELECT seq, entity, entity_id, removed FROM changes WHERE seq > ?{condition} "
            f"ORDER BY seq LIMIT ?", (since, *params, count), _CHANGE_COLUMNS)
    if len(ranges) > 1:
        rows.sort(key=lambda row: row[0])
    return rows[:count]


def _count_after(ranges: list[tuple[str, tuple[Any, ...]]], seq: int) -> int:
    """Changes after ``seq``, counted up to REMAINING_CAP (cheap however far behind)."""
    total = 0
    for condition, params in ranges:
        total += bulk.rows(
            f"SELECT count(*) FROM (SELECT seq FROM changes WHERE seq > ?{condition} "
            f"LIMIT {REMAINING_CAP}) AS later", (seq, *params))[0][0]
    return min(total, REMAINING_CAP)


def pull(principal: Principal, cursor: str | None, limit: int) -> dict[str, Any]:
    scope = scope_of(principal)
    since, scope_hash = parse_cursor(cursor)
    floor_row = bulk.rows("SELECT value FROM counters WHERE name = ?", (FLOOR,),
                          (Counter.value,))
    floor = floor_row[0][0] if floor_row else 0
    reset = False
    if scope_hash is not None and (scope_hash != _scope_hash(scope) or since < floor):
        since, reset = 0, True

    ranges = _ranges(scope, principal.user.team_id)
    rows = _page(ranges, since, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    # How many follow this page, so a device can show "n of m" during a long pull.
    remaining = _count_after(ranges, rows[-1][0]) if more else 0

    registration_ids = [
        entity_id for _, entity, entity_id, removed in rows
        if entity == "registration" and not removed
    ]
    records = {"registration": store.load_wire_views(registration_ids)}
    records.update(load_geo_views(
        (entity, entity_id) for _, entity, entity_id, removed in rows
        if entity != "registration" and not removed))
    changes: list[dict[str, Any]] = []
    for _, entity, entity_id, removed in rows:
        record = None if removed else records.get(entity, {}).get(entity_id)
        if record is None:
            changes.append({"entity": entity, "id": entity_id,
                            "op": "remove", "rev": None, "record": None})
        else:
            changes.append({"entity": entity, "id": entity_id,
                            "op": "upsert", "rev": record["rev"], "record": record})
    next_seq = rows[-1][0] if rows else since
    # A pull writes nothing: its audit event is made durable apart and chained later, and
    # the chainer takes the device's last sync from a complete pull's event.
    user_id, device_id = principal.user.id, principal.device.id
    if registration_ids:
        audit.record_read([audit.Event("read", user_id, device_id, "registration",
                                       registration_ids, {"via": "pull"})], synced=not more)
    elif not more:
        audit.record_read([audit.Event("sync", user_id, device_id)], synced=True)
    reply: dict[str, Any] = {"changes": changes, "cursor": make_cursor(next_seq, scope),
                             "more": more, "remaining": remaining}
    if reset:
        reply["reset"] = True
    return reply
