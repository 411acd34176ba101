"""Flask extensions, created unbound so blueprints can import them."""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import JSONProvider
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def json_dumps(value: Any) -> str:
    """orjson: the sync path writes several KB of JSON per op (data, merge state, history)."""
    return orjson.dumps(value).decode()


class OrjsonProvider(JSONProvider):
    """Flask's JSON responses through orjson (pull pages are large)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, default=str, option=orjson.OPT_NON_STR_KEYS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """SQLite: WAL for concurrent readers, and we issue BEGIN ourselves (see below)."""
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn) -> None:  # type: ignore[no-untyped-def]
    """Take SQLite's write lock at BEGIN: writers queue instead of failing with 'locked'.

    It also gives the change sequence its never-skip guarantee on SQLite: transactions
    commit in the order they allocate positions.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
