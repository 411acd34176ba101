"""Which transactions only read: those of GET, HEAD and OPTIONS requests.

A read must never queue behind a push. On SQLite a read request's transaction begins
deferred (a snapshot under WAL, no write lock) while every other transaction takes the
write lock at BEGIN (``server.sqlite``); on PostgreSQL it is declared READ ONLY, so a read
endpoint that tried to write (or lock a row) would fail loudly in the tests instead of
silently waiting for a writer's locks. Reads audit through ``audit.record_read``, which
needs no lock of the database.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from server.extensions import db

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def read_only() -> bool:
    return has_request_context() and request.method in READ_METHODS


def declare_read_only(engine: Engine) -> None:
    """PostgreSQL: read requests' transactions are READ ONLY."""

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if read_only():
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")


def end_reads(app: Flask) -> None:
    """End a read request's transaction with the request: an open snapshot would hold
    back SQLite's checkpoints, and a session that outlives the request (one app context
    around several requests, as in tests) would keep reading that old snapshot."""

    @app.teardown_request
    def _end(_exc: BaseException | None) -> None:
        # only a session the request used (a briefing reads without one)
        if request.method in READ_METHODS and db.session.registry.has():
            db.session.rollback()
