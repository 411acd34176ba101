"""Loading and saving registrations, and the JSON views clients see.

The engine works on ``sync.model.Record``; this module maps rows to records and back,
keeps the derived columns (location, RD, conflict count) in step with the data, and
writes revisions, the change log and attachment links in bulk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Row, Select, Text, insert, select

from server import bulk, changes
from server.extensions import db
from server.geo import to_rd_many
from server.models import Registration, RegistrationAttachment, Revision, User, iso
from server.registrations.forms import FORMS, FormDef
from sync.model import Record

LOCATION_FIELDS = {"vor": "location", "pdo": "scene_location", "gtpa": "location"}


def to_record(row: Registration) -> Record:
    return Record(
        id=row.id, type=row.type, status=row.status, rev=row.rev, data=row.data,
        meta=row.meta, conflicts=row.conflicts, amendments=row.amendments, review=row.review,
    )


@dataclass(slots=True)
class Stored:
    """A registration as the engine needs it, with who owns it."""

    record: Record
    team_id: int
    created_by_id: int
    created_at: datetime


_STATE_COLUMNS = (
    Registration.id, Registration.type, Registration.status, Registration.rev,
    Registration.data, Registration.meta, Registration.conflicts, Registration.amendments,
    Registration.review, Registration.team_id, Registration.created_by_id,
    Registration.created_at,
)
_STATE_SQL = (f"SELECT {', '.join(c.key for c in _STATE_COLUMNS)} FROM registrations "
              "WHERE id IN ")


def load_states(ids: Iterable[str]) -> dict[str, Stored]:
    """The records ``ids`` for a merge, locked until commit.

    SQLite's write lock already serialises writers; on PostgreSQL two pushes to one record
    from different devices would otherwise merge into the same old state and write the
    same rev. Rows are locked in id order, as every writer locks them, so two pushes over
    overlapping records cannot deadlock.
    """
    ids = sorted(ids)
    if not ids:
        return {}
    sql = _STATE_SQL + bulk.in_list(len(ids))
    if db.session.get_bind().dialect.name == "postgresql":
        sql += " ORDER BY id FOR UPDATE"
    found = bulk.rows(sql, ids, _STATE_COLUMNS)
    return {
        row[0]: Stored(Record(*row[:9]), row[9], row[10], row[11])
        for row in found
    }


# The columns of a client view, in the parameter order of ``_view``.
VIEW_COLUMNS = (
    Registration.id, Registration.type, Registration.status, Registration.rev,
    Registration.team_id, User.username, Registration.data, Registration.conflicts,
    Registration.amendments, Registration.review, Registration.created_at,
    Registration.updated_at,
)


def views_query() -> Select[Any]:
    """Registrations as clients see them, read without the engine's bookkeeping."""
    return select(*VIEW_COLUMNS).join(User, User.id == Registration.created_by_id)


def view_of(row: Row[Any]) -> dict[str, Any]:
    """The view of a row of ``views_query``."""
    return _view(*row)


# The same columns for a pull page, which only passes records on: JSON columns are read as
# their stored text and go into the reply as orjson fragments, where they would otherwise
# be parsed only to be serialised again, unchanged.
def _wire_column(column: Any) -> str:
    alias = "u" if column.table is User.__table__ else "r"
    name = f"{alias}.{column.key}"
    return f"CAST({name} AS TEXT)" if isinstance(column.type, JSON) else name


_WIRE_SQL = (
    f"SELECT {', '.join(_wire_column(c) for c in VIEW_COLUMNS)} FROM registrations r "
    "JOIN users u ON u.id = r.created_by_id WHERE r.id IN "
)
_WIRE_COLUMNS = tuple(Text() if isinstance(c.type, JSON) else c for c in VIEW_COLUMNS)
_JSON_POSITIONS = frozenset(i for i, c in enumerate(VIEW_COLUMNS) if isinstance(c.type, JSON))


def _fragment(text: str | None) -> orjson.Fragment | None:
    return None if text is None else orjson.Fragment(text)


def load_wire_views(ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Views of the registrations ``ids`` for a JSON reply only (JSON parts as fragments)."""
    ids = list(ids)
    if not ids:
        return {}
    found = bulk.rows(_WIRE_SQL + bulk.in_list(len(ids)), ids, _WIRE_COLUMNS)
    return {
        row[0]: _view(*(_fragment(v) if i in _JSON_POSITIONS else v for i, v in enumerate(row)))
        for row in found
    }


def usernames(user_ids: Iterable[int]) -> dict[int, str]:
    ids = set(user_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def view(
    record: Record,
    team_id: int,
    created_by: str,
    created_at: datetime | str,
    updated_at: datetime | str,
) -> dict[str, Any]:
    """The record as GET and pull return it (without history)."""
    return _view(record.id, record.type, record.status, record.rev, team_id, created_by,
                 record.data, record.conflicts, record.amendments, record.review,
                 created_at, updated_at)


def _view(record_id: str, rtype: str, status: str, rev: int, team: int, created_by: str,
          data: Any, conflicts: Any, amendments: Any, review: Any,
          created_at: datetime | str, updated_at: datetime | str) -> dict[str, Any]:
    # data, conflicts, amendments, review: parsed JSON, or orjson fragments for a reply
    return {
        "id": record_id, "type": rtype, "status": status, "rev": rev, "team": team,
        "created_by": created_by, "data": data, "conflicts": conflicts,
        "amendments": amendments, "review": review,
        "created_at": iso(created_at), "updated_at": iso(updated_at),
    }


def row_view(row: Registration, names: dict[int, str]) -> dict[str, Any]:
    return view(to_record(row), row.team_id, names.get(row.created_by_id, ""),
                row.created_at, row.updated_at)


def derived_columns(record: Record) -> dict[str, Any]:
    """Columns computed from the data: location (RD New is added at flush), conflict count."""
    lat, lon, accuracy = _point(record)
    return {"open_conflicts": _open_conflicts(record), "lat": lat, "lon": lon,
            "accuracy": accuracy, "rd_x": None, "rd_y": None}


def _point(record: Record) -> tuple[Any, Any, Any]:
    """Latitude, longitude and accuracy of the record's location field, or three Nones."""
    location = record.data.get(LOCATION_FIELDS.get(record.type, "location"))
    if isinstance(location, dict) and "lat" in location and "lon" in location:
        return location["lat"], location["lon"], location.get("accuracy")
    return None, None, None


def _open_conflicts(record: Record) -> int:
    conflicts = record.conflicts
    return sum(1 for c in conflicts if c["status"] == "open") if conflicts else 0


def _add_rd(rows: Iterable[dict[str, Any]]) -> None:
    """Fill rd_x/rd_y of rows with a location, converting all points in one call."""
    located = [row for row in rows if row.get("lat") is not None]
    for row, (x, y) in zip(located, to_rd_many([(r["lat"], r["lon"]) for r in located]),
                           strict=True):
        row["rd_x"], row["rd_y"] = x, y


@dataclass(frozen=True, slots=True)
class _PhotoFields:
    """Where a form holds photos: top-level fields, and per group its items' photo fields."""

    scalars: frozenset[str]
    groups: dict[str, tuple[str, ...]]
    prefixes: tuple[str, ...]  # "<group>[" of each group with photos: item keys start so


def _photo_fields(form: FormDef) -> _PhotoFields:
    groups = {
        f.name: names for f in form.fields if f.kind == "group"
        if (names := tuple(i.name for i in f.fields if i.kind == "photo"))
    }
    return _PhotoFields(frozenset(f.name for f in form.fields if f.kind == "photo"), groups,
                        tuple(f"{group}[" for group in groups))


_PHOTO_FIELDS = {form.type: _photo_fields(form) for form in FORMS}
_NO_PHOTOS = _PhotoFields(frozenset(), {}, ())


def _photo_hash(value: Any) -> str | None:
    if isinstance(value, dict) and "content_type" in value:
        sha = value.get("sha256")
        if isinstance(sha, str):
            return sha
    return None


def photo_hashes(rtype: str, op_set: dict[str, Any]) -> set[str]:
    """Attachment hashes the photo fields of an op's ``set`` refer to (before validation:
    a malformed value is left to the validation of its field).

    Runs for every pushed op, so keys are matched in C (a set intersection, ``startswith``
    with the groups' prefixes) and Python looks only at the keys that can hold a photo.
    """
    fields = _PHOTO_FIELDS.get(rtype, _NO_PHOTOS)
    found: set[str] = set()
    for key in fields.scalars.intersection(op_set):
        sha = _photo_hash(op_set[key])
        if sha is not None:
            found.add(sha)
    prefixes = fields.prefixes
    if prefixes:
        for key in [k for k in op_set if k.startswith(prefixes)]:
            value = op_set[key]
            names = fields.groups.get(key.partition("[")[0])
            if names is None or not isinstance(value, dict):
                continue
            for name in names:
                sha = _photo_hash(value.get(name))
                if sha is not None:
                    found.add(sha)
    return found


_INSERT_COLUMNS = (
    "id", "type", "status", "rev", "team_id", "created_by_id", "data", "meta", "conflicts",
    "amendments", "review", "open_conflicts", "lat", "lon", "accuracy", "rd_x", "rd_y",
    "created_at", "updated_at", "submitted_at",
)
_insert_row = itemgetter(*_INSERT_COLUMNS)  # a row dict as a tuple in column order, in C
_REVISION_COLUMNS = (
    "registration_id", "rev", "author_id", "device_id", "at", "hlc", "op_id", "kind", "set",
    "lost",
)


@dataclass
class Batch:
    """Writes collected while a request applies ops, flushed in a few bulk statements."""

    inserts: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    revisions: list[tuple[Any, ...]] = field(default_factory=list)
    attachment_links: set[tuple[str, str]] = field(default_factory=set)
    teams: dict[str, int] = field(default_factory=dict)

    def save(self, record: Record, team_id: int, created_by_id: int, now: datetime,
             is_new: bool, location_changed: bool, submitted: bool) -> None:
        if is_new and record.id not in self.inserts:
            self._save_new(record, team_id, created_by_id, now, submitted)
            return
        columns: dict[str, Any] = {
            "id": record.id, "status": record.status, "rev": record.rev, "data": record.data,
            "meta": record.meta, "conflicts": record.conflicts,
            "amendments": record.amendments, "review": record.review, "updated_at": now,
        }
        derived = derived_columns(record)
        if not location_changed and not is_new:
            derived = {"open_conflicts": derived["open_conflicts"]}
        columns.update(derived)
        if submitted:
            columns["submitted_at"] = now
        self.teams[record.id] = team_id
        if record.id in self.inserts:  # made earlier in this batch (``_save_new``)
            self.inserts[record.id].update(columns)
        else:
            self.updates[record.id] = {**self.updates.get(record.id, {}), **columns}

    def _save_new(self, record: Record, team_id: int, created_by_id: int, now: datetime,
                  submitted: bool) -> None:
        """A record's first write in this batch (most ops of a push): its row at once,
        the columns of ``derived_columns`` included."""
        lat, lon, accuracy = _point(record)
        self.teams[record.id] = team_id
        self.inserts[record.id] = {
            "id": record.id, "type": record.type, "status": record.status, "rev": record.rev,
            "team_id": team_id, "created_by_id": created_by_id, "data": record.data,
            "meta": record.meta, "conflicts": record.conflicts,
            "amendments": record.amendments, "review": record.review,
            "open_conflicts": _open_conflicts(record), "lat": lat, "lon": lon,
            "accuracy": accuracy, "rd_x": None, "rd_y": None, "created_at": now, "updated_at": now,
            "submitted_at": now if submitted else None,
        }

    def revision(self, record_id: str, rev: int, author_id: int, device_id: str | None,
                 at: datetime, hlc: str | None, op_id: str | None, kind: str,
                 changes_set: dict[str, Any] | orjson.Fragment,
                 lost: list[str] | None = None) -> None:
        self.revisions.append(
            (record_id, rev, author_id, device_id, at, hlc, op_id, kind, changes_set, lost))

    def flush(self) -> None:
        _add_rd([*self.inserts.values(), *self.updates.values()])
        table = Registration.__table__
        bulk.insert(table, _INSERT_COLUMNS,
                    list(map(_insert_row, self.inserts.values())))
        # One UPDATE statement per set of columns (a location edit writes more of them).
        by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for record_id, row in self.updates.items():
            names = tuple(name for name in row if name != "id")
            by_columns.setdefault(names, []).append((*(row[n] for n in names), record_id))
        for names, rows in by_columns.items():
            bulk.update(table, names, "id", rows)
        bulk.insert(Revision.__table__, _REVISION_COLUMNS, self.revisions)
        if self.attachment_links:
            existing = set(db.session.execute(
                select(RegistrationAttachment.registration_id, RegistrationAttachment.sha256)
                .where(RegistrationAttachment.sha256.in_({s for _, s in self.attachment_links}))
            ).all())
            new_links = self.attachment_links - existing
            if new_links:
                db.session.execute(
                    insert(RegistrationAttachment),
                    [{"registration_id": r, "sha256": s} for r, s in sorted(new_links)],
                )
        touched = list(self.inserts) + [r for r in self.updates if r not in self.inserts]
        changes.mark(("registration", rid, self.teams[rid], False) for rid in touched)
