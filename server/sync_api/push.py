"""Applying a pushed batch of ops: one transaction, one result per op.

Each op stands alone: a rejected op changes nothing and does not stop the others. The
batch is read in a few queries (processed op ids, records, attachments), merged in
memory by the engine, and written back in a few bulk statements.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson
from flask import current_app
from sqlalchemy import text

from server import access, audit, bulk
from server.auth.tokens import Principal
from server.extensions import db
from server.models import Device, ProcessedOp, utcnow
from server.registrations import store, validation
from sync.hlc import HLC, Clock
from sync.merge import apply_op, check_op
from sync.model import Limits, Op, Record

# Matched with fullmatch: ``$`` would also accept a final newline. Op and record ids are
# UUIDs alike (PROTOCOL.md §4).
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_OP_KEYS = frozenset({"op_id", "record_id", "type", "base_rev", "set", "hlc"})
WRITER_ROLES = ("agent", "teamleider")
# Results a retry could change: not remembered, so the same op_id may come again. An open
# conflict that is full empties when a team leader resolves it, and a record too large
# shrinks when a text is shortened; a group never loses entries (tombstones stay), so
# too_many_items is final.
_RETRYABLE = frozenset({"missing_attachment", "not_found", "conflict_full",
                        "record_too_large"})
_TYPES = frozenset(validation.registration_types())


def parse_op(raw: Any, clock: Clock, device_id: str, author: str, bound: int
             ) -> Op | dict[str, Any]:
    """An Op of ``device_id`` and ``author``, or a rejected result naming every envelope
    problem. A stamp below ``bound`` (an earlier reading of ``clock.skew_bound()``) is
    kept as it is without asking the clock."""
    if not isinstance(raw, dict):
        return {"op_id": None, "record_id": None, "status": "rejected", "rev": 0,
                "errors": {"op": ["Een operatie moet een object zijn"]}}
    errors: dict[str, list[str]] = {}
    if not _OP_KEYS.issuperset(raw):
        errors.update({k: ["Onbekend veld"] for k in sorted(set(raw) - _OP_KEYS)})
    op_id, record_id = raw.get("op_id"), raw.get("record_id")
    if not isinstance(op_id, str) or not _UUID.fullmatch(op_id):
        errors["op_id"] = ["op_id moet een UUID zijn"]
    if not isinstance(record_id, str) or not _UUID.fullmatch(record_id):
        errors["record_id"] = ["record_id moet een UUID zijn"]
    rtype = raw.get("type")
    if type(rtype) is not str or rtype not in _TYPES:  # a list is unhashable: test str first
        errors["type"] = ["Onbekend registratietype"]
    base_rev = raw.get("base_rev")
    if not isinstance(base_rev, int) or isinstance(base_rev, bool) or not 0 <= base_rev < 2**31:
        errors["base_rev"] = ["base_rev moet een geheel getal ≥ 0 zijn"]
    if not isinstance(raw.get("set"), dict):
        errors["set"] = ["set moet een object zijn"]
    stamp = None
    try:
        stamp = HLC.parse(raw.get("hlc"))  # type: ignore[arg-type]
    except ValueError as exc:
        errors["hlc"] = [str(exc)]
    if stamp is not None and stamp.node != device_id:
        errors["hlc"] = ["De hlc hoort bij een ander apparaat"]
    if errors:
        return {"op_id": op_id if isinstance(op_id, str) else None,
                "record_id": record_id if isinstance(record_id, str) else None,
                "status": "rejected", "rev": 0, "errors": errors}
    assert stamp is not None
    try:
        # serialised once, outside the write lock: the size bound and the history use it
        set_json: bytes | None = orjson.dumps(raw["set"])
    except orjson.JSONEncodeError:
        set_json = None
    return Op(op_id=op_id, record_id=record_id.lower(), type=rtype, base_rev=base_rev,
              set=raw["set"], hlc=stamp if stamp.ms < bound else clock.clamp(stamp),
              device=device_id, author=author, set_json=set_json)


def _lock_device(device_id: str) -> None:
    """One push per device at a time (SQLite already serialises writers)."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(device_id.encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def limits() -> Limits:
    config = current_app.config
    return Limits(max_group_items=config["MAX_GROUP_ITEMS"],
                  max_conflict_values=config["MAX_CONFLICT_VALUES"],
                  max_record_bytes=config["MAX_RECORD_BYTES"])


def push(principal: Principal, raw_ops: list[Any], clock: Clock) -> dict[str, Any]:
    user, device = principal.user, principal.device
    bounds = limits()
    bound = clock.skew_bound()
    parsed = [parse_op(raw, clock, device.id, user.username, bound) for raw in raw_ops]
    ops = [p for p in parsed if isinstance(p, Op)]
    if ops:
        # Adopting the newest stamp once is adopting each in turn: the clock only moves up.
        clock.observe(max(op.hlc for op in ops))
    photos = {id(op): store.photo_hashes(op.type, op.set) for op in ops}
    # Keys and values are checked before the write transaction begins: on SQLite it holds
    # the database's write lock, so other pushes wait only for the merge and the writes.
    checked = {id(op): check_op(op, validation) for op in ops}

    _lock_device(device.id)
    now = utcnow()
    at = now.isoformat()
    processed = _processed({op.op_id for op in ops})
    rows = store.load_states({op.record_id for op in ops})
    hashes = set().union(*photos.values())
    # Photos the author may link (uploaded them, or reads a registration linking them);
    # any other hash is answered as absent, so an answer never tells who holds a photo.
    present = access.photo_rights(user, hashes) if hashes else set()

    states: dict[str, Record] = {rid: row.record for rid, row in rows.items()}
    owners: dict[str, tuple[int, int]] = {
        rid: (row.team_id, row.created_by_id) for rid, row in rows.items()
    }
    created: dict[str, Any] = {rid: row.created_at for rid, row in rows.items()}
    names: dict[int, str] = {user.id: user.username}
    batch = store.Batch()
    remembered: dict[str, dict[str, Any]] = {}
    revised: set[str] = set()  # ops that wrote a revision (it holds their op_id)
    results: list[dict[str, Any]] = []
    events: list[audit.Event] = []
    written: list[tuple[str, str, int]] = []
    refused: list[str] = []  # records of another team: answered as absent, audited
    # record id → position in results of its last merged/conflict result: that one alone
    # carries the record, in its state after the whole push
    full: dict[str, int] = {}

    for op in parsed:
        if not isinstance(op, Op):
            results.append(op)
            continue
        first = remembered.get(op.op_id)
        if first is None and op.op_id in processed:
            owner_id, first = processed[op.op_id]
            if owner_id != user.id:
                results.append(_rejected(op, 0, {"op_id": ["Dit op_id is al gebruikt"]}))
                continue
        if first is not None:
            results.append({**first, "status": "duplicate", "first_status": first["status"]})
            continue

        state = states.get(op.record_id)
        owner = owners.get(op.record_id)
        if owner is not None and owner[0] != user.team_id:
            results.append(_rejected(op, 0, {"record_id": ["not_found"]}, "not_found"))
            refused.append(op.record_id)
            continue
        if owner is None and user.team_id is None:
            results.append(_rejected(op, 0, {"record_id": ["Alleen leden van een team "
                                                           "kunnen registreren"]}))
            continue
        op_photos = photos[id(op)]
        missing = op_photos - present if op_photos else None
        if missing:
            results.append(_rejected(
                op, state.rev if state else 0,
                {"missing_attachment": sorted(missing)}, "missing_attachment"))
            continue

        outcome = apply_op(state, op, validation, at, checked[id(op)], bounds)
        if outcome.status == "rejected":
            rev = state.rev if state else 0
            reason = outcome.reason or (
                "not_found" if outcome.errors.get("record_id") == ["not_found"] else None)
            result = _rejected(op, rev, outcome.errors, reason)
            if outcome.amendment is not None and state is not None:
                state = _with_amendment(state, outcome.amendment)
                states[op.record_id] = state
                batch.save(state, owner[0], owner[1], now, False, False, False)
                batch.revision(state.id, state.rev, user.id, device.id, now, str(op.hlc),
                               op.op_id, "amendment", _history(op))
                # readers of the record see its amendments, photos included
                batch.attachment_links.update((state.id, sha) for sha in op_photos)
                result["rev"] = state.rev
                result["amendment"] = outcome.amendment["id"]
                revised.add(op.op_id)
                events.append(audit.Event("amendment", user.id, device.id, "registration",
                                          [op.record_id], {"op_id": op.op_id}))
            results.append(result)
            if reason not in _RETRYABLE:
                remembered[op.op_id] = result
            continue

        new = outcome.record
        assert new is not None
        if new is state:
            # the current status again: accepted, nothing written, no revision
            result = {"op_id": op.op_id, "record_id": op.record_id, "status": "applied",
                      "rev": new.rev}
            remembered[op.op_id] = result
            results.append(result)
            continue
        is_new = state is None
        if is_new:
            owners[op.record_id] = owner = (user.team_id, user.id)
            created[op.record_id] = now
        assert owner is not None
        states[op.record_id] = new
        location_key = store.LOCATION_FIELDS.get(new.type, "location")
        batch.save(new, owner[0], owner[1], now, is_new, location_key in op.set,
                   outcome.status_change == "submitted")
        # the history keeps all the op set, values that lost on HLC included
        batch.revision(new.id, new.rev, user.id, device.id, now, str(op.hlc), op.op_id, "op",
                       _history(op), outcome.lost)
        for sha in op_photos:
            batch.attachment_links.add((new.id, sha))
        result = {"op_id": op.op_id, "record_id": op.record_id, "status": outcome.status,
                  "rev": new.rev}
        if outcome.conflicts:
            result["conflicts"] = [c["id"] for c in outcome.conflicts]
        remembered[op.op_id] = result
        revised.add(op.op_id)
        if outcome.status in ("merged", "conflict"):
            full[op.record_id] = len(results)
        results.append(result)
        written.append((op.record_id, op.op_id, new.rev))

    # The full record lets the device advance its base_rev; once per record, or 500 ops on
    # one record would send it 500 times. Not remembered: a duplicate answer repeats the
    # result, and the next pull brings the record.
    missing_names = {owners[rid][1] for rid in full} - names.keys()
    if missing_names:
        names.update(store.usernames(missing_names))
    for record_id, position in full.items():
        team_id, owner_id = owners[record_id]
        results[position] = {**results[position], "record": store.view(
            states[record_id], team_id, names.get(owner_id, ""), created[record_id], now)}

    batch.flush()
    # the record id only where no revision leads retention to the op (models.ProcessedOp)
    bulk.insert(ProcessedOp.__table__,
                ("op_id", "user_id", "device_id", "record_id", "result", "at"),
                [(op_id, user.id, device.id,
                  None if op_id in revised else result["record_id"], result, now)
                 for op_id, result in remembered.items()])
    if written:
        # One entry per push names every record written, with the op and new rev of each.
        events.append(audit.Event("write", user.id, device.id, "registration",
                                  [w[0] for w in written],
                                  {"ops": [[w[1], w[2]] for w in written]}))
    if refused:
        events.append(audit.Event("refused", user.id, device.id, "registration", refused,
                                  {"via": "push"}))
    # The device row before the chain head: every writer takes the two in this order.
    bulk.update(Device.__table__, ("last_sync_at",), "id", [(now, device.id)])
    audit.record(events)
    db.session.commit()
    return {"results": results, "hlc": str(clock.now())}


def _processed(op_ids: set[str]) -> dict[str, tuple[int, dict[str, Any]]]:
    """Ops already processed: op_id → (user id, first result)."""
    if not op_ids:
        return {}
    found = bulk.rows(
        f"SELECT op_id, user_id, result FROM processed_ops WHERE op_id IN "
        f"{bulk.in_list(len(op_ids))}", list(op_ids),
        (ProcessedOp.op_id, ProcessedOp.user_id, ProcessedOp.result))
    return {op_id: (user_id, result) for op_id, user_id, result in found}


def _history(op: Op) -> Any:
    """The op's set for its revision: the JSON made once in ``parse_op`` when there is."""
    return op.set if op.set_json is None else orjson.Fragment(op.set_json)


def _rejected(op: Op, rev: int, errors: dict[str, Any], reason: str | None = None
              ) -> dict[str, Any]:
    result = {"op_id": op.op_id, "record_id": op.record_id, "status": "rejected", "rev": rev,
              "errors": errors}
    if reason:
        result["reason"] = reason
    return result


def _with_amendment(state: Record, amendment: dict[str, Any]) -> Record:
    return Record(id=state.id, type=state.type, status=state.status, rev=state.rev + 1,
                  data=state.data, meta=state.meta, conflicts=state.conflicts,
                  amendments=[*state.amendments, amendment], review=state.review)
