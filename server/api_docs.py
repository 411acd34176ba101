"""Schemas of what the API answers, for the OpenAPI document.

The endpoints build their JSON by hand on the hot paths (push and pull answer hundreds of
records), so these schemas document the answers without serialising them; the
schemathesis test (tests/api/test_openapi_fuzz.py) checks every answer against them, so
document and server cannot drift apart. Records allow extra keys (a newer server may add
some); envelopes and errors do not.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
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
    author_name = fields.String(allow_none=True, metadata={
        "description": "GET and list only: the author's display name"})
    device_name = fields.String(allow_none=True, metadata={
        "description": "GET and list only: the device's name"})


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
    created_by_name = fields.String(metadata={
        "description": "GET and list only: the author's display name"})
    data = fields.Dict(required=True)
    conflicts = fields.List(fields.Nested(ConflictSchema), required=True)
    amendments = fields.List(fields.Dict(), required=True)
    review = fields.Dict(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class HistoryEntry(Open):
    rev = fields.Integer(required=True)
    author = fields.String(required=True)
    author_name = fields.String(required=True, allow_none=True)
    device = fields.String(required=True, allow_none=True)
    device_name = fields.String(required=True, allow_none=True)
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


class ListRow(RecordSchema):
    submitted_at = fields.DateTime(required=True, allow_none=True)
    created_by_name = fields.String(required=True)


class ListReply(Schema):
    items = fields.List(fields.Nested(ListRow), required=True)
    cursor = fields.String(required=True, allow_none=True)
    more = fields.Boolean(required=True)
    waiting_count = fields.Integer(required=True, metadata={
        "description": "submitted registrations of the listed teams, waiting for review"})


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


class Person(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)


class SubstituteReviewer(Person):
    team = fields.Nested(TeamRef, required=True)


class TeamEntry(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    leaders = fields.List(fields.Nested(Person), required=True)
    substitute = fields.Nested(SubstituteReviewer, required=True, allow_none=True)


class TeamsReply(Schema):
    teams = fields.List(fields.Nested(TeamEntry), required=True)


class TeamMember(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(["agent", "teamleider"]))
    active = fields.Boolean(required=True)


class TeamReviewer(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    team = fields.Nested(TeamRef, required=True, allow_none=True)


class TeamDevice(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    username = fields.String(required=True, metadata={"description": "its owner"})


class TeamMembersReply(Schema):
    team = fields.Nested(TeamRef, required=True, allow_none=True)
    members = fields.List(fields.Nested(TeamMember), required=True)
    reviewers = fields.List(fields.Nested(TeamReviewer), required=True, metadata={
        "description": "teamleiders of other teams named the team's substitute reviewers"})
    devices = fields.List(fields.Nested(TeamDevice), required=True)


class VapidKeyReply(Schema):
    public_key = fields.String(required=True)


class SubscriptionReply(Schema):
    subscribed = fields.Boolean(required=True)
    created_at = fields.DateTime(allow_none=True)


class GeoJSON(Open):
    """A GeoJSON Feature (an area: ``properties`` name, kind, reason, team, validity) or a
    FeatureCollection of them."""

    type = fields.String(required=True, validate=validate.OneOf(
        ["Feature", "FeatureCollection"]))
    id = fields.Integer()
    rev = fields.Integer()
    geometry = fields.Dict()
    properties = fields.Dict()
    features = fields.List(fields.Dict())


class NoticeSchema(Open):
    id = fields.Integer(required=True)
    rev = fields.Integer(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    area_id = fields.Integer(required=True, allow_none=True)
    point = fields.Dict(required=True, allow_none=True)
    radius_m = fields.Float(required=True, allow_none=True)
    priority = fields.Integer(required=True)
    valid_from = fields.DateTime(required=True)
    valid_until = fields.DateTime(required=True)
    send_at = fields.DateTime(required=True)
    teams = fields.List(fields.Integer(), required=True)
    sends_accepted = fields.Integer(metadata={"description": "beheerder: sends the push "
                                                             "services accepted"})


class NoticeList(Schema):
    items = fields.List(fields.Nested(NoticeSchema), required=True)


class NoticePreview(Schema):
    teams = fields.List(fields.Nested(TeamRef), required=True)
    subscribed_devices = fields.Integer(required=True)


class BriefingItem(Open):
    kind = fields.String(required=True, validate=validate.OneOf(
        ["notice", "area", "hotspot", "registration"]))
    id = fields.Raw(required=True)
    title = fields.String(required=True)
    priority = fields.Integer(required=True)
    distance_m = fields.Float(required=True)


class BriefingReply(Schema):
    items = fields.List(fields.Nested(BriefingItem), required=True)


class AddressReply(Open):
    street = fields.String(required=True, allow_none=True)
    house_number = fields.String(required=True, allow_none=True)
    postcode = fields.String(required=True, allow_none=True)
    place = fields.String(required=True, allow_none=True)


class OfflineTilesReply(Schema):
    max_bytes = fields.Integer(required=True)
    min_zoom = fields.Integer(required=True)
    max_zoom = fields.Integer(required=True)


# -- what each operation answers ------------------------------------------------------------

_BINARY = {"schema": {"type": "string", "format": "binary"}}
PHOTO = {"image/jpeg": _BINARY, "image/png": _BINARY, "image/webp": _BINARY}
EXPORT = {"text/csv": _BINARY, "application/zip": _BINARY,
          "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}

# (method, path) → {status: schema (JSON) or a content map}. Every operation must have a
# row: ResponsesPlugin refuses to document one without it.
SUCCESS: dict[tuple[str, str], dict[int, Any]] = {
    ("POST", "/api/auth/login"): {200: LoginReply},
    ("POST", "/api/auth/logout"): {200: OkReply},
    ("GET", "/api/me"): {200: MeReply},
    ("GET", "/api/devices"): {200: DevicesReply},
    ("POST", "/api/devices/{device_id}/revoke"): {200: DeviceSchema},
    ("PATCH", "/api/devices/{device_id}"): {200: DeviceSchema},
    ("GET", "/api/forms"): {200: FormsReply},
    ("GET", "/api/registrations"): {200: ListReply},
    ("GET", "/api/registrations/{record_id}"): {200: DetailSchema},
    ("POST", "/api/registrations/{record_id}/review"): {200: DetailSchema},
    ("POST", "/api/registrations/{record_id}/conflicts/{conflict_id}/resolve"):
        {200: DetailSchema},
    ("POST", "/api/registrations/{record_id}/amendments/{amendment_id}/accept"):
        {200: DetailSchema},
    ("POST", "/api/registrations/{record_id}/amendments/{amendment_id}/file"):
        {200: DetailSchema},
    ("POST", "/api/sync/push"): {200: PushReply},
    ("GET", "/api/sync/pull"): {200: PullReply},
    ("PUT", "/api/attachments/{sha256}"): {200: AttachmentReply, 201: AttachmentReply},
    ("GET", "/api/attachments/{sha256}"): {200: PHOTO},
    ("GET", "/api/teams"): {200: TeamsReply},
    ("PUT", "/api/teams/{team_id}/substitute"): {200: TeamEntry},
    ("GET", "/api/team/members"): {200: TeamMembersReply},
    ("GET", "/api/export"): {200: EXPORT},
    ("GET", "/api/push/vapid-public-key"): {200: VapidKeyReply},
    ("GET", "/api/push/subscriptions"): {200: SubscriptionReply},
    ("POST", "/api/push/subscriptions"): {201: SubscriptionReply},
    ("DELETE", "/api/push/subscriptions"): {200: SubscriptionReply},
    ("GET", "/api/areas"): {200: GeoJSON},
    ("POST", "/api/areas"): {201: GeoJSON},
    ("GET", "/api/areas/{area_id}"): {200: GeoJSON},
    ("PATCH", "/api/areas/{area_id}"): {200: GeoJSON},
    ("PUT", "/api/areas/{area_id}"): {200: GeoJSON},
    ("DELETE", "/api/areas/{area_id}"): {204: None},
    ("GET", "/api/notices"): {200: NoticeList},
    ("POST", "/api/notices"): {201: NoticeSchema},
    ("POST", "/api/notices/preview"): {200: NoticePreview},
    ("GET", "/api/notices/{notice_id}"): {200: NoticeSchema},
    ("PATCH", "/api/notices/{notice_id}"): {200: NoticeSchema},
    ("PUT", "/api/notices/{notice_id}"): {200: NoticeSchema},
    ("DELETE", "/api/notices/{notice_id}"): {200: NoticeSchema},
    ("GET", "/api/briefing"): {200: BriefingReply},
    ("GET", "/api/tiles/{z}/{x}/{y}.png"): {200: {"image/png": _BINARY}},
    ("GET", "/api/tiles/offline"): {200: OfflineTilesReply},
    ("GET", "/api/geocode/reverse"): {200: AddressReply},
}

# Errors every operation may answer; then those of some operations only.
_COMMON_ERRORS = (400, 401, 403, 413, 422)
_MORE_ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/api/auth/login"): (429, 503),
    ("POST", "/api/registrations/{record_id}/review"): (409,),
    ("POST", "/api/registrations/{record_id}/conflicts/{conflict_id}/resolve"): (409,),
    ("POST", "/api/registrations/{record_id}/amendments/{amendment_id}/accept"): (409,),
    ("POST", "/api/registrations/{record_id}/amendments/{amendment_id}/file"): (409,),
    ("PUT", "/api/attachments/{sha256}"): (415,),
    ("GET", "/api/export"): (405, 429),
    ("GET", "/api/push/vapid-public-key"): (503,),
    ("POST", "/api/push/subscriptions"): (409, 503),
    ("DELETE", "/api/areas/{area_id}"): (409,),
    ("GET", "/api/tiles/{z}/{x}/{y}.png"): (502, 504),
    ("GET", "/api/geocode/reverse"): (502, 504),
}


class ResponsesPlugin(BasePlugin):
    """Documents each operation's answers from SUCCESS and its errors (as ErrorSchema)."""

    def init_spec(self, spec: APISpec) -> None:
        self.spec = spec

    def _schema(self, schema: type[Schema]) -> dict[str, Any]:
        # The marshmallow plugin registers it (and what it nests) once, and gives the ref.
        plugin = next(p for p in self.spec.plugins if isinstance(p, MarshmallowPlugin))
        return plugin.converter.resolve_nested_schema(schema)  # type: ignore[union-attr]

    def operation_helper(self, path: str | None = None,
                         operations: dict[str, dict[str, Any]] | None = None,
                         **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            key = (method.upper(), path or "")
            if key not in SUCCESS:
                raise KeyError(f"{key}: document its answer in server/api_docs.SUCCESS")
            responses = operation.setdefault("responses", {})
            for status, answer in SUCCESS[key].items():
                documented: dict[str, Any] = {"description": HTTPStatus(status).phrase}
                if answer is not None:  # None: no body (204)
                    documented["content"] = (
                        {"application/json": {"schema": self._schema(answer)}}
                        if isinstance(answer, type) else answer)
                responses[str(status)] = documented
            errors = _COMMON_ERRORS + _MORE_ERRORS.get(key, ())
            if "{" in (path or ""):
                errors += (404,)
            for status in errors:
                responses.setdefault(str(status), HTTPStatus(status).name)
            responses.pop("default", None)
