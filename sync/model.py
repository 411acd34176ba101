"""Operation, record and outcome types of the sync engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sync.hlc import HLC

Status = Literal["applied", "merged", "conflict", "duplicate", "rejected"]

# Keys an op may never set: they belong to the server.
SERVER_KEYS = frozenset({"id", "team", "created_by", "type", "rev", "created_at", "updated_at"})
# The only statuses a device may set; the rest are team-leader decisions.
DEVICE_STATUSES = frozenset({"submitted", "withdrawn"})
EDITABLE_STATUSES = frozenset({"draft", "submitted", "returned"})
REGISTRATION_STATUSES = ("draft", "submitted", "returned", "approved", "withdrawn")


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one record may hold, so no client can make a merge costly.

    ``max_record_bytes`` is the size of the record's ``data`` as JSON. An op that would
    cross a bound is rejected and changes nothing.
    """

    max_group_items: int = 200  # entries of one list, removed ones (tombstones) included
    max_conflict_values: int = 16  # values in one open conflict, one per device
    max_record_bytes: int = 256 * 1024


DEFAULT_LIMITS = Limits()


@dataclass(slots=True)
class Op:
    """One committed edit from a device's outbox."""

    op_id: str
    record_id: str
    type: str
    base_rev: int
    set: dict[str, Any]
    hlc: HLC
    device: str
    author: str
    # ``set`` as compact JSON when the caller has it (a server stores it as the history
    # anyway): the size bound then measures it without serialising it again
    set_json: bytes | None = None


@dataclass(slots=True)
class Record:
    """The server's state of one registration, as the engine sees it.

    ``meta`` is engine bookkeeping that never leaves the server. Devices and authors are
    listed once (``meta["n"]``, ``meta["a"]``) and referred to by index, which keeps it
    small: ``meta["f"][path] = [hlc ms, hlc counter, device, author, {device: rev}]``
    says who last set a path and at which revision each device last touched it;
    ``meta["d"][device]`` is the last revision each device wrote; ``meta["g"][item
    path]`` keeps the fields of an item removed by an older engine (tombstones now keep
    them themselves). ``meta["i"][group][item id]`` is the item's position in its list
    (items are only ever appended, so positions never move), which finds an item without
    walking the list; ``meta["s"]`` is an upper bound of the size of ``data`` as JSON,
    kept so the size limit needs a full measurement only near the limit. Both may be
    missing on records written before them; the merge adds them. A path entry is never
    changed in place (a change replaces it), so one entry may stand for several paths, as
    the paths of a new record share one.
    """

    id: str
    type: str
    status: str = "draft"
    rev: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(
        default_factory=lambda: {"n": [], "a": [], "f": {}, "d": {}, "g": {}, "i": {}, "s": 2})
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    amendments: list[dict[str, Any]] = field(default_factory=list)
    review: dict[str, Any] | None = None


@dataclass(slots=True)
class Outcome:
    """What applying one op did. ``record`` is the new state (None when rejected).

    ``reason`` names why an op was rejected when a client may act on it
    (``too_many_items``, ``conflict_full``, ``record_too_large``); ``lost`` lists the
    paths the op set whose value lost on HLC to a concurrent one (it is kept in the
    history and in the open conflict).
    """

    status: Status
    record: Record | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    amendment: dict[str, Any] | None = None
    status_change: str | None = None
    reason: str | None = None
    lost: list[str] = field(default_factory=list)


class Rules(Protocol):
    """Field validation the engine delegates to the registration schemas."""

    def validate_set(self, rtype: str, key: str, value: Any) -> dict[str, list[str]]: ...

    def missing_required(self, rtype: str, data: dict[str, Any]) -> dict[str, list[str]]: ...


class BatchRules(Rules, Protocol):
    """Rules that also check all of an op's keys in one call, which the engine prefers.

    ``validate_keys(rtype, op_set, skip)`` must equal ``validate_set`` of every key not in
    ``skip``, merged, and report an item's ``id`` and ``removed`` fields as errors.
    """

    def validate_keys(self, rtype: str, op_set: dict[str, Any], skip: frozenset[str]
                      ) -> dict[str, list[str]]: ...
