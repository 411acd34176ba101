"""Statements sent straight to the database driver, for the sync hot path.

A push writes hundreds of rows and a pull reads hundreds; SQLAlchemy's per-statement and
per-row handling cost more there than the database itself (about 0.3 ms a statement on
these machines). Rows go to the driver as tuples in one ``executemany`` per table; each
value is converted by its column type's own bind processor (JSON, datetimes on SQLite,
booleans), looked up once per statement shape, so stored values are exactly what the ORM
would have written. Statements are written with ``?`` placeholders and adapted to the
driver's style.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Column, Table
from sqlalchemy.engine import Dialect

from server.extensions import db, json_dumps

Processor = Callable[[Any], Any] | None


@lru_cache(maxsize=256)
def _processors(dialect: Dialect, table: Table, columns: tuple[str, ...]
                ) -> tuple[tuple[int, Callable[[Any], Any], bool], ...]:
    """(position, converter, repeats) for each column whose values need converting.

    JSON becomes its text, as the JSON type's own processor would write it; other values
    (datetimes on SQLite, mostly the same ``now`` in every row) are converted once per
    distinct value.
    """
    found = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            found.append((index, json_dumps, False))
            continue
        proc = column_type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            found.append((index, proc, True))
    return tuple(found)


def _mark(dialect: Dialect) -> str:
    return "?" if dialect.paramstyle == "qmark" else "%s"


@lru_cache(maxsize=256)
def _adapt(dialect: Dialect, sql: str) -> str:
    return sql if dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def execute(sql: str, params: Sequence[Any] = ()) -> Any:
    """Run one statement (``?`` placeholders) in the session's transaction; its result."""
    conn = db.session.connection()
    return conn.exec_driver_sql(_adapt(conn.dialect, sql), tuple(params))


@lru_cache(maxsize=256)
def _result_processors(dialect: Dialect, columns: tuple[Column[Any], ...]
                       ) -> tuple[Processor, ...]:
    return tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)


def rows(sql: str, params: Sequence[Any], columns: tuple[Column[Any], ...]
         ) -> list[tuple[Any, ...]]:
    """The rows of a SELECT whose result columns are ``columns``, as their types read them
    (JSON decoded, datetimes parsed on SQLite)."""
    conn = db.session.connection()
    result = conn.exec_driver_sql(_adapt(conn.dialect, sql), tuple(params))
    procs = _result_processors(conn.dialect, columns)
    if not any(procs):
        return [tuple(row) for row in result]
    return [
        tuple(value if proc is None or value is None else proc(value)
              for proc, value in zip(procs, row, strict=True))
        for row in result
    ]


def in_list(count: int) -> str:
    """``(?, ?, ...)`` for an IN clause of ``count`` values."""
    return "(" + ", ".join(["?"] * count) + ")"


def _placeholders(dialect: Dialect, count: int) -> str:
    return ", ".join([_mark(dialect)] * count)


def _convert(processors: tuple[tuple[int, Callable[[Any], Any], bool], ...],
             rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    converted = []
    seen: dict[tuple[int, Any], Any] = {}
    for row in rows:
        values = list(row)
        for index, proc, repeats in processors:
            value = values[index]
            if value is None and repeats:
                continue
            if repeats:
                key = (index, value)
                if key not in seen:
                    seen[key] = proc(value)
                values[index] = seen[key]
            else:
                values[index] = proc(value)
        converted.append(tuple(values))
    return converted


@lru_cache(maxsize=256)
def _insert_sql(dialect: Dialect, table: Table, columns: tuple[str, ...],
                conflict: tuple[tuple[str, ...], tuple[str, ...]] | None) -> str:
    prep = dialect.identifier_preparer
    names = ", ".join(prep.quote(c) for c in columns)
    sql = (f"INSERT INTO {prep.format_table(table)} ({names}) "
           f"VALUES ({_placeholders(dialect, len(columns))})")
    if conflict is not None:
        keys, updated = conflict
        sets = ", ".join(f"{prep.quote(c)} = excluded.{prep.quote(c)}" for c in updated)
        sql += f" ON CONFLICT ({', '.join(prep.quote(k) for k in keys)}) DO UPDATE SET {sets}"
    return sql


def insert(table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
           upsert_on: tuple[str, ...] | None = None) -> None:
    """INSERT ``rows`` (tuples in ``columns`` order) in the session's transaction.

    With ``upsert_on`` (the columns of a unique constraint) a row that exists is updated
    in place with the other columns (``ON CONFLICT ... DO UPDATE``, SQLite and PostgreSQL).
    """
    if not rows:
        return
    conn = db.session.connection()
    dialect = conn.dialect
    conflict = None
    if upsert_on is not None:
        conflict = (upsert_on, tuple(c for c in columns if c not in upsert_on))
    sql = _insert_sql(dialect, table, columns, conflict)
    conn.exec_driver_sql(sql, _convert(_processors(dialect, table, columns), rows))


@lru_cache(maxsize=256)
def _update_sql(dialect: Dialect, table: Table, columns: tuple[str, ...], key: str) -> str:
    prep = dialect.identifier_preparer
    mark = _mark(dialect)
    sets = ", ".join(f"{prep.quote(c)} = {mark}" for c in columns)
    return f"UPDATE {prep.format_table(table)} SET {sets} WHERE {prep.quote(key)} = {mark}"


def update(table: Table, columns: tuple[str, ...], key: str,
           rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE by ``key``: each row is the values of ``columns`` followed by the key value."""
    if not rows:
        return
    conn = db.session.connection()
    dialect = conn.dialect
    sql = _update_sql(dialect, table, columns, key)
    conn.exec_driver_sql(sql, _convert(_processors(dialect, table, (*columns, key)), rows))
