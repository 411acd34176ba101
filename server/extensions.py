"""Flask extensions, created unbound so blueprints can import them."""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import JSONProvider
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
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
