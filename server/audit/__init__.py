"""Append-only audit log of logins and of every read and write of police data, refused
attempts included: ids, field names and decisions, never field values or comments.

Each entry's MAC (HMAC-SHA256 under a key kept outside the database, ``keys``) covers its
own fields and the previous entry's MAC, so altering or removing a row breaks the chain
from that row on, and without the key nobody can rebuild it. After each commit that
extends the chain, its head is appended to an anchor outside the database (``anchor``),
so cutting off the tail is seen too. ``audit-verify`` (``verify``) checks both.

Writes append their events in their own transaction (``record``): the chain head is a
counter row that writers lock until commit, so appends never fork the chain. Reads must
not wait for that lock behind a push, so ``record_read`` makes their events durable in a
pending store at once (``pending``) and the chainer appends them later (``chainer``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from server import bulk
from server.audit import anchor, pending
from server.audit.keys import audit_key
from server.counters import advance, set_text
from server.models import AuditEntry, utcnow

GENESIS = "0" * 64
HEAD = "audit_head"
# Entries up to this id were written before MACs: plain SHA-256 (see verify).
LEGACY = "audit_legacy"
_COLUMNS = ("id", "at", "user_id", "device_id", "action", "entity", "entity_ids", "detail",
            "event_id", "prev_hash", "hash")
_ANCHOR = "wijkpost.audit_anchor"


@dataclass(slots=True)
class Event:
    action: str
    user_id: int | None
    device_id: str | None
    entity: str | None = None
    entity_ids: list[str] | None = None
    detail: dict[str, Any] | None = None


def _body(row: dict[str, Any], with_event_id: bool) -> str:
    fields = [row["id"], row["at"], row["user_id"], row["device_id"], row["action"],
              row["entity"], row["entity_ids"], row["detail"]]
    if with_event_id:
        fields.append(row["event_id"])
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


def legacy_digest(prev_hash: str, row: dict[str, Any]) -> str:
    """The plain SHA-256 link of entries written before MACs."""
    return hashlib.sha256((prev_hash + _body(row, False)).encode()).hexdigest()


def mac(key: bytes, prev_mac: str, row: dict[str, Any]) -> str:
    return hmac.new(key, (prev_mac + _body(row, True)).encode(), hashlib.sha256).hexdigest()


def _texts(event: Event) -> tuple[str | None, str | None]:
    return (json.dumps(event.entity_ids) if event.entity_ids is not None else None,
            json.dumps(event.detail, ensure_ascii=False, sort_keys=True)
            if event.detail is not None else None)


def record(events: Iterable[Event]) -> None:
    """Append events in the current write transaction (committed with the change they log)."""
    at = utcnow().isoformat()
    append([(str(uuid.uuid4()), at, e.user_id, e.device_id, e.action, e.entity, *_texts(e))
            for e in events])


def append(items: Sequence[Sequence[Any]]) -> None:
    """Chain ``(event_id, at, user_id, device_id, action, entity, entity_ids, detail)``
    tuples, in the current transaction; the head is anchored after its commit."""
    if not items:
        return
    last, head = advance(HEAD, len(items), GENESIS)
    prev = head or GENESIS
    key = audit_key()
    rows = []
    for entry_id, item in enumerate(items, start=last - len(items) + 1):
        row = dict(zip(("event_id", "at", "user_id", "device_id", "action", "entity",
                        "entity_ids", "detail"), item, strict=True), id=entry_id)
        row["prev_hash"] = prev
        row["hash"] = prev = mac(key, prev, row)
        rows.append(tuple(row[c] for c in _COLUMNS))
    bulk.insert(AuditEntry.__table__, _COLUMNS, rows)
    set_text(HEAD, prev)
    from server.extensions import db

    db.session().info[_ANCHOR] = (last, prev)


@sa_event.listens_for(Session, "after_commit")
def _anchor_after_commit(session: Session) -> None:
    head = session.info.pop(_ANCHOR, None)
    if head is not None:
        anchor.append(*head)


@sa_event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_ANCHOR, None)


def record_read(events: Iterable[Event], synced: bool = False) -> None:
    """Make read events durable now, outside the request's transaction (so a refused read
    is kept although the request fails); the chainer appends them. ``synced``: the events
    end a complete pull, whose time the chainer also sets as the device's last sync."""
    at = utcnow().isoformat()
    rows = [(str(uuid.uuid4()), at, e.user_id, e.device_id, e.action, e.entity, *_texts(e),
             synced) for e in events]
    if rows:
        pending.store().add(rows)


def refused(user_id: int, device_id: str | None, entity: str | None,
            entity_ids: list[str] | None, via: str) -> None:
    """A refused attempt to read (or act on) police data: who, what, through which call."""
    record_read([Event("refused", user_id, device_id, entity, entity_ids, {"via": via})])


from server.audit.chainer import chain_pending, start_chainer  # noqa: E402
from server.audit.verify import verify  # noqa: E402

__all__ = ["Event", "append", "chain_pending", "record", "record_read", "refused",
           "start_chainer", "verify"]
