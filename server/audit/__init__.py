"""Append-only, hash-chained audit log of logins and of every read and write of police data.

Each entry's hash covers its own fields and the previous entry's hash, so altering or
removing any row breaks the chain from that row on; ``audit-verify`` finds the first
broken link. The chain head (last id and hash) lives in a counter row that writers lock
until commit, so concurrent requests append one after another, never forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from server import bulk
from server.counters import advance, set_text
from server.extensions import db
from server.models import AuditEntry, Counter, utcnow

GENESIS = "0" * 64
HEAD = "audit_head"
_COLUMNS = ("id", "at", "user_id", "device_id", "action", "entity", "entity_ids", "detail",
            "prev_hash", "hash")


@dataclass(slots=True)
class Event:
    action: str
    user_id: int | None
    device_id: str | None
    entity: str | None = None
    entity_ids: list[str] | None = None
    detail: dict[str, Any] | None = None


def _digest(prev_hash: str, row: dict[str, Any]) -> str:
    body = json.dumps(
        [row["id"], row["at"], row["user_id"], row["device_id"], row["action"],
         row["entity"], row["entity_ids"], row["detail"]],
        separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def record(events: Iterable[Event]) -> None:
    """Append events in the current transaction (committed with the change they log)."""
    events = list(events)
    if not events:
        return
    last, head_hash = advance(HEAD, len(events), GENESIS)
    prev = head_hash or GENESIS
    at = utcnow().isoformat()
    rows = []
    for entry_id, event in enumerate(events, start=last - len(events) + 1):
        row = {
            "id": entry_id,
            "at": at,
            "user_id": event.user_id,
            "device_id": event.device_id,
            "action": event.action,
            "entity": event.entity,
            "entity_ids": json.dumps(event.entity_ids) if event.entity_ids is not None else None,
            "detail": json.dumps(event.detail, ensure_ascii=False, sort_keys=True)
            if event.detail is not None else None,
        }
        row["prev_hash"] = prev
        row["hash"] = prev = _digest(prev, row)
        rows.append(tuple(row[c] for c in _COLUMNS))
    bulk.insert(AuditEntry.__table__, _COLUMNS, rows)
    set_text(HEAD, prev)


def verify(batch: int = 5000) -> tuple[bool, int | None, str]:
    """Walk the chain; returns (ok, first bad entry id, explanation)."""
    prev = GENESIS
    expected_id = 1
    last_id = 0
    while True:
        rows = db.session.execute(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for entry in rows:
            if entry.id != expected_id:
                return False, expected_id, f"regel {expected_id} ontbreekt"
            row = {
                "id": entry.id, "at": entry.at, "user_id": entry.user_id,
                "device_id": entry.device_id, "action": entry.action, "entity": entry.entity,
                "entity_ids": entry.entity_ids, "detail": entry.detail,
            }
            if entry.prev_hash != prev or _digest(prev, row) != entry.hash:
                return False, entry.id, f"regel {entry.id} is gewijzigd"
            prev = entry.hash
            expected_id += 1
            last_id = entry.id
    head = db.session.execute(select(Counter).where(Counter.name == HEAD)).scalar_one_or_none()
    if head is not None and (head.value != last_id or (head.text or GENESIS) != prev):
        return False, last_id + 1, f"regels na {last_id} ontbreken"
    return True, None, f"{last_id} regels in orde"
