"""Audit events of reads, made durable at once where no push can hold them up.

A read must be audited before its answer leaves, but appending to the chain needs the
chain head, which a push holds until it commits. So a read's event goes to a pending
store in a short transaction of its own, with a unique event id, and the chainer
(``server.audit.chainer``) moves it into the chain later:

- PostgreSQL: the ``audit_pending`` table, inserted on a pooled connection and committed
  at once (no lock that a push takes: pushes never touch this table).
- SQLite: the same table in a small SQLite file beside the database
  (``<database>.audit-pending``): it has its own write lock, so a push holding the
  database's lock does not delay it. It is as durable as the database's own commits
  (``synchronous=NORMAL`` in WAL mode, like the database); ``full`` adds an fsync to
  every read, for a deployment that wants reads to outlast a power loss the writes do not.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from flask import current_app
from sqlalchemy.engine import make_url

from server import bulk
from server.extensions import db

COLUMNS = ("event_id", "at", "user_id", "device_id", "action", "entity", "entity_ids",
           "detail", "synced")
# One pending event: (seq, *COLUMNS)
Row = tuple[Any, ...]
_SPOOL_DDL = (
    "CREATE TABLE IF NOT EXISTS audit_pending ("
    "seq INTEGER PRIMARY KEY, event_id VARCHAR(36) NOT NULL UNIQUE, at VARCHAR(40) NOT NULL, "
    "user_id INTEGER, device_id VARCHAR(36), action VARCHAR(40) NOT NULL, "
    "entity VARCHAR(20), entity_ids TEXT, detail TEXT, synced BOOLEAN NOT NULL)"
)


class Store:
    """The pending table behind a source of connections (SQL the same on both databases)."""

    def __init__(self, connection: Callable[[], AbstractContextManager[Any]],
                 placeholder: str) -> None:
        self._connection = connection
        self._p = placeholder

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._connection() as connection:
            try:
                cursor = connection.cursor()
                cursor.execute(sql.replace("?", self._p), tuple(params))
                found = cursor.fetchall() if cursor.description is not None else []
                connection.commit()
                return [tuple(r) for r in found]
            except BaseException:
                connection.rollback()
                raise

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert and commit in one statement: durable when this returns."""
        values = ", ".join([f"({', '.join('?' * len(COLUMNS))})"] * len(rows))
        self._run(f"INSERT INTO audit_pending ({', '.join(COLUMNS)}) VALUES {values}",
                  [value for row in rows for value in row])

    def take(self, limit: int) -> list[Row]:
        """The oldest ``limit`` pending events (left in place until ``delete``)."""
        return self._run(f"SELECT seq, {', '.join(COLUMNS)} FROM audit_pending "
                         f"ORDER BY seq LIMIT ?", (limit,))

    def delete(self, seqs: Sequence[int]) -> None:
        if seqs:
            self._run(f"DELETE FROM audit_pending WHERE seq IN "
                      f"({', '.join('?' * len(seqs))})", list(seqs))


def store() -> Store:
    found = current_app.extensions.get("wijkpost_audit_pending")
    if found is None:
        found = _make_store()
        current_app.extensions["wijkpost_audit_pending"] = found
    return found


def spool_path() -> str:
    configured = current_app.config.get("AUDIT_PENDING_PATH")
    if configured:
        return configured
    database = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not database or database == ":memory:":
        return os.path.join(current_app.instance_path, "audit-pending.db")
    return os.path.abspath(database) + ".audit-pending"


def _make_store() -> Store:
    engine = db.engine
    if engine.dialect.name != "sqlite":
        # each statement commits by itself (bulk.apart): an event is one round trip
        return Store(bulk.apart, "%s")
    path = spool_path()
    sync = "FULL" if current_app.config.get("AUDIT_PENDING_SYNC") == "full" else "NORMAL"
    local = threading.local()

    @contextmanager
    def connect() -> Iterator[sqlite3.Connection]:
        # One connection per thread, kept: opening one costs more than the insert.
        connection = getattr(local, "connection", None)
        if connection is None:
            if not os.path.exists(path):
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            # NORMAL (default): as durable as the database's own commits (survives the
            # process, not a power loss), no fsync. FULL: on disk before the read's answer
            # is sent, an fsync a read (about 9 ms here: a pull of 40 pages waits 0.4 s).
            connection.execute(f"PRAGMA synchronous={sync}")
            connection.execute(_SPOOL_DDL)
            connection.commit()
            local.connection = connection
        yield connection

    return Store(connect, "?")
