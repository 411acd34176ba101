"""Three-way merge of one op into a record, with the conflict policy of the protocol.

An op is judged against every change since its ``base_rev``, path by path:

* a path nobody else touched since ``base_rev`` takes the op's value (the device's own
  earlier edits are sequential, not concurrent);
* a path another device touched since ``base_rev`` is a conflict: ``data`` keeps the value
  with the highest HLC and an open conflict lists every concurrent value, so nothing is
  lost and nothing is overwritten silently.

Status is never merged by HLC: it is a transition checked against the current status.
Functions here are pure: they return a new ``Record`` and never modify their input.

``apply_op`` runs for every pushed op, so it is on the hot path of a push. Creating a
record (the common op) takes a direct path, ``_apply_create``, that must give exactly the
``Outcome`` of the general merge (``_apply_general``) on an empty record; the tests compare
the two on random ops.
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
# keys _validate judges itself instead of asking the rules
_OWN_RULE_KEYS = SERVER_KEYS | frozenset(_STATUS_KEYS)


def _no_withdraw_reason() -> dict[str, list[str]]:
    return {"withdraw_reason": ["Geef een reden voor het intrekken"]}


def new_record(op: Op) -> Record:
    return Record(id=op.record_id, type=op.type)


def reject(errors: dict[str, list[str]], amendment: dict[str, Any] | None = None) -> Outcome:
    return Outcome(status="rejected", errors=errors, amendment=amendment)


def check_op(op: Op, rules: Rules) -> dict[str, list[str]]:
    """The errors of ``op``'s keys and values, which do not depend on any record.

    A server can run this before it takes a lock and pass the result to ``apply_op`` as
    ``checked``, so the work that must be serialised is only the merge itself.
    """
    return _validate(op.type, op, rules)


def apply_op(record: Record | None, op: Op, rules: Rules, at: str,
             checked: dict[str, list[str]] | None = None) -> Outcome:
    """Apply ``op`` to ``record`` (None for a record the server has not seen).

    ``at`` is the server time written on amendments and conflict values; ``checked`` is
    ``check_op(op, rules)`` when the caller ran it already.
    """
    if record is None:
        if op.base_rev != 0:
            return reject({"record_id": ["not_found"]})
        return _apply_create(op, rules, at, checked)
    return _apply_general(record, op, rules, at, checked)


def _apply_general(record: Record, op: Op, rules: Rules, at: str,
                   checked: dict[str, list[str]] | None = None) -> Outcome:
    """The merge of any op into an existing record (or an empty one made by ``new_record``)."""
    if op.type != record.type:
        return reject({"type": ["Type past niet bij de bestaande registratie"]})
    if op.base_rev > record.rev:
        return reject({"base_rev": ["base_rev ligt na de huidige revisie van de registratie"]})
    errors = _validate(record.type, op, rules) if checked is None else checked
    if errors:
        return reject(errors)
    return _merge_valid(record, op, rules, at)


def _merge_valid(record: Record, op: Op, rules: Rules, at: str) -> Outcome:
    """``_apply_general`` after the checks and the validation of every key."""
    op_set = op.set
    data_keys = [k for k in op_set if k not in _STATUS_KEYS]
    target = op_set.get("status")
    if record.status not in EDITABLE_STATUSES:
        reason = record.status
        amendment = None
        if data_keys or "withdraw_reason" in op_set:
            amendment = {
                "id": op.op_id,
                "set": op_set,
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
    merger_set = merger.set
    for key in data_keys:
        merger_set(key, op_set[key])
    if "withdraw_reason" in op_set:
        merger_set("withdraw_reason", op_set["withdraw_reason"])
    new = merger.result

    status_change = None
    if target is not None and target != record.status:
        if target == "submitted":
            missing = rules.missing_required(record.type, new.data)
            if missing:
                return reject(missing)
        if target == "withdrawn" and not new.data.get("withdraw_reason"):
            return reject(_no_withdraw_reason())
        new.status = target
        status_change = target
        if target == "submitted":
            new.review = None

    merger.stamp_revision()
    if merger.conflicts:
        status = "conflict"
    else:
        status = "applied"
        dev, base_rev = merger.dev, op.base_rev
        for d, r in record.meta["d"].items():
            if d != dev and r > base_rev:
                status = "merged"
                break
    return Outcome(
        status=status,
        record=new,
        changes=merger.changes,
        conflicts=merger.conflicts,
        status_change=status_change,
    )


def _apply_create(op: Op, rules: Rules, at: str,
                  checked: dict[str, list[str]] | None = None) -> Outcome:
    """A record the server has not seen yet (``base_rev`` 0, checked by the caller).

    Nothing is concurrent with the first op of a record, so every key wins and data, meta
    and changes can be built directly, in the order ``_merge_valid`` builds them. Inputs
    whose effect depends on that order (see ``_build_new``) take the general merge.
    """
    errors = _validate(op.type, op, rules) if checked is None else checked
    if errors:
        return reject(errors)
    built = _build_new(op)
    if built is None:
        return _merge_valid(new_record(op), op, rules, at)
    data, meta_f, changes = built
    # validated: the status is absent, "submitted" or "withdrawn", each allowed from draft
    target = op.set.get("status")
    if target == "submitted":
        missing = rules.missing_required(op.type, data)
        if missing:
            return reject(missing)
    elif target == "withdrawn" and not data.get("withdraw_reason"):
        return reject(_no_withdraw_reason())
    record = Record(
        id=op.record_id,
        type=op.type,
        status=target or "draft",
        rev=1,
        data=data,
        # the op's device and author are the first in their tables: index 0
        meta={"n": [op.device], "a": [op.author], "f": meta_f, "d": {"0": 1}, "g": {}},
    )
    return Outcome(status="applied", record=record, changes=changes, status_change=target)


def _build_new(
    op: Op,
) -> tuple[dict[str, Any], dict[str, list[Any]], dict[str, Any]] | None:
    """Data, meta paths and changes of a create; None for a key the direct path leaves alone.

    Those are the keys whose effect in the general merge depends on earlier keys of the
    same op: a scalar named like a group, an item key ending in a newline (the pattern's
    ``$`` accepts one, so two keys can name one item), an item whose fields set ``id``, and
    an item value that is not a dict.
    """
    hlc = op.hlc
    # Every path gets the same entry: device 0 and author 0 (the first in their tables),
    # written by device 0 at rev 1. One list serves them all because entries are never
    # changed in place (see ``Record``); it saves a list and a dict per path.
    entry = [hlc.ms, hlc.counter, 0, 0, {"0": 1}]
    data: dict[str, Any] = {}
    meta_f: dict[str, list[Any]] = {}
    changes: dict[str, Any] = {}
    groups: dict[str, list[dict[str, Any]]] = {}
    op_set = op.set
    for key, value in op_set.items():
        parsed = parse_item_key(key)
        if parsed is None:
            # status keys too (one test less per key): taken out after the loop
            data[key] = value
            changes[key] = value
            meta_f[key] = entry
            continue
        if key[-1] != "]":
            return None
        group, item_id = parsed
        items = groups.get(group)
        if items is None:
            if group in data:
                return None
            items = groups[group] = data[group] = []
        meta_f[key] = entry
        if value is None:
            items.append({"id": item_id, "removed": True})
            changes[key] = None
            continue
        if type(value) is not dict or "id" in value:
            return None
        items.append({"id": item_id, **value})
        for name in value:
            meta_f[f"{key}.{name}"] = entry
        changes[key] = value.copy()
    for group, items in groups.items():
        if data[group] is not items:
            return None  # a scalar of the group's name came later and replaced the list
    if "status" in op_set:
        # not data: the status is a transition, applied by the caller
        del data["status"], changes["status"], meta_f["status"]
    if "withdraw_reason" in op_set:
        # the general merge sets it after the other keys: move it to the end
        data["withdraw_reason"] = data.pop("withdraw_reason")
        changes["withdraw_reason"] = changes.pop("withdraw_reason")
        meta_f["withdraw_reason"] = meta_f.pop("withdraw_reason")
    return data, meta_f, changes


def _validate(rtype: str, op: Op, rules: Rules) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not op.set:
        errors["set"] = ["Een operatie moet minstens één veld zetten"]
    validate_set = rules.validate_set
    for key, value in op.set.items():
        if key not in _OWN_RULE_KEYS:  # the common case first: one test per key
            found = validate_set(rtype, key, value)
            if found:
                errors.update(found)
        elif key in SERVER_KEYS:
            errors[key] = ["Dit veld wordt door de server bepaald"]
        elif key == "status":
            if value not in DEVICE_STATUSES:
                errors[key] = ["Een apparaat kan alleen indienen of intrekken"]
        elif not isinstance(value, str) or not 1 <= len(value.strip()) <= 1000:
            # key is withdraw_reason, the one left
            errors[key] = ["Reden moet tekst zijn van 1 tot 1000 tekens"]
    return errors


class _Merger:
    """Accumulates the effect of one op's keys on a copy of the record.

    Every path touched is stamped at once with the new revision (``record.rev + 1``) the
    op gets if it is accepted: clash checks skip this op's own device, so the early stamp
    changes nothing, and it saves a second pass over the touched paths.
    """

    def __init__(self, record: Record, op: Op, at: str) -> None:
        self.op = op
        self.at = at
        self.rev = record.rev + 1
        meta = copy_meta(record.meta)
        self.result = Record(
            id=record.id,
            type=record.type,
            status=record.status,
            rev=record.rev,
            data=dict(record.data),
            meta=meta,
            conflicts=list(record.conflicts),
            amendments=record.amendments,
            review=record.review,
        )
        self._meta_f: dict[str, list[Any]] = meta["f"]
        # Devices and authors are kept once per record and referred to by index.
        dev = _intern(meta["n"], op.device)
        self.dev = str(dev)
        # what a path entry records about this op: hlc ms, counter, device, author
        self._stamp = (op.hlc.ms, op.hlc.counter, dev, _intern(meta["a"], op.author))
        self.changes: dict[str, Any] = {}
        self.conflicts: list[dict[str, Any]] = []
        self._copied_groups: set[str] = set()

    # -- bookkeeping -------------------------------------------------------------------

    def stamp_revision(self) -> None:
        """Give the result its new revision and record that this op's device wrote it."""
        self.result.rev = self.rev
        self.result.meta["d"][self.dev] = self.rev

    def _concurrent(self, paths: list[str]) -> list[list[Any]]:
        """Meta entries of ``paths`` that another device changed since the op's base."""
        found = []
        for path in paths:
            entry = self._clash(path)
            if entry is not None:
                found.append(entry)
        return found

    def _clash(self, path: str) -> list[Any] | None:
        """The meta entry of ``path`` if another device changed it since the op's base."""
        entry = self._meta_f.get(path)
        if entry:
            dev, base_rev = self.dev, self.op.base_rev
            for d, r in entry[4].items():
                if d != dev and r > base_rev:
                    return entry
        return None

    def _touch(self, path: str, won: bool) -> None:
        meta_f = self._meta_f
        old = meta_f.get(path)
        if old is None:
            meta_f[path] = [*self._stamp, {self.dev: self.rev}]
            return
        revs = {**old[4], self.dev: self.rev}
        meta_f[path] = [*self._stamp, revs] if won else [*old[:4], revs]

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
        # the stamp's text only when a conflict needs it, not on every op
        op = self.op
        return {"value": value, "author": op.author, "device": op.device, "hlc": str(op.hlc)}

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
        clash = self._clash(key)
        current = None
        if clash is not None or self._has_open_conflict(key):
            current = self._value_entry(copy.deepcopy(data.get(key)), self._meta_f.get(key))
        won = clash is None or self.op.hlc > self._entry_hlc(clash)
        if won:
            data[key] = value
            self.changes[key] = value
        self._touch(key, won)
        if current is not None:
            self._record_conflict(key, current, self._own_entry(value),
                                  opened=clash is not None)

    def _remove_item(self, group: str, item_id: str) -> None:
        items = self._group_items(group)
        path = item_path(group, item_id)
        index = _find(items, item_id)
        current_item = items[index] if index is not None else None
        if current_item is not None and current_item.get("removed"):
            return  # already a tombstone: nothing left to remove
        prefix = path + "."
        related = [path] + [p for p in self._meta_f if p.startswith(prefix)]
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
            self.changes[path] = None
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
            clash = self._clash(fpath)
            current = None
            if clash is not None or self._has_open_conflict(fpath):
                current = self._value_entry(copy.deepcopy(item.get(name)),
                                            self._meta_f.get(fpath))
            won = clash is None or self.op.hlc > self._entry_hlc(clash)
            if won:
                item[name] = value
                applied[name] = value
            self._touch(fpath, won)
            if current is not None:
                self._record_conflict(fpath, current, self._own_entry(value),
                                      opened=clash is not None)
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
        clash = self._clash(path)
        won = clash is None or self.op.hlc > self._entry_hlc(clash)
        kept = self.result.meta["g"].get(path, {})
        if won:
            items[index] = {"id": item_id, **kept, **fields}
            self.result.meta["g"].pop(path, None)
            self.changes[path] = dict(fields)
            for name in fields:
                self._touch(item_field_path(group, item_id, name), True)
        self._touch(path, won)
        if clash is not None:
            current = self._value_entry(None, clash)
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
    merger.stamp_revision()
    return new, merger.changes
