"""Three-way merge of one op into a record, with the conflict policy of the protocol.

An op is judged against every change since its ``base_rev``, path by path:

* a path nobody else touched since ``base_rev`` takes the op's value (the device's own
  earlier edits are sequential, not concurrent);
* a path another device touched since ``base_rev`` is a conflict: ``data`` keeps the value
  with the highest HLC and an open conflict lists every concurrent value, so nothing is
  lost and nothing is overwritten silently.

Status is never merged by HLC: it is a transition checked against the current status.
Functions here are pure: they return a new ``Record`` and never modify their input.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from sync.hlc import HLC
from sync.model import (
    DEVICE_STATUSES,
    EDITABLE_STATUSES,
    SERVER_KEYS,
    Op,
    Outcome,
    Record,
    Rules,
)
from sync.paths import as_set, item_field_path, item_path, parse_item_key

_CONFLICT_NS = uuid.UUID("6f1c1f43-3b0e-4d35-9a53-1f3b8c2f6a10")
_STATUS_KEYS = ("status", "withdraw_reason")
_TRANSITIONS = {
    "submitted": {"draft", "returned"},
    "withdrawn": {"draft", "submitted", "returned"},
}


def new_record(op: Op) -> Record:
    return Record(id=op.record_id, type=op.type)


def reject(errors: dict[str, list[str]], amendment: dict[str, Any] | None = None) -> Outcome:
    return Outcome(status="rejected", errors=errors, amendment=amendment)


def apply_op(record: Record | None, op: Op, rules: Rules, at: str) -> Outcome:
    """Apply ``op`` to ``record`` (None for a record the server has not seen).

    ``at`` is the server time written on amendments and conflict values.
    """
    if record is None:
        if op.base_rev != 0:
            return reject({"record_id": ["not_found"]})
        record = new_record(op)
    if op.type != record.type:
        return reject({"type": ["Type past niet bij de bestaande registratie"]})
    if op.base_rev > record.rev:
        return reject({"base_rev": ["base_rev ligt na de huidige revisie van de registratie"]})

    errors = _validate(record, op, rules)
    if errors:
        return reject(errors)

    data_keys = [k for k in op.set if k not in _STATUS_KEYS]
    target = op.set.get("status")
    if record.status not in EDITABLE_STATUSES:
        reason = record.status
        amendment = None
        if data_keys or "withdraw_reason" in op.set:
            amendment = {
                "id": op.op_id,
                "set": op.set,
                "author": op.author,
                "device": op.device,
                "hlc": str(op.hlc),
                "at": at,
                "reason": reason,
            }
        label = "goedgekeurd" if reason == "approved" else "ingetrokken"
        return reject(
            {"status": [f"De registratie is {label}; de wijziging is bewaard als aanvulling"]},
            amendment,
        )
    if target is not None and target != record.status and record.status not in _TRANSITIONS[target]:
        return reject({"status": [f"Van status {record.status} kan niet naar {target}"]})

    merger = _Merger(record, op, at)
    for key in data_keys:
        merger.set(key, op.set[key])
    if "withdraw_reason" in op.set:
        merger.set("withdraw_reason", op.set["withdraw_reason"])
    new = merger.result

    status_change = None
    if target is not None and target != record.status:
        if target == "submitted":
            missing = rules.missing_required(record.type, new.data)
            if missing:
                return reject(missing)
        if target == "withdrawn" and not new.data.get("withdraw_reason"):
            return reject({"withdraw_reason": ["Geef een reden voor het intrekken"]})
        new.status = target
        status_change = target
        if target == "submitted":
            new.review = None

    new.rev = record.rev + 1
    merger.stamp_revision(new.rev)
    if merger.conflicts:
        status = "conflict"
    elif any(d != merger.dev and r > op.base_rev for d, r in record.meta["d"].items()):
        status = "merged"
    else:
        status = "applied"
    return Outcome(
        status=status,
        record=new,
        changes=merger.changes,
        conflicts=merger.conflicts,
        status_change=status_change,
    )


def _validate(record: Record, op: Op, rules: Rules) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not op.set:
        errors["set"] = ["Een operatie moet minstens één veld zetten"]
    for key, value in op.set.items():
        if key in SERVER_KEYS:
            errors[key] = ["Dit veld wordt door de server bepaald"]
        elif key == "status":
            if value not in DEVICE_STATUSES:
                errors[key] = ["Een apparaat kan alleen indienen of intrekken"]
        elif key == "withdraw_reason":
            if not isinstance(value, str) or not 1 <= len(value.strip()) <= 1000:
                errors[key] = ["Reden moet tekst zijn van 1 tot 1000 tekens"]
        else:
            errors.update(rules.validate_set(record.type, key, value))
    return errors


class _Merger:
    """Accumulates the effect of one op's keys on a copy of the record."""

    def __init__(self, record: Record, op: Op, at: str) -> None:
        self.op = op
        self.at = at
        self.hlc = str(op.hlc)
        self.result = Record(
            id=record.id,
            type=record.type,
            status=record.status,
            rev=record.rev,
            data=dict(record.data),
            meta=copy_meta(record.meta),
            conflicts=list(record.conflicts),
            amendments=record.amendments,
            review=record.review,
        )
        meta = self.result.meta
        # Devices and authors are kept once per record and referred to by index.
        self.dev = str(_intern(meta["n"], op.device))
        # what a path entry records about this op: hlc ms, counter, device, author
        self._stamp = (op.hlc.ms, op.hlc.counter, int(self.dev), _intern(meta["a"], op.author))
        self.changes: dict[str, Any] = {}
        self.conflicts: list[dict[str, Any]] = []
        self.touched: set[str] = set()
        self._copied_groups: set[str] = set()

    # -- bookkeeping -------------------------------------------------------------------

    def stamp_revision(self, rev: int) -> None:
        """Record that this op's device wrote ``rev``, on the record and each path touched."""
        meta = self.result.meta
        meta["d"][self.dev] = rev
        for path in self.touched:
            meta["f"][path][4][self.dev] = rev

    def _concurrent(self, paths: list[str]) -> list[list[Any]]:
        """Meta entries of ``paths`` that another device changed since the op's base."""
        meta_f = self.result.meta["f"]
        found = []
        for path in paths:
            entry = meta_f.get(path)
            if entry and any(
                d != self.dev and r > self.op.base_rev for d, r in entry[4].items()
            ):
                found.append(entry)
        return found

    def _touch(self, path: str, won: bool) -> None:
        meta_f = self.result.meta["f"]
        old = meta_f.get(path)
        revs = dict(old[4]) if old else {}
        if won or old is None:
            meta_f[path] = [*self._stamp, revs]
        else:
            meta_f[path] = [*old[:4], revs]
        self.touched.add(path)

    def _entry_hlc(self, entry: list[Any]) -> HLC:
        return HLC(entry[0], entry[1], self.result.meta["n"][entry[2]])

    def _max_hlc(self, entries: list[list[Any]]) -> HLC:
        return max(self._entry_hlc(e) for e in entries)

    def _value_entry(self, value: Any, entry: list[Any] | None) -> dict[str, Any]:
        if entry is None:
            return {"value": value, "author": None, "device": None, "hlc": None}
        meta = self.result.meta
        return {"value": value, "author": meta["a"][entry[3]], "device": meta["n"][entry[2]],
                "hlc": str(self._entry_hlc(entry))}

    def _own_entry(self, value: Any) -> dict[str, Any]:
        return {"value": value, "author": self.op.author, "device": self.op.device, "hlc": self.hlc}

    def _record_conflict(
        self, field: str, current: dict[str, Any], incoming: dict[str, Any], opened: bool
    ) -> None:
        """Add the values to the open conflict on ``field``, opening one if ``opened``."""
        conflicts = self.result.conflicts
        for index, conflict in enumerate(conflicts):
            if conflict["field"] == field and conflict["status"] == "open":
                values = list(conflict["values"])
                for entry in (current, incoming):
                    if not any(_same_value_entry(entry, v) for v in values):
                        values.append(entry)
                updated = {**conflict, "values": values}
                conflicts[index] = updated
                self.conflicts.append(updated)
                return
        if not opened:
            return
        conflict = {
            "id": str(uuid.uuid5(_CONFLICT_NS, f"{self.op.op_id}:{field}")),
            "field": field,
            "values": [current, incoming],
            "status": "open",
            "opened_at": self.at,
        }
        conflicts.append(conflict)
        self.conflicts.append(conflict)

    def _has_open_conflict(self, field: str) -> bool:
        conflicts = self.result.conflicts
        return bool(conflicts) and any(
            c["field"] == field and c["status"] == "open" for c in conflicts)

    def _group_items(self, group: str) -> list[dict[str, Any]]:
        if group not in self._copied_groups:
            self.result.data[group] = list(self.result.data.get(group) or [])
            self._copied_groups.add(group)
        return self.result.data[group]

    # -- setting values ----------------------------------------------------------------

    def set(self, key: str, value: Any) -> None:
        parsed = parse_item_key(key)
        if parsed is None:
            self._set_scalar(key, value)
        elif value is None:
            self._remove_item(*parsed)
        else:
            self._set_item(*parsed, value)

    def _set_scalar(self, key: str, value: Any) -> None:
        data = self.result.data
        clash = self._concurrent([key])
        current = None
        if clash or self._has_open_conflict(key):
            entry = self.result.meta["f"].get(key)
            current = self._value_entry(copy.deepcopy(data.get(key)), entry)
        won = not clash or self.op.hlc > self._max_hlc(clash)
        if won:
            data[key] = value
            self.changes[key] = value
        self._touch(key, won)
        if current is not None:
            self._record_conflict(key, current, self._own_entry(value), opened=bool(clash))

    def _remove_item(self, group: str, item_id: str) -> None:
        items = self._group_items(group)
        path = item_path(group, item_id)
        index = _find(items, item_id)
        current_item = items[index] if index is not None else None
        if current_item is not None and current_item.get("removed"):
            return  # already a tombstone: nothing left to remove
        prefix = path + "."
        related = [path] + [p for p in self.result.meta["f"] if p.startswith(prefix)]
        clash = self._concurrent(related)
        won = not clash or self.op.hlc > self._max_hlc(clash)
        if won:
            tomb = {"id": item_id, "removed": True}
            if current_item is not None:
                self.result.meta["g"][path] = {
                    k: v for k, v in current_item.items() if k != "id"
                }
                items[index] = tomb
            else:
                items.append(tomb)
            self.changes[group + f"[{item_id}]"] = None
        self._touch(path, won)
        if clash:
            latest = max(clash, key=self._entry_hlc)
            current = self._value_entry(copy.deepcopy(current_item), latest)
            self._record_conflict(path, current, self._own_entry(None), opened=True)

    def _set_item(self, group: str, item_id: str, fields: dict[str, Any]) -> None:
        items = self._group_items(group)
        path = item_path(group, item_id)
        index = _find(items, item_id)
        if index is None:
            items.append({"id": item_id, **fields})
            self._touch(path, True)
            for name in fields:
                self._touch(item_field_path(group, item_id, name), True)
            self.changes[path] = dict(fields)
            return
        if items[index].get("removed"):
            self._revive_item(items, index, group, item_id, fields)
            return
        item = dict(items[index])
        applied: dict[str, Any] = {}
        for name, value in fields.items():
            fpath = item_field_path(group, item_id, name)
            clash = self._concurrent([fpath])
            current = None
            if clash or self._has_open_conflict(fpath):
                entry = self.result.meta["f"].get(fpath)
                current = self._value_entry(copy.deepcopy(item.get(name)), entry)
            won = not clash or self.op.hlc > self._max_hlc(clash)
            if won:
                item[name] = value
                applied[name] = value
            self._touch(fpath, won)
            if current is not None:
                self._record_conflict(fpath, current, self._own_entry(value),
                                      opened=bool(clash))
        items[index] = item
        if applied:
            self.changes[path] = applied

    def _revive_item(
        self,
        items: list[dict[str, Any]],
        index: int,
        group: str,
        item_id: str,
        fields: dict[str, Any],
    ) -> None:
        """An edit of a removed item: brings it back unless a newer removal was concurrent."""
        path = item_path(group, item_id)
        clash = self._concurrent([path])
        won = not clash or self.op.hlc > self._max_hlc(clash)
        kept = self.result.meta["g"].get(path, {})
        if won:
            items[index] = {"id": item_id, **kept, **fields}
            self.result.meta["g"].pop(path, None)
            self.changes[path] = dict(fields)
            for name in fields:
                self._touch(item_field_path(group, item_id, name), True)
        self._touch(path, won)
        if clash:
            latest = max(clash, key=self._entry_hlc)
            current = self._value_entry(None, latest)
            self._record_conflict(path, current, self._own_entry(dict(fields)), opened=True)


def copy_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """A copy whose containers may be changed (the entries themselves are replaced)."""
    return {"n": list(meta["n"]), "a": list(meta["a"]), "f": dict(meta["f"]),
            "d": dict(meta["d"]), "g": dict(meta["g"])}


def _intern(table: list[str], value: str) -> int:
    try:
        return table.index(value)
    except ValueError:
        table.append(value)
        return len(table) - 1


def _find(items: list[dict[str, Any]], item_id: str) -> int | None:
    for index, item in enumerate(items):
        if item.get("id") == item_id:
            return index
    return None


def _same_value_entry(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["hlc"] == b["hlc"] and a["device"] == b["device"] and a["value"] == b["value"]


# -- team-leader decisions ---------------------------------------------------------------


class StaleRevision(Exception):
    """A decision made on an older revision than the record's current one."""


class NotAllowed(Exception):
    """A decision the record's current state does not allow."""


def review(
    record: Record, decision: str, comment: str, rev: int, actor: str, device: str, at: str
) -> Record:
    if rev != record.rev:
        raise StaleRevision(record.rev)
    if record.status != "submitted":
        raise NotAllowed("Alleen ingediende registraties kunnen beoordeeld worden")
    if decision == "return" and not comment.strip():
        raise NotAllowed("Geef bij terugsturen een toelichting")
    new = copy.copy(record)
    new.meta = copy_meta(record.meta)
    new.status = "approved" if decision == "approve" else "returned"
    new.review = {"decision": decision, "comment": comment, "by": actor, "at": at}
    new.rev = record.rev + 1
    new.meta["d"][str(_intern(new.meta["n"], device))] = new.rev
    return new


def resolve(
    record: Record,
    conflict_id: str,
    value: Any,
    rev: int,
    actor: str,
    device: str,
    hlc: HLC,
    at: str,
) -> tuple[Record, dict[str, Any]]:
    """Settle an open conflict with the chosen value; returns the record and the change."""
    if rev != record.rev:
        raise StaleRevision(record.rev)
    index = next(
        (i for i, c in enumerate(record.conflicts) if c["id"] == conflict_id), None
    )
    if index is None:
        raise KeyError(conflict_id)
    conflict = record.conflicts[index]
    if conflict["status"] != "open":
        raise NotAllowed("Dit conflict is al opgelost")
    op = Op(
        op_id=f"resolve:{conflict_id}",
        record_id=record.id,
        type=record.type,
        base_rev=record.rev,
        set={},
        hlc=hlc,
        device=device,
        author=actor,
    )
    merger = _Merger(record, op, at)
    merger.set(*as_set(conflict["field"], value))
    new = merger.result
    new.conflicts = [
        {**c, "status": "resolved", "resolution": {"value": value, "by": actor, "at": at}}
        if c["id"] == conflict_id
        else c
        for c in new.conflicts
    ]
    new.rev = record.rev + 1
    merger.stamp_revision(new.rev)
    return new, merger.changes
