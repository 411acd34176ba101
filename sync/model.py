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


@dataclass(slots=True)
class Record:
    """The server's state of one registration, as the engine sees it.

    ``meta`` is engine bookkeeping that never leaves the server. Devices and authors are
    listed once (``meta["n"]``, ``meta["a"]``) and referred to by index, which keeps it
    small: ``meta["f"][path] = [hlc ms, hlc counter, device, author, {device: rev}]``
    says who last set a path and at which revision each device last touched it;
    ``meta["d"][device]`` is the last revision each device wrote; ``meta["g"][item
    path]`` keeps the fields of a removed item so a concurrent edit that wins can bring
    the whole item back. A path entry is never changed in place (a change replaces it), so
    one entry may stand for several paths, as the paths of a new record share one.
    """

    id: str
    type: str
    status: str = "draft"
    rev: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(
        default_factory=lambda: {"n": [], "a": [], "f": {}, "d": {}, "g": {}})
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    amendments: list[dict[str, Any]] = field(default_factory=list)
    review: dict[str, Any] | None = None


@dataclass(slots=True)
class Outcome:
    """What applying one op did. ``record`` is the new state (None when rejected)."""

    status: Status
    record: Record | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    amendment: dict[str, Any] | None = None
    status_change: str | None = None


class Rules(Protocol):
    """Field validation the engine delegates to the registration schemas."""

    def validate_set(self, rtype: str, key: str, value: Any) -> dict[str, list[str]]: ...

    def missing_required(self, rtype: str, data: dict[str, Any]) -> dict[str, list[str]]: ...
