"""HTTP for sync: translates requests to the push and pull modules."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from marshmallow import Schema, fields, validate

from server import access
from server.auth.tokens import current, require_auth
from server.errors import ApiError
from server.jsonbody import Blueprint, json_body
from server.sync_api import pull as pull_module
from server.sync_api import push as push_module
from sync import SCHEMA_VERSION

blp = Blueprint("sync", __name__, url_prefix="/api/sync", description="Synchronisatie")


class OpSchema(Schema):
    op_id = fields.String(required=True, metadata={"description": "UUID from the device"})
    record_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(["vor", "pdo", "gtpa"]))
    base_rev = fields.Integer(required=True)
    set = fields.Dict(required=True)
    hlc = fields.String(required=True, metadata={"description": "<ms>-<counter>-<device_id>"})


class PushSchema(Schema):
    schema_version = fields.Integer(load_default=SCHEMA_VERSION)
    device_id = fields.String(load_default=None, allow_none=True)
    ops = fields.List(fields.Raw(), required=True,
                      metadata={"description": "ops; each validated on its own (OpSchema)"})


_PUSH_KEYS = frozenset(PushSchema().fields)


class PullArgs(Schema):
    since = fields.String(load_default=None)
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


def _json_body() -> dict[str, Any]:
    body = json_body() if request.is_json else None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "De inhoud moet een JSON-object zijn")
    return body


def _envelope_errors(body: dict[str, Any]) -> dict[str, list[str]]:
    """What ``PushSchema`` describes, checked by hand: ops are checked one by one later."""
    errors: dict[str, list[str]] = {k: ["Onbekend veld"] for k in sorted(set(body) - _PUSH_KEYS)}
    if "ops" not in body:
        errors["ops"] = ["Verplicht veld"]
    elif not isinstance(body["ops"], list):
        errors["ops"] = ["Moet een lijst met operaties zijn"]
    version = body.get("schema_version", SCHEMA_VERSION)
    if type(version) is not int:
        errors["schema_version"] = ["Moet een geheel getal zijn"]
    if not isinstance(body.get("device_id", ""), str | None):
        errors["device_id"] = ["Moet tekst zijn"]
    return errors


@blp.route("/push", methods=["POST"])
@require_auth(*access.WRITER_ROLES)
@blp.doc(requestBody={"content": {"application/json": {"schema": PushSchema}}})
def push():  # type: ignore[no-untyped-def]
    """Push a batch of ops; one result per op, in order."""
    principal = current()
    body = _json_body()
    errors = _envelope_errors(body)
    if errors:
        raise ApiError(422, errors=errors)
    version = body.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ApiError(400, "schema_version", "Deze app-versie past niet bij de server; werk bij",
                       errors={"schema_version": [f"Verwacht {SCHEMA_VERSION}"]})
    if body.get("device_id") not in (None, principal.device.id):
        raise ApiError(400, "device_mismatch", "device_id hoort niet bij deze sessie",
                       errors={"device_id": ["Komt niet overeen met het token"]})
    ops = body["ops"]
    if len(ops) > current_app.config["PUSH_MAX_OPS"]:
        raise ApiError(413, "too_many_ops",
                       f"Maximaal {current_app.config['PUSH_MAX_OPS']} operaties per keer")
    return push_module.push(principal, ops, current_app.extensions["wijkpost_clock"])


@blp.route("/pull", methods=["GET"])
@require_auth(*access.READER_ROLES)
@blp.arguments(PullArgs, location="query")
def pull(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Changes of the caller's own team after the cursor (not for a beheerder)."""
    limit = min(args["limit"], current_app.config["PULL_MAX_LIMIT"])
    reply = pull_module.pull(current(), args["since"], limit)
    reply["schema_version"] = SCHEMA_VERSION
    reply["hlc"] = str(current_app.extensions["wijkpost_clock"].now())
    return reply
