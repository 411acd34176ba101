"""Pull: the changes a user may see after a cursor, in change-log order.

The cursor carries the change position and a short hash of the user's access scope; when
the scope changed (another team) the reply says ``reset`` and starts from the beginning,
so the device can drop what it may no longer see.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, or_, select

from server import audit
from server.auth.tokens import Principal
from server.errors import ApiError
from server.extensions import db
from server.models import Change, Counter, Device, utcnow
from server.registrations import store

REMAINING_CAP = 10_000
FLOOR = "change_floor"  # positions below this were pruned; older cursors must reset


def scope_of(principal: Principal) -> str:
    user = principal.user
    if user.role == "beheerder":
        return "all"
    return f"team:{user.team_id}"


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


def pull(principal: Principal, cursor: str | None, limit: int) -> dict[str, Any]:
    scope = scope_of(principal)
    since, scope_hash = parse_cursor(cursor)
    floor_row = db.session.get(Counter, FLOOR)
    floor = floor_row.value if floor_row else 0
    reset = False
    if scope_hash is not None and (scope_hash != _scope_hash(scope) or since < floor):
        since, reset = 0, True

    visible = Change.seq > since
    if scope != "all":
        team_id = principal.user.team_id
        visible = visible & or_(Change.team_id == team_id, Change.team_id.is_(None))
    rows = list(db.session.execute(
        select(Change).where(visible).order_by(Change.seq).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    # How many follow this page, so a device can show "n of m" during a long pull; capped so
    # that counting stays cheap however far behind the device is.
    remaining = db.session.execute(
        select(func.count()).select_from(
            select(Change.seq).where(visible, Change.seq > rows[-1].seq)
            .limit(REMAINING_CAP).subquery())
    ).scalar_one() if more else 0

    registration_ids = [c.entity_id for c in rows if c.entity == "registration" and not c.removed]
    records = store.load_views(registration_ids)
    changes: list[dict[str, Any]] = []
    for change in rows:
        if change.entity == "registration":
            record = records.get(change.entity_id)
            if record is None:
                changes.append({"entity": "registration", "id": change.entity_id,
                                "op": "remove", "rev": None, "record": None})
            else:
                changes.append({"entity": "registration", "id": record["id"],
                                "op": "upsert", "rev": record["rev"], "record": record})
    next_seq = rows[-1].seq if rows else since
    if registration_ids:
        audit.record([audit.Event("read", principal.user.id, principal.device.id,
                                  "registration", registration_ids, {"via": "pull"})])
    if not more:
        db.session.query(Device).filter(Device.id == principal.device.id).update(
            {"last_sync_at": utcnow()})
    db.session.commit()
    reply: dict[str, Any] = {"changes": changes, "cursor": make_cursor(next_seq, scope),
                             "more": more, "remaining": remaining}
    if reset:
        reply["reset"] = True
    return reply
