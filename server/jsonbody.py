"""Request bodies: capped before reading, parsed once with orjson, refused whole when unsound.

Every reader of a body (the flask-smorest/webargs schemas, ``request.get_json``, the login
rate-limit key, the push envelope) sees the one cached parse, so no two parsers can
disagree about the same bytes: a body one of them refused could otherwise pass another.
"""

from __future__ import annotations

import re
from typing import Any

import flask_smorest
import orjson
from flask import Flask, Request, current_app, request
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from server.errors import ApiError

# The deepest body a client sends legitimately is a push: body → ops → op → set → item →
# location, six levels. 32 leaves room for any later shape and keeps every recursive reader
# (marshmallow, orjson.dumps with its own limit of 254) far from its limit. A push is
# bounded by orjson's own 1,024 levels instead: each value in it is judged per op by its
# field's check, which accepts no more nesting than the field's shape, before anything
# else reads it; so a deep value rejects only its op, and the walk over every container
# of the largest bodies is spared.
MAX_DEPTH = 32
# C0 control characters except tab, LF and CR, and DEL: NUL cannot be stored in PostgreSQL
# text, and ESC and friends rewrite a terminal or a log line that shows the value.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Endpoints whose values are checked per op (server/registrations/validation.py), strings
# and nesting alike, so one bad value is rejected on its own and never blocks the rest of a
# device's outbox.
PER_OP_VALUES = frozenset({"sync.push"})
# Endpoints that take raw bytes under a cap of their own (ATTACHMENT_MAX_BYTES).
RAW_BODY = frozenset({"attachments.put_attachment"})

_UNREAD = object()
_CONTAINERS = (dict, list)


def _invalid(message: str, errors: dict[str, list[str]] | None = None) -> ApiError:
    return ApiError(400, "invalid_json", message, errors=errors)


def check(value: Any) -> None:
    """Refuse nesting past ``MAX_DEPTH`` and control characters."""
    if _too_deep(value):
        raise _invalid(f"De inhoud is te diep genest (hoogstens {MAX_DEPTH} niveaus)")
    _check_strings(value)


def _too_deep(value: Any) -> bool:
    """Level by level, containers only, no recursion (a push of 100 ops: about 0.4 ms)."""
    level = [value] if type(value) in _CONTAINERS else []
    depth = 1
    while level:
        if depth > MAX_DEPTH:
            return True
        below: list[Any] = []
        keep = below.append
        for node in level:
            for item in node.values() if type(node) is dict else node:
                if type(item) in _CONTAINERS:
                    keep(item)
        level, depth = below, depth + 1
    return False


def _check_strings(value: Any) -> None:
    """Every key and string value; the error names the path of the first bad one."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if type(node) is str:
            if CONTROL.search(node):
                raise _invalid("Een waarde bevat ongeldige tekens",
                               {_name(path): ["Bevat ongeldige tekens"]})
        elif type(node) is dict:
            for key, item in node.items():
                if CONTROL.search(key):
                    raise _invalid("Een veldnaam bevat ongeldige tekens",
                                   {_name(path): ["Veldnaam bevat ongeldige tekens"]})
                stack.append((item, (*path, key)))
        elif type(node) is list:
            stack.extend((item, (*path, index)) for index, item in enumerate(node))


def _name(path: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in path) or "_body"


def parse(raw: bytes, per_op: bool = False) -> Any:
    """orjson refuses invalid UTF-8, lone surrogates, NaN and nesting past 1024 itself;
    ``check`` the rest, unless the endpoint checks its values per op."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _invalid("De inhoud is geen geldige JSON") from exc
    if not per_op:
        check(value)
    return value


class JsonRequest(Request):
    """A request whose JSON body is parsed once, by ``parse``, whoever asks first."""

    _json_body: Any = _UNREAD

    def json_body(self) -> Any:
        if self._json_body is _UNREAD:
            try:
                self._json_body = self._parse_body()
            except ApiError as exc:
                self._json_body = exc  # a refusal is remembered too: never parsed twice
        if isinstance(self._json_body, ApiError):
            raise self._json_body
        return self._json_body

    def _parse_body(self) -> Any:
        raw = self.get_data(cache=True)
        cap = self.max_content_length
        # A chunked body is cut off at the cap, not refused: a cut-off body is too large.
        if self.content_length is None and cap is not None and len(raw) >= cap:
            raise _too_large(cap)
        return parse(raw, per_op=self.endpoint in PER_OP_VALUES)

    def get_json(self, force: bool = False, silent: bool = False,
                 cache: bool = True) -> Any:
        if not (force or self.is_json):
            return None if silent else self.on_json_loading_failed(None)
        try:
            return self.json_body()
        except ApiError:
            if silent:
                return None
            raise


def json_body() -> Any:
    """The current request's body, parsed and checked once (400 ``invalid_json``)."""
    return request.json_body()  # type: ignore[attr-defined]


class JsonParser(FlaskParser):
    """webargs reads the request's one parse instead of parsing with ``json`` again."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return req.json_body()  # type: ignore[attr-defined]


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest blueprint whose ``arguments`` use ``JsonParser``."""

    ARGUMENTS_PARSER = JsonParser()


def _cap_body() -> None:
    """Refuse a body over its cap before a byte of it is read or parsed (413)."""
    if request.endpoint in RAW_BODY:
        return
    config = current_app.config
    cap = config["PUSH_MAX_BYTES"] if request.endpoint in PER_OP_VALUES else \
        config["JSON_MAX_BYTES"]
    # Also bounds a chunked body without Content-Length: reading past it raises 413.
    request.max_content_length = cap
    if request.content_length is not None and request.content_length > cap:
        raise _too_large(cap)


def _too_large(cap: int) -> ApiError:
    return ApiError(413, "too_large", f"Het verzoek is te groot (hoogstens {cap // 1024} kB)")


def init_app(app: Flask) -> None:
    app.request_class = JsonRequest
    app.before_request(_cap_body)
