"""SQLite as the server's embedded database: connection settings and WAL checkpoints.

Checkpoints (copying the write-ahead log back into the database file, with an fsync)
would otherwise run inside whichever commit crosses SQLite's threshold: a push that
happens to trigger one waits several milliseconds longer. A thread of the server process
checkpoints instead, off the request path; the threshold stays as a backstop, raised so it
only acts when that thread falls far behind.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from server import shapes
from server.transactions import read_only

CHECKPOINT_INTERVAL_S = 0.5
# A log larger than this is restarted (see _checkpoint).
RESTART_BYTES = 32 * 1024 * 1024
# 8 KB pages hold two registrations (about 3 KB each with their merge state) where 4 KB
# pages hold one: half the pages to write per push.
PAGE_SIZE = 8192
# Pages the log may grow to (about 200 MB at 8 KB) before a commit checkpoints by itself.
BACKSTOP_PAGES = 25_000


def configure(engine: Engine, background_checkpoints: bool) -> None:
    """Settings for every connection of ``engine``; start checkpointing its file."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (see _begin_immediate); WAL lets readers run beside a writer.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Only a new, empty database takes it (before WAL is switched on); see PAGE_SIZE.
        cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if background_checkpoints:
            cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cursor.close()
        # the exact test behind the review list's area filter (server.shapes)
        dbapi_connection.create_function("wijkpost_in_shape", 3, shapes.in_shape,
                                         deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        """Writers take SQLite's write lock at BEGIN: they queue instead of failing with
        'locked', and the change sequence gets its never-skip guarantee (transactions
        commit in the order they allocate positions). A read request's transaction begins
        deferred: a WAL snapshot that never waits for a writer (server.transactions).
        """
        conn.exec_driver_sql("BEGIN" if read_only() else "BEGIN IMMEDIATE")

    path = engine.url.database
    if background_checkpoints and path and path != ":memory:":
        _checkpointer.add(os.path.abspath(path))


class _Checkpointer:
    """One daemon thread that checkpoints every registered database file in turn."""

    def __init__(self) -> None:
        self._paths: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, path: str) -> None:
        with self._lock:
            self._paths.add(path)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        connections: dict[str, sqlite3.Connection] = {}
        while True:
            time.sleep(CHECKPOINT_INTERVAL_S)
            with self._lock:
                paths = set(self._paths)
            for path in paths:
                try:
                    _checkpoint(connections, path)
                except (sqlite3.Error, OSError):
                    # Gone (a removed test database, or its log removed between two
                    # checks) or unreadable: stop watching it.
                    gone = connections.pop(path, None)
                    if gone is not None:
                        gone.close()
                    with self._lock:
                        self._paths.discard(path)


def _checkpoint(connections: dict[str, sqlite3.Connection], path: str) -> None:
    if not os.path.exists(path):
        raise sqlite3.OperationalError(f"{path} is gone")
    if not os.path.exists(path + "-wal"):
        return
    conn = connections.get(path)
    if conn is None:
        # mode=rw: never create a database that was removed meanwhile.
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=100")
        connections[path] = conn
    # PASSIVE copies what it can without waiting for readers or writers.
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    if os.path.getsize(path + "-wal") > RESTART_BYTES:
        # Under a steady stream of commits the log is never fully copied between two of
        # them, so it would only grow (and appending to a growing file is slower than
        # overwriting). RESTART copies the last frames while writers wait briefly, and the
        # next commit writes from the start of the log again.
        conn.execute("PRAGMA wal_checkpoint(RESTART)")


_checkpointer = _Checkpointer()
