"""Three-way merge of one op into a record, with the conflict policy of the protocol.

An op is judged against every change since its ``base_rev``, path by path:

* a path nobody else touched since ``base_rev`` takes the op's value (the device's own
  earlier edits are sequential, not concurrent);
* a path another device touched since ``base_rev`` is a conflict: ``data`` keeps the value
  with the highest HLC and an open conflict lists the concurrent values, one per device
  (its newest; the others stay in the history), so nothing is lost and nothing is
  overwritten silently.

An op that would cross a bound of ``Limits`` (items per group, values per open conflict,
size of ``data``) is rejected with the bound as ``reason`` and changes nothing. So is an
op on a withdrawn record; one on an approved record is kept as an amendment when it sets
data. Setting the current status again, and nothing else, is accepted and changes nothing.

Status is never merged by HLC: it is a transition checked against the current status.
Functions here are pure: they return a new ``Record`` and never modify their input.

``apply_op`` runs for every pushed op, so it is on the hot path of a push. Creating a
record (the common op) takes a direct path, ``_apply_create``, that must give exactly the
``Outcome`` of the general merge (``_apply_general``) on an empty record; the tests compare
the two on random ops.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import orjson

from sync.hlc import HLC, stamp_key
from sync.model import (
    DEFAULT_LIMITS,
    DEVICE_STATUSES,
    EDITABLE_STATUSES,
    SERVER_KEYS,
    Limits,
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
# item fields the engine owns: the id comes from the key, ``removed`` marks a tombstone
_ITEM_OWN_FIELDS = ("id", "removed")
# what one key of an op can add to ``data`` as JSON besides its value (quotes, a comma,
# a tombstone's ``"removed":true``): the size bound adds it per key
_KEY_OVERHEAD = 32
_EMPTY_SIZE = len(b"{}")  # a new record's data before its first op


class _Breach(Exception):
    """An op that would cross a limit: the merge stops and the op is rejected."""

    def __init__(self, reason: str, errors: dict[str, list[str]]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errors = errors


_UNBOUNDED = Limits(max_group_items=2**62, max_conflict_values=2**62, max_record_bytes=2**62)


def _too_many_items(group: str, limits: Limits) -> _Breach:
    return _Breach("too_many_items", {group: [
        f"Een lijst mag hoogstens {limits.max_group_items} items hebben (verwijderde "
        "meegeteld)"]})


def _conflict_full(field: str, limits: Limits) -> _Breach:
    return _Breach("conflict_full", {field: [
        f"Dit veld heeft al een open conflict met {limits.max_conflict_values} waarden; "
        "de wijziging wacht tot de teamleider het oplost"]})


def _too_large(limits: Limits) -> _Breach:
    return _Breach("record_too_large", {"data": [
        f"De registratie wordt te groot: hoogstens {limits.max_record_bytes // 1024} KB aan "
        "gegevens"]})


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact JSON (UTF-8), as it is stored."""
    try:
        return len(orjson.dumps(value))
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate, say; measure it anyway
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        return len(text.encode("utf-8", "surrogatepass"))


def _op_size_bound(op: Op) -> int:
    """How much ``op`` can grow a record's ``data`` at most (JSON bytes)."""
    size = json_size(op.set) if op.set_json is None else len(op.set_json)
    return size + _KEY_OVERHEAD * len(op.set)


def _no_withdraw_reason() -> dict[str, list[str]]:
    return {"withdraw_reason": ["Geef een reden voor het intrekken"]}


def new_record(op: Op) -> Record:
    return Record(id=op.record_id, type=op.type)


def reject(errors: dict[str, list[str]], amendment: dict[str, Any] | None = None,
           reason: str | None = None) -> Outcome:
    return Outcome(status="rejected", errors=errors, amendment=amendment, reason=reason)


def check_op(op: Op, rules: Rules) -> dict[str, list[str]]:
    """The errors of ``op``'s keys and values, which do not depend on any record.

    A server can run this before it takes a lock and pass the result to ``apply_op`` as
    ``checked``, so the work that must be serialised is only the merge itself.
    """
    return _validate(op.type, op, rules)


def apply_op(record: Record | None, op: Op, rules: Rules, at: str,
             checked: dict[str, list[str]] | None = None,
             limits: Limits = DEFAULT_LIMITS) -> Outcome:
    """Apply ``op`` to ``record`` (None for a record the server has not seen).

    ``at`` is the server time written on amendments and conflict values; ``checked`` is
    ``check_op(op, rules)`` when the caller ran it already; an op that would make the
    record cross one of ``limits`` is rejected with the limit as ``reason``.
    """
    if record is None:
        if op.base_rev != 0:
            return reject({"record_id": ["not_found"]})
        return _apply_create(op, rules, at, checked, limits)
    return _apply_general(record, op, rules, at, checked, limits)


def _apply_general(record: Record, op: Op, rules: Rules, at: str,
                   checked: dict[str, list[str]] | None = None,
                   limits: Limits = DEFAULT_LIMITS) -> Outcome:
    """The merge of any op into an existing record (or an empty one made by ``new_record``)."""
    if op.type != record.type:
        return reject({"type": ["Type past niet bij de bestaande registratie"]})
    if op.base_rev > record.rev:
        return reject({"base_rev": ["base_rev ligt na de huidige revisie van de registratie"]})
    errors = _validate(record.type, op, rules) if checked is None else checked
    if errors:
        return reject(errors)
    try:
        return _merge_valid(record, op, rules, at, limits)
    except _Breach as breach:
        return reject(breach.errors, reason=breach.reason)


def _merge_valid(record: Record, op: Op, rules: Rules, at: str, limits: Limits) -> Outcome:
    """``_apply_general`` after the checks and the validation of every key."""
    op_set = op.set
    data_keys = [k for k in op_set if k not in _STATUS_KEYS]
    target = op_set.get("status")
    if target == record.status and len(op_set) == 1:
        # the current status again, nothing else: accepted, and nothing changes
        return Outcome(status="applied", record=record)
    if record.status not in EDITABLE_STATUSES:
        return _refuse_closed(record, op, at, bool(data_keys) or "withdraw_reason" in op_set)
    if target is not None and target != record.status and record.status not in _TRANSITIONS[target]:
        return reject({"status": [f"Van status {record.status} kan niet naar {target}"]})

    merger = _Merger(record, op, at, limits)
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

    new.meta["s"] = _size_bound(record, new, _op_size_bound(op) + merger.revived_bytes, limits)
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
        lost=merger.lost,
    )


def _refuse_closed(record: Record, op: Op, at: str, sets_data: bool) -> Outcome:
    """An op on an approved or withdrawn record: rejected, and the record stays as it is.

    The one exception (DESIGN.md §5): an edit refused only because the record is approved
    is kept on it as an amendment, so the team leader sees what came in later.
    """
    if record.status != "approved":
        return reject({"status": ["De registratie is ingetrokken; wijzigingen worden niet "
                                  "meer verwerkt"]})
    if not sets_data:
        return reject({"status": ["De registratie is goedgekeurd; de status verandert niet "
                                  "meer"]})
    amendment = {
        "id": op.op_id,
        "set": op.set,
        "author": op.author,
        "device": op.device,
        "hlc": str(op.hlc),
        "at": at,
        "reason": record.status,
        "status": "open",
    }
    return reject({"status": ["De registratie is goedgekeurd; de wijziging is bewaard als "
                              "aanvulling"]}, amendment)


def _size_bound(old: Record, new: Record, growth: int, limits: Limits) -> int:
    """The new record's size bound (``meta["s"]``); raises when ``data`` is too large.

    The bound is the old one plus what the op can add at most, so the data is measured
    only when the bound crosses the limit: then the measured size becomes the bound.
    """
    base = old.meta.get("s")
    return _bound(json_size(old.data) if base is None else base, new, growth, limits)


def _bound(base: int, new: Record, growth: int, limits: Limits) -> int:
    """``_size_bound`` from the old record's size (bound) ``base``."""
    bound = base + growth
    if bound > limits.max_record_bytes:
        bound = json_size(new.data)
        if bound > limits.max_record_bytes:
            raise _too_large(limits)
    return bound


def _apply_create(op: Op, rules: Rules, at: str,
                  checked: dict[str, list[str]] | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> Outcome:
    """A record the server has not seen yet (``base_rev`` 0, checked by the caller).

    Nothing is concurrent with the first op of a record, so every key wins and data, meta
    and changes can be built directly, in the order ``_merge_valid`` builds them. Inputs
    whose effect depends on that order (see ``_build_new``) take the general merge.
    """
    errors = _validate(op.type, op, rules) if checked is None else checked
    if errors:
        return reject(errors)
    try:
        built = _build_new(op, limits)
        if built is None:
            return _merge_valid(new_record(op), op, rules, at, limits)
        data, meta_f, changes, index = built
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
            meta={"n": [op.device], "a": [op.author], "f": meta_f, "d": {"0": 1}, "g": {},
                  "i": index, "s": 0},
        )
        record.meta["s"] = _bound(_EMPTY_SIZE, record, _op_size_bound(op), limits)
    except _Breach as breach:
        return reject(breach.errors, reason=breach.reason)
    return Outcome(status="applied", record=record, changes=changes, status_change=target)


def _build_new(
    op: Op, limits: Limits = DEFAULT_LIMITS
) -> tuple[dict[str, Any], dict[str, list[Any]], dict[str, Any],
           dict[str, dict[str, int]]] | None:
    """Data, meta paths, changes and item index of a create; None for a key the direct
    path leaves alone.

    Those are the keys whose effect in the general merge depends on earlier keys of the
    same op (a scalar named like a group, two keys naming one item) and an item value that
    is not a dict. Item fields ``id`` and ``removed`` were refused by ``_validate``.
    Raises ``_Breach`` for a group over its limit, at the item the general merge would.
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
    index: dict[str, dict[str, int]] = {}
    max_items = limits.max_group_items
    op_set = op.set
    for key, value in op_set.items():
        parsed = parse_item_key(key)
        if parsed is None:
            # status keys too (one test less per key): taken out after the loop
            data[key] = value
            changes[key] = value
            meta_f[key] = entry
            continue
        group, item_id = parsed
        items = groups.get(group)
        if items is None:
            if group in data:
                return None
            items = groups[group] = data[group] = []
            index[group] = {}
        if item_id in index[group]:
            return None  # the same item twice (a key ending in a newline): general merge
        if len(items) >= max_items:
            raise _too_many_items(group, limits)
        index[group][item_id] = len(items)
        meta_f[key] = entry
        if value is None:
            items.append({"id": item_id, "removed": True})
            changes[key] = None
            continue
        if type(value) is not dict:
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
    return data, meta_f, changes, index


def _validate(rtype: str, op: Op, rules: Rules) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    op_set = op.set
    if not op_set:
        errors["set"] = ["Een operatie moet minstens één veld zetten"]
    validate_keys = getattr(rules, "validate_keys", None)
    if validate_keys is not None:
        # one call for all the rules' keys (a push checks every key of every op)
        errors.update(validate_keys(rtype, op_set, _OWN_RULE_KEYS))
        # the keys left to the loop below; mostly none, found in C
        own = _OWN_RULE_KEYS.intersection(op_set)
        keys = [key for key in op_set if key in own] if own else ()
    else:
        keys = op_set
    validate_set = rules.validate_set
    for key in keys:
        value = op_set[key]
        if key not in _OWN_RULE_KEYS:  # the common case first: one test per key
            found = validate_set(rtype, key, value)
            if found:
                errors.update(found)
            elif (type(value) is dict and key[-1:] == "]"
                  and ("id" in value or "removed" in value)):
                errors[key] = ["De velden id en removed van een item bepaalt de server"]
        elif key in SERVER_KEYS:
            errors[key] = ["Dit veld wordt door de server bepaald"]
        elif key == "status":
            if type(value) is not str or value not in DEVICE_STATUSES:
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

    The work is in proportion to the op: items are found through ``meta["i"]`` and a
    removal looks only at its own item's paths. The copies made so the input record stays
    unchanged are shallow (containers, copied at C speed), and a group's list and index
    are copied only when the op touches that group.
    """

    def __init__(self, record: Record, op: Op, at: str, limits: Limits = DEFAULT_LIMITS
                 ) -> None:
        self.op = op
        self.at = at
        self.limits = limits
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
        self.lost: list[str] = []
        # JSON bytes a revival brings back from ``meta["g"]`` (not in the op's own size)
        self.revived_bytes = 0
        self._copied_groups: set[str] = set()
        self._copied_index: set[str] = set()
        self._open: dict[str, int] | None = None

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
        if not won:
            self.lost.append(path)

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
        """Add the values to the open conflict on ``field``, opening one if ``opened``.

        An open conflict holds one value per device, the one with the highest HLC (the
        others stay in the history), and at most ``max_conflict_values`` values: a value
        from one more device is refused (``conflict_full``).
        """
        conflicts = self.result.conflicts
        index = self._open_conflicts().get(field)
        if index is not None:
            conflict = conflicts[index]
            held = conflict["values"]
            values = list(held)
            _join(values, current)
            _join(values, incoming)
            if len(values) > len(held) and len(values) > self.limits.max_conflict_values:
                raise _conflict_full(field, self.limits)
            updated = {**conflict, "values": values}
            conflicts[index] = updated
            self.conflicts.append(updated)
            return
        if not opened:
            return
        values = [current]
        _join(values, incoming)
        if len(values) > self.limits.max_conflict_values:
            raise _conflict_full(field, self.limits)
        conflict = {
            "id": str(uuid.uuid5(_CONFLICT_NS, f"{self.op.op_id}:{field}")),
            "field": field,
            "values": values,
            "status": "open",
            "opened_at": self.at,
        }
        self._open_conflicts()[field] = len(conflicts)
        conflicts.append(conflict)
        self.conflicts.append(conflict)

    def _open_conflicts(self) -> dict[str, int]:
        """Field → position of its open conflict, built once per op that meets one."""
        if self._open is None:
            conflicts = self.result.conflicts
            # from the end, so the first open conflict of a field is the one kept
            self._open = {conflicts[i]["field"]: i for i in range(len(conflicts) - 1, -1, -1)
                          if conflicts[i]["status"] == "open"}
        return self._open

    def _has_open_conflict(self, field: str) -> bool:
        return bool(self.result.conflicts) and field in self._open_conflicts()

    def _group_items(self, group: str) -> list[dict[str, Any]]:
        if group not in self._copied_groups:
            self.result.data[group] = list(self.result.data.get(group) or [])
            self._copied_groups.add(group)
        return self.result.data[group]

    def _position(self, group: str, items: list[dict[str, Any]], item_id: str) -> int | None:
        """Where item ``item_id`` is in ``items`` (the group's list), None when absent."""
        index = self.result.meta["i"].get(group)
        if index is None or len(index) != len(items):
            # written before the index was kept (or by other code): index it once
            index = self._own_index(group, _index_of(items))
        position = index.get(item_id)
        if position is not None and items[position].get("id") != item_id:
            position = _index_of(items).get(item_id)  # never trust a stale index
        return position

    def _own_index(self, group: str, index: dict[str, int] | None = None) -> dict[str, int]:
        """The group's index, copied once per op before it is changed."""
        indexes = self.result.meta["i"]
        if index is not None:
            indexes[group] = index
            self._copied_index.add(group)
        elif group not in self._copied_index:
            indexes[group] = dict(indexes.get(group) or {})
            self._copied_index.add(group)
        return indexes[group]

    def _append(self, group: str, items: list[dict[str, Any]], item: dict[str, Any]) -> None:
        """Add a new entry (an item or a tombstone) to the group, within its limit."""
        if len(items) >= self.limits.max_group_items:
            raise _too_many_items(group, self.limits)
        self._own_index(group)[item["id"]] = len(items)
        items.append(item)

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
        index = self._position(group, items, item_id)
        current_item = items[index] if index is not None else None
        if current_item is not None and current_item.get("removed"):
            return  # already a tombstone: nothing left to remove
        # the item's own paths only: each field it holds was set through its path
        related = [path]
        if current_item is not None:
            related += [f"{path}.{name}" for name in current_item if name != "id"]
        clash = self._concurrent(related)
        won = not clash or self.op.hlc > self._max_hlc(clash)
        if won:
            # the tombstone keeps the item's last fields: a client sees what an edit that
            # wins against the removal would bring back (see _revive_item)
            tomb = {"id": item_id, "removed": True}
            if current_item is not None:
                tomb.update((k, v) for k, v in current_item.items() if k != "id")
                tomb["removed"] = True
                items[index] = tomb  # type: ignore[index]
            else:
                self._append(group, items, tomb)
            self.changes[path] = None
        self._touch(path, won)
        if clash:
            latest = max(clash, key=self._entry_hlc)
            current = self._value_entry(copy.deepcopy(current_item), latest)
            self._record_conflict(path, current, self._own_entry(None), opened=True)

    def _set_item(self, group: str, item_id: str, fields: dict[str, Any]) -> None:
        items = self._group_items(group)
        path = item_path(group, item_id)
        index = self._position(group, items, item_id)
        if index is None:
            self._append(group, items, {"id": item_id, **fields})
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
        if won:
            # the item comes back with its fields at removal (kept in the tombstone, or in
            # meta["g"] for a tombstone an older engine wrote) and the edit on top
            legacy = self.result.meta["g"].get(path)
            kept = {k: v for k, v in items[index].items() if k not in _ITEM_OWN_FIELDS}
            if legacy:
                kept = {**legacy, **kept}
                self.revived_bytes += json_size(legacy)
                self.result.meta["g"].pop(path)
            items[index] = {"id": item_id, **kept, **fields}
            self.changes[path] = dict(fields)
            for name in fields:
                self._touch(item_field_path(group, item_id, name), True)
        self._touch(path, won)
        if clash is not None:
            current = self._value_entry(None, clash)
            self._record_conflict(path, current, self._own_entry(dict(fields)), opened=True)


def copy_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """A copy whose containers may be changed (the entries themselves are replaced).

    A group's item index (``meta["i"][group]``) is shared until a merge changes it.
    """
    copied = {"n": list(meta["n"]), "a": list(meta["a"]), "f": dict(meta["f"]),
              "d": dict(meta["d"]), "g": dict(meta["g"]), "i": dict(meta.get("i") or {})}
    if "s" in meta:
        copied["s"] = meta["s"]
    return copied


def _intern(table: list[str], value: str) -> int:
    try:
        return table.index(value)
    except ValueError:
        table.append(value)
        return len(table) - 1


def _index_of(items: list[Any]) -> dict[str, int]:
    """Item id → position of its first entry in a group's list."""
    index: dict[str, int] = {}
    for position, item in enumerate(items):
        item_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(item_id, str) and item_id not in index:
            index[item_id] = position
    return index


def _same_value_entry(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["hlc"] == b["hlc"] and a["device"] == b["device"] and a["value"] == b["value"]


def _newer(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether value entry ``a`` has a higher HLC than ``b`` (no stamp counts lowest)."""
    if a["hlc"] is None:
        return False
    return b["hlc"] is None or stamp_key(a["hlc"]) > stamp_key(b["hlc"])


def _join(values: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    """Add ``entry`` to a conflict's values, keeping one value per device (the newest)."""
    device = entry["device"]
    for position, held in enumerate(values):
        if _same_value_entry(entry, held):
            return
        if device is not None and held["device"] == device:
            if _newer(entry, held):
                values[position] = entry
            return
    values.append(entry)


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
    # a decision is never refused by a limit: it settles what the limits held back
    merger = _Merger(record, op, at, _UNBOUNDED)
    merger.set(*as_set(conflict["field"], value))
    new = merger.result
    growth = json_size(value) + _KEY_OVERHEAD + merger.revived_bytes
    new.meta["s"] = _size_bound(record, new, growth, _UNBOUNDED)
    new.conflicts = [
        {**c, "status": "resolved", "resolution": {"value": value, "by": actor, "at": at}}
        if c["id"] == conflict_id
        else c
        for c in new.conflicts
    ]
    merger.stamp_revision()
    return new, merger.changes


def decide_amendment(
    record: Record,
    amendment_id: str,
    decision: str,
    rev: int,
    actor: str,
    device: str,
    hlc: HLC,
    at: str,
) -> tuple[Record, dict[str, Any]]:
    """Take an open amendment into the record (``accept``: its values become a new
    revision, as a resolve's do) or keep it as a note (``file``: data unchanged). The
    amendment stays on the record, marked ``accepted`` or ``filed``; returns the record
    and the data change (empty when filed)."""
    if rev != record.rev:
        raise StaleRevision(record.rev)
    index = next((i for i, a in enumerate(record.amendments) if a["id"] == amendment_id), None)
    if index is None:
        raise KeyError(amendment_id)
    amendment = record.amendments[index]
    if amendment.get("status", "open") != "open":
        raise NotAllowed("Over deze aanvulling is al besloten")
    status = "accepted" if decision == "accept" else "filed"
    changes: dict[str, Any] = {}
    if decision == "accept":
        op = Op(op_id=f"amendment:{amendment_id}", record_id=record.id, type=record.type,
                base_rev=record.rev, set={}, hlc=hlc, device=device, author=actor)
        merger = _Merger(record, op, at, _UNBOUNDED)
        growth = 0
        for key, value in amendment["set"].items():
            merger.set(key, value)
            growth += json_size(value) + _KEY_OVERHEAD
        new = merger.result
        new.meta["s"] = _size_bound(record, new, growth + merger.revived_bytes, _UNBOUNDED)
        merger.stamp_revision()
        changes = merger.changes
    else:
        new = copy.copy(record)
        new.meta = copy_meta(record.meta)
        new.rev = record.rev + 1
        new.meta["d"][str(_intern(new.meta["n"], device))] = new.rev
    new.amendments = [
        {**a, "status": status, "decision": {"by": actor, "at": at}} if i == index else a
        for i, a in enumerate(record.amendments)
    ]
    return new, changes
