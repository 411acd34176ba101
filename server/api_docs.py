"""Schemas of what the API answers, for the OpenAPI document.

The endpoints build their JSON by hand on the hot paths (push and pull answer hundreds of
records), so these schemas document the answers without serialising them; the
schemathesis test (tests/api/test_openapi_fuzz.py) checks every answer against them, so
document and server cannot drift apart. Records allow extra keys (a newer server may add
some); envelopes and errors do not.
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from sync.model import REGISTRATION_STATUSES

_RESULT_STATUSES = ("applied", "merged", "conflict", "duplicate", "rejected")


class Open(Schema):
    """A shape that may grow keys later: clients must ignore keys they do not know."""

    class Meta:
        unknown = INCLUDE


class ErrorSchema(Schema):
    """Every 4xx and 5xx answer."""

    error = fields.String(required=True, metadata={"description": "machine code"})
    message = fields.String(required=True, metadata={"description": "Dutch, shown as is"})
    errors = fields.Dict(metadata={"description": "field → messages (nested by location "
                                                  "for query and path errors)"})
    rev = fields.Integer(metadata={"description": "409: the record's current rev"})


class TeamRef(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class UserSchema(Open):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(
        ["agent", "teamleider", "beheerder"]))
    team = fields.Nested(TeamRef, required=True, allow_none=True)


class DeviceSchema(Open):
    id = fields.String(required=True)
    name = fields.String(required=True)
    created_at = fields.DateTime(required=True, allow_none=True)
    last_login_at = fields.DateTime(required=True, allow_none=True)
    last_sync_at = fields.DateTime(required=True, allow_none=True)
    revoked = fields.Boolean(required=True)
    user = fields.String(metadata={"description": "in the device list: the user name"})


class LoginReply(Schema):
    token = fields.String(required=True)
    device_id = fields.String(required=True)
    device_key = fields.String(required=True)
    expires_at = fields.DateTime(required=True)
    user = fields.Nested(UserSchema, required=True)
    devices = fields.List(fields.Nested(DeviceSchema), required=True)


class MeReply(UserSchema):
    device_id = fields.String(required=True)
    devices = fields.List(fields.Nested(DeviceSchema), required=True)


class DevicesReply(Schema):
    devices = fields.List(fields.Nested(DeviceSchema), required=True)


class OkReply(Schema):
    ok = fields.Boolean(required=True)


class ConflictValue(Open):
    value = fields.Raw(required=True, allow_none=True)
    author = fields.String(required=True, allow_none=True)
    device = fields.String(required=True, allow_none=True)
    hlc = fields.String(required=True, allow_none=True)


class ConflictSchema(Open):
    id = fields.String(required=True)
    field = fields.String(required=True, metadata={
        "description": "a path: `street`, `parties[p1]` or `parties[p1].licence_plate`"})
    values = fields.List(fields.Nested(ConflictValue), required=True)
    status = fields.String(required=True, validate=validate.OneOf(["open", "resolved"]))
    opened_at = fields.String(required=True)


class RecordSchema(Open):
    """A registration as pull and push send it (GET adds its history)."""

    id = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(["vor", "pdo", "gtpa"]))
    status = fields.String(required=True, validate=validate.OneOf(REGISTRATION_STATUSES))
    rev = fields.Integer(required=True)
    team = fields.Integer(required=True)
    created_by = fields.String(required=True)
    data = fields.Dict(required=True)
    conflicts = fields.List(fields.Nested(ConflictSchema), required=True)
    amendments = fields.List(fields.Dict(), required=True)
    review = fields.Dict(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class HistoryEntry(Open):
    rev = fields.Integer(required=True)
    author = fields.String(required=True)
    device = fields.String(required=True, allow_none=True)
    at = fields.DateTime(required=True)
    kind = fields.String(required=True)
    hlc = fields.String(required=True, allow_none=True)
    set = fields.Dict(required=True)


class LocationSchema(Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    accuracy = fields.Float(required=True, allow_none=True)
    rd_x = fields.Float(required=True, allow_none=True)
    rd_y = fields.Float(required=True, allow_none=True)


class DetailSchema(RecordSchema):
    history = fields.List(fields.Nested(HistoryEntry), required=True)
    location = fields.Nested(LocationSchema, required=True, allow_none=True)


class ListReply(Schema):
    items = fields.List(fields.Nested(RecordSchema), required=True)
    cursor = fields.String(required=True, allow_none=True)
    more = fields.Boolean(required=True)


class PushResult(Schema):
    op_id = fields.String(required=True, allow_none=True)
    record_id = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(_RESULT_STATUSES))
    rev = fields.Integer(required=True)
    record = fields.Nested(RecordSchema)
    conflicts = fields.List(fields.String())
    errors = fields.Dict()
    reason = fields.String()
    amendment = fields.String()
    first_status = fields.String(validate=validate.OneOf(_RESULT_STATUSES))


class PushReply(Schema):
    results = fields.List(fields.Nested(PushResult), required=True)
    hlc = fields.String(required=True)


class Change(Schema):
    entity = fields.String(required=True, validate=validate.OneOf(
        ["registration", "notice", "area", "hotspot"]))
    id = fields.String(required=True)
    op = fields.String(required=True, validate=validate.OneOf(["upsert", "remove"]))
    rev = fields.Integer(required=True, allow_none=True)
    record = fields.Dict(required=True, allow_none=True)


class PullReply(Schema):
    changes = fields.List(fields.Nested(Change), required=True)
    cursor = fields.String(required=True)
    more = fields.Boolean(required=True)
    remaining = fields.Integer(required=True)
    reset = fields.Boolean()
    hlc = fields.String(required=True)
    schema_version = fields.Integer(required=True)


class AttachmentReply(Schema):
    sha256 = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)


class FormsReply(Open):
    schema_version = fields.Integer(required=True)
    forms = fields.List(fields.Dict(), required=True)
    limits = fields.Dict(required=True)
