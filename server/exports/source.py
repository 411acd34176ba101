"""The registrations of an export, read from one snapshot in chunks.

An export can hold 100,000 registrations, so it never loads them at once: a server-side
cursor on PostgreSQL, SQLite's own stepping cursor, ``fetchmany`` in chunks. It reads on a
pooled connection of its own, in a read-only transaction: the row count the audit log
records and the rows the file holds come from the same snapshot (PostgreSQL REPEATABLE
READ; an SQLite read transaction), and on SQLite a long download holds no write lock
(a session transaction takes one at BEGIN, see server/sqlite.py), so pushes go on.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Engine

CHUNK = 500
_names = itertools.count()


@dataclass(frozen=True, slots=True)
class Filter:
    """Which registrations an export holds."""

    team_id: int | None  # None: every team (a beheerder's statistics)
    types: tuple[str, ...]
    statuses: tuple[str, ...]
    created_from: datetime | None  # UTC, inclusive
    created_to: datetime | None  # UTC, exclusive


@dataclass(slots=True)
class Row:
    id: str
    type: str
    status: str
    rev: int
    created_by: str
    created_by_name: str
    data: str  # JSON text, as stored: parsed only by the writers that need it
    conflicts: str
    amendments: str
    review: str | None
    open_conflicts: int
    lat: float | None
    lon: float | None
    accuracy: float | None
    rd_x: float | None
    rd_y: float | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    number: int | None  # the BRON accident number, when asked for


_SELECT = (
    "r.id, r.type, r.status, r.rev, u.username, u.display_name, CAST(r.data AS TEXT), "
    "CAST(r.conflicts AS TEXT), CAST(r.amendments AS TEXT), CAST(r.review AS TEXT), "
    "r.open_conflicts, r.lat, r.lon, r.accuracy, r.rd_x, r.rd_y, r.created_at, "
    "r.updated_at, r.submitted_at"
)
# The id of a registration's first revision: an integer given once, when the registration
# was created, never reused or changed (revisions are append-only), so it serves as BRON's
# numeric VKL_NUMMER, the same in every export.
_NUMBER_JOIN = " LEFT JOIN revisions v ON v.registration_id = r.id AND v.rev = 1"
_DATETIME_POSITIONS = (16, 17, 18)


def _in_list(count: int) -> str:
    return "(" + ", ".join("?" * count) + ")"


class Snapshot:
    """An open read transaction over the registrations of ``flt``; ``close`` ends it."""

    def __init__(self, engine: Engine, flt: Filter, *, numbered: bool = False) -> None:
        self._dialect = engine.dialect
        self._postgres = engine.dialect.name == "postgresql"
        self._where, self._params = self._conditions(flt)
        self._rows_sql = (
            f"SELECT {_SELECT}, {'v.id' if numbered else 'NULL'} FROM registrations r "
            "JOIN users u ON u.id = r.created_by_id" + (_NUMBER_JOIN if numbered else "")
            + " WHERE r.id IN ")
        parse = DateTime(timezone=True).dialect_impl(self._dialect).result_processor(
            self._dialect, None)
        self._parse_datetime = parse
        self._connection: Any = engine.raw_connection()
        try:
            cursor = self._connection.cursor()
            if self._postgres:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            else:
                cursor.execute("BEGIN")  # deferred: a snapshot from the first read on
            cursor.execute(self._sql("SELECT COUNT(*) FROM registrations r" + self._where),
                           self._params)
            self.count: int = cursor.fetchone()[0]
            cursor.close()
        except BaseException:
            self.close()
            raise

    def _sql(self, sql: str) -> str:
        return sql if self._dialect.paramstyle == "qmark" else sql.replace("?", "%s")

    def _conditions(self, flt: Filter) -> tuple[str, tuple[Any, ...]]:
        bind = DateTime(timezone=True).dialect_impl(self._dialect).bind_processor(self._dialect)
        clauses: list[str] = []
        params: list[Any] = []
        if flt.team_id is not None:
            clauses.append("r.team_id = ?")
            params.append(flt.team_id)
        clauses.append("r.type IN " + _in_list(len(flt.types)))
        params += flt.types
        clauses.append("r.status IN " + _in_list(len(flt.statuses)))
        params += flt.statuses
        for clause, moment in (("r.created_at >= ?", flt.created_from),
                               ("r.created_at < ?", flt.created_to)):
            if moment is not None:
                clauses.append(clause)
                params.append(bind(moment) if bind else moment)
        return " WHERE " + " AND ".join(clauses), tuple(params)

    def chunks(self, size: int = CHUNK) -> Iterator[list[Row]]:
        """The registrations, oldest first, ``size`` at a time (may be called again for a
        second pass over the same snapshot).

        The database sorts only the keys (no index serves every filter, and sorting whole
        rows would spill their personal data into the database's temporary files); each
        chunk of keys then fetches its rows by primary key."""
        keys_sql = self._sql("SELECT r.id FROM registrations r" + self._where
                             + " ORDER BY r.created_at, r.id")
        if self._postgres:
            # A named cursor is a server-side one: keys come over in fetchmany's chunks.
            keys = self._connection.driver_connection.cursor(name=f"export_{next(_names)}")
        else:
            keys = self._connection.cursor()
        rows = self._connection.cursor()
        try:
            keys.execute(keys_sql, self._params)
            while fetched := keys.fetchmany(size):
                ids = [key for (key,) in fetched]
                rows.execute(self._sql(self._rows_sql + _in_list(len(ids))), ids)
                by_id = {values[0]: values for values in rows.fetchall()}
                yield [self._row(by_id[key]) for key in ids]
        finally:
            rows.close()
            keys.close()

    def _row(self, values: Any) -> Row:
        values = list(values)
        if self._parse_datetime is not None:
            for index in _DATETIME_POSITIONS:
                if values[index] is not None:
                    values[index] = self._parse_datetime(values[index])
        return Row(*values)

    def close(self) -> None:
        """End the transaction and give the connection back (safe to call twice)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.rollback()
        finally:
            connection.close()
