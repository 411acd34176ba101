"""Statements sent straight to the database driver, for the sync hot path.

A push writes hundreds of rows and a pull reads hundreds; SQLAlchemy's per-statement and
per-row handling cost more there than the database itself (a few hundred microseconds a
statement on these machines). These helpers run on the driver cursor of the session's
own connection, inside the session's transaction (begun first, so SQLite's write lock and
PostgreSQL's row locks behave as for any other statement).

Values are converted by their column type's own processors (JSON, datetimes on SQLite,
booleans), looked up once per statement shape, so stored and read values are exactly what
the ORM would have written and read. Statements use ``?`` placeholders, adapted to the
driver's style.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache, wraps
from typing import Any, TypeVar

import orjson
from flask import Flask, current_app
from sqlalchemy import JSON, Column, Table, create_engine, event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import InstrumentedAttribute, Session, SessionTransaction
from sqlalchemy.types import TypeEngine

from server import liveness
from server.extensions import db, json_dumps

F = TypeVar("F", bound=Callable[..., Any])
_dumps = orjson.dumps  # json_dumps without the call around it, for whole columns

Typed = Column[Any] | TypeEngine[Any] | InstrumentedAttribute[Any]
# (position in the row, converter): json_dumps for JSON, else the type's bind processor
Binders = tuple[tuple[int, Callable[[Any], Any]], ...]


def _cursor() -> tuple[Dialect, Any]:
    session = db.session()
    driver = session.info.get(_DRIVER)
    if driver is None:
        session.connection()  # begins the session's transaction: _remember sets _DRIVER
        driver = session.info[_DRIVER]
    return driver[0], driver[1].cursor()


# The driver connection of the session's current transaction, kept in ``session.info``
# from its begin to its end: looking it up through the session costs more than a small
# statement.
_DRIVER = "wijkpost.driver"


@event.listens_for(Session, "after_begin")
def _remember(session: Session, _transaction: Any, connection: Connection) -> None:
    session.info[_DRIVER] = (connection.dialect,
                             connection.connection.driver_connection)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_DRIVER, None)


@lru_cache(maxsize=256)
def _adapt(dialect: Dialect, sql: str) -> str:
    return sql if dialect.paramstyle == "qmark" else sql.replace("?", "%s")


@lru_cache(maxsize=256)
def _result_processors(dialect: Dialect, columns: tuple[Typed, ...]
                       ) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    types = [c if isinstance(c, TypeEngine) else c.type for c in columns]
    procs = [t.dialect_impl(dialect).result_processor(dialect, None) for t in types]
    return tuple((i, p) for i, p in enumerate(procs) if p is not None)


def rows(sql: str, params: Sequence[Any] = (), columns: tuple[Typed, ...] = ()
         ) -> list[tuple[Any, ...]]:
    """Run ``sql``; the rows it returns (none for a statement without RETURNING), each
    value read as the matching column (or type) of ``columns`` reads it: JSON decoded,
    datetimes parsed on SQLite. Without ``columns`` values stay as the driver gives them."""
    dialect, cursor = _cursor()
    cursor.execute(_adapt(dialect, sql), tuple(params))
    if cursor.description is None:
        return []
    return _read(dialect, cursor.fetchall(), columns)


def dialect_name() -> str:
    return db.engine.dialect.name


def rows_many(sql: str, params: Sequence[Sequence[Any]]) -> None:
    """Run ``sql`` once per parameter tuple in one ``executemany`` (values as given)."""
    if not params:
        return
    dialect, cursor = _cursor()
    cursor.executemany(_adapt(dialect, sql), [tuple(p) for p in params])


# The connection ``apart`` lends out, while a caller holds it for the calls within
# (``one_connection``).
_HELD: ContextVar[Any] = ContextVar("wijkpost_apart", default=None)


@contextmanager
def apart(generic: bool = False) -> Iterator[Any]:
    """A pooled driver connection outside the session, on which each statement is a
    transaction of its own. SQLite's connections are so already (server.sqlite begins
    explicitly); psycopg would send BEGIN before the first statement and the pool a
    ROLLBACK at checkin: two more round trips, which on a busy database server cost more
    than a small query itself. Inside ``one_connection`` the one it holds.

    ``generic``: on PostgreSQL a connection of the generic-plan pool (``add_generic_pool``)."""
    held = _HELD.get()
    if held is not None:
        yield held
        return
    pool = generic_pool() if generic else None
    connection = (pool or db.engine).raw_connection()
    driver = connection.driver_connection
    # the generic-plan pool's connections are in autocommit for good (add_generic_pool)
    toggle = pool is None and db.engine.dialect.name == "postgresql"
    if toggle:
        driver.autocommit = True  # type: ignore[union-attr]
    try:
        yield connection
    finally:
        if toggle and not driver.closed:  # type: ignore[union-attr]
            driver.autocommit = False  # type: ignore[union-attr]  # as the session expects
        connection.close()  # back to the pool


_GENERIC_POOL = "wijkpost_generic_pool"


def generic_pool() -> Engine | None:
    """The generic-plan pool's engine (PostgreSQL), or None."""
    return current_app.extensions.get(_GENERIC_POOL)


def add_generic_pool(app: Flask, ping_after_idle_s: float) -> None:
    """PostgreSQL: a second, small pool whose connections run every prepared statement on
    its generic plan, for reads whose best plan is the same for all values (the briefing:
    the spatial indexes, then the team). Left to choose, PostgreSQL plans such a query
    again for each set of values, which for the briefing's spatial UNION costs about as
    much as running it; setting the mode around each query instead costs a pipeline (0.2
    to 0.3 ms a query here). The main pool keeps the default: there the values decide the
    plan (the review list's areas and search terms)."""
    engine = create_engine(
        db.engine.url, pool_size=2, max_overflow=8,
        connect_args={"options": "-c plan_cache_mode=force_generic_plan"})

    @event.listens_for(engine, "connect")
    def _autocommit(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.autocommit = True
        record.info["generic"] = True

    liveness.ping_when_idle(engine, ping_after_idle_s)
    app.extensions[_GENERIC_POOL] = engine


def one_connection(generic: bool = False) -> Callable[[F], F]:
    """Endpoint decorator for a read that needs no session: the token check, its queries
    and (PostgreSQL) its audit event share one pooled connection, checked out (and, on
    PostgreSQL, pinged) once instead of three times. ``generic``: from the generic-plan
    pool (``add_generic_pool``)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with apart(generic) as connection:
                token = _HELD.set(connection)
                try:
                    return view(*args, **kwargs)
                finally:
                    _HELD.reset(token)

        return wrapper  # type: ignore[return-value]

    return decorator


def read_apart(sql: str, params: Sequence[Any] = (), columns: tuple[Typed, ...] = ()
               ) -> list[tuple[Any, ...]]:
    """``rows`` of a query run on a pooled connection of its own, outside the session's
    transaction: on SQLite a lone SELECT reads a snapshot without the write lock that
    every session transaction takes at BEGIN (the token check of every request)."""
    with reading() as read:
        return read(sql, params, columns)


Reader = Callable[..., list[tuple[Any, ...]]]


@contextmanager
def reading() -> Iterator[Reader]:
    """Several ``read_apart`` queries on one pooled connection: a read-only request (a
    briefing) neither takes SQLite's write lock nor checks out a connection per query.
    Each query is a snapshot of its own (see ``apart``)."""
    dialect = db.engine.dialect
    with apart() as connection:

        def read(sql: str, params: Sequence[Any] = (), columns: tuple[Typed, ...] = (),
                 generic: bool = False) -> list[tuple[Any, ...]]:
            """``generic``: on PostgreSQL the statement is prepared once per connection
            and runs on its generic plan, without planning it again for each set of
            values (for a query whose best plan does not depend on them): at once on a
            connection of the generic-plan pool, else with the mode set around it."""
            if generic and dialect.name == "postgresql":
                driver = connection.driver_connection
                if connection.info.get("generic"):
                    return _read(dialect, _fetch(driver.execute(
                        _adapt(dialect, sql), tuple(params), prepare=True)), columns)
                return _read(dialect, _generic(driver, _adapt(dialect, sql), tuple(params)),
                             columns)
            cursor = connection.cursor()
            cursor.execute(_adapt(dialect, sql), tuple(params))
            return _read(dialect, _fetch(cursor), columns)

        yield read


Query = tuple[str, Sequence[Any], tuple[Typed, ...]]


def read_together(queries: Sequence[Query]) -> list[list[tuple[Any, ...]]]:
    """The rows of each ``(sql, params, columns)``, on one pooled connection. On a
    connection of the generic-plan pool they go in one pipeline: one round trip for all,
    each on its generic plan. Elsewhere one after another (SQLite has no round trips)."""
    dialect = db.engine.dialect
    with apart() as connection:
        if dialect.name == "postgresql" and connection.info.get("generic"):
            driver = connection.driver_connection
            with driver.pipeline():
                cursors = [driver.execute(_adapt(dialect, sql), tuple(params), prepare=True)
                           for sql, params, _ in queries]
            return [_read(dialect, _fetch(cursor), columns)
                    for cursor, (_, _, columns) in zip(cursors, queries, strict=True)]
    with reading() as read:
        return [read(sql, params, columns) for sql, params, columns in queries]


def _generic(driver: Any, sql: str, params: tuple[Any, ...]) -> list[Any]:
    """The query on its generic plan: the setting, the query and its reset go in one
    pipeline (one round trip), so the connection returns to the pool as it came. Left to
    choose, PostgreSQL keeps planning a spatial UNION for each point, which costs about
    as much as running it."""
    with driver.pipeline():
        driver.execute("SET plan_cache_mode = force_generic_plan")
        cursor = driver.execute(sql, params, prepare=True)
        driver.execute("RESET plan_cache_mode")
    return _fetch(cursor)


def _fetch(cursor: Any) -> list[Any]:
    """The cursor's rows; the cursor closed."""
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _read(dialect: Dialect, fetched: list[Any], columns: tuple[Typed, ...]
          ) -> list[tuple[Any, ...]]:
    procs = _result_processors(dialect, columns)
    if not procs:
        return [tuple(row) for row in fetched]
    converted = []
    for row in fetched:
        values = list(row)
        for index, proc in procs:
            if values[index] is not None:
                values[index] = proc(values[index])
        converted.append(tuple(values))
    return converted


def in_list(count: int) -> str:
    """``(?, ?, ...)`` for an IN clause of ``count`` values."""
    return "(" + ", ".join(["?"] * count) + ")"


@lru_cache(maxsize=256)
def _binders(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> Binders:
    """Converters of the columns whose values need one.

    JSON becomes its text, as the JSON type's own processor writes it; other values
    (datetimes on SQLite: mostly the same ``now`` in every row) are converted once per
    distinct value.
    """
    found = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            found.append((index, json_dumps))
            continue
        proc = column_type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            found.append((index, proc))
    return tuple(found)


def _convert(binders: Binders, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """``rows`` with their values converted, a column at a time (a comprehension per
    column costs far less than a loop over every value of every row)."""
    if not binders:
        return [tuple(row) for row in rows]
    columns = [list(column) for column in zip(*rows, strict=True)]
    for index, proc in binders:
        values = columns[index]
        if proc is json_dumps:
            # the commonest values of all (a new record's conflicts, amendments, review)
            columns[index] = ["[]" if v == [] else "null" if v is None else _dumps(v).decode()
                              for v in values]
            continue
        # None stays None (as SQLAlchemy binds it); the rest once per distinct value.
        done = {v: proc(v) for v in set(values) if v is not None}
        done[None] = None
        columns[index] = [done[v] for v in values]
    return list(zip(*columns, strict=True))


def _q(name: str) -> str:
    """A quoted identifier (``set`` and ``at`` are column names here)."""
    return f'"{name}"'


@lru_cache(maxsize=256)
def _insert_sql(table: Table, columns: tuple[str, ...], upsert_on: tuple[str, ...] | None
                ) -> str:
    sql = (f"INSERT INTO {_q(table.name)} ({', '.join(map(_q, columns))}) "
           f"VALUES ({', '.join(['?'] * len(columns))})")
    if upsert_on is not None:
        sets = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in columns if c not in upsert_on)
        sql += f" ON CONFLICT ({', '.join(map(_q, upsert_on))}) DO UPDATE SET {sets}"
    return sql


def insert(table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
           upsert_on: tuple[str, ...] | None = None) -> None:
    """INSERT ``rows`` (tuples in ``columns`` order) in one ``executemany``.

    With ``upsert_on`` (the columns of a unique constraint) a row that exists is updated
    in place with the other columns (``ON CONFLICT ... DO UPDATE``, SQLite and PostgreSQL).
    """
    if not rows:
        return
    dialect, cursor = _cursor()
    sql = _adapt(dialect, _insert_sql(table, columns, upsert_on))
    cursor.executemany(sql, _convert(_binders(dialect, table, columns), rows))


@lru_cache(maxsize=256)
def _update_sql(table: Table, columns: tuple[str, ...], key: str) -> str:
    sets = ", ".join(f"{_q(c)} = ?" for c in columns)
    return f"UPDATE {_q(table.name)} SET {sets} WHERE {_q(key)} = ?"


def update(table: Table, columns: tuple[str, ...], key: str,
           rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE by ``key``: each row is the values of ``columns`` followed by the key value."""
    if not rows:
        return
    dialect, cursor = _cursor()
    sql = _adapt(dialect, _update_sql(table, columns, key))
    cursor.executemany(sql, _convert(_binders(dialect, table, (*columns, key)), rows))
