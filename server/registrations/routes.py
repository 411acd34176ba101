"""Registration endpoints: forms, list, detail with history, review, conflict resolution."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select, tuple_

from server import access, audit, narrowing, search, spatial
from server.areas import store as areas
from server.auth.tokens import Principal, current, require_auth
from server.errors import ApiError
from server.extensions import db
from server.jsonbody import CONTROL, Blueprint
from server.models import Area, Device, Registration, Revision, User, iso, utcnow
from server.registrations import names, store, validation
from server.registrations.forms import forms_document
from sync.merge import NotAllowed, StaleRevision, decide_amendment, resolve, review
from sync.model import REGISTRATION_STATUSES
from sync.paths import as_set, parse_item_key

_RECORD_ID = re.compile(r"[0-9a-f-]{36}")  # fullmatch: ``$`` accepts a final newline
blp = Blueprint("registrations", __name__, url_prefix="/api", description="Registraties")


def _no_controls(value: str) -> bool:
    # Shown to the officer and in the history: newlines and tabs yes, NUL or ESC never.
    if CONTROL.search(value):
        raise ValidationError("Bevat ongeldige tekens")
    return True


class ListArgs(Schema):
    status = fields.String(validate=validate.OneOf(REGISTRATION_STATUSES))
    type = fields.String(validate=validate.OneOf(["vor", "pdo", "gtpa"]))
    created_by = fields.String(validate=validate.Length(max=64))
    conflicts = fields.Boolean()
    date_from = fields.DateTime(data_key="from")
    date_to = fields.DateTime(data_key="to")
    team = fields.Integer(metadata={"description": "one team (own or substituted)"})
    q = fields.String(validate=[validate.Length(min=1, max=200), _no_controls], metadata={
        "description": "words that must all occur in the narrative, street or place, each "
                       "as the start of a word (jans finds Jansen), case and accents "
                       "ignored; a word with punctuation is a phrase of its parts (audited: "
                       "the terms may name a person)"})
    area = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1,
                                                  error="Gebied niet gevonden"),
                          error_messages={"invalid": "Een gebied-id is een geheel getal"},
                          metadata={
        "description": "an area id of /api/areas the caller sees: registrations whose "
                       "location lies in it or on its boundary (without a location: none)"})
    order = fields.String(load_default="newest",
                          validate=validate.OneOf(["newest", "waiting"]), metadata={
        "description": "newest: by creation, newest first; waiting: the review queue, "
                       "submitted registrations by submission time, oldest first"})
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "return"]))
    comment = fields.String(load_default="", validate=[validate.Length(max=2000),
                                                       _no_controls])
    rev = fields.Integer(required=True, strict=True)


class RevSchema(Schema):
    rev = fields.Integer(required=True, strict=True)


class ResolveSchema(Schema):
    value = fields.Raw(required=True, allow_none=True)
    rev = fields.Integer(required=True, strict=True)


@blp.route("/forms", methods=["GET"])
@require_auth()
def forms():  # type: ignore[no-untyped-def]
    """The fields of every registration type, for the app to render and validate."""
    document = forms_document()
    config = current_app.config
    # What a client should respect before it sends (PROTOCOL.md §3).
    document["limits"] = {"max_ops_per_push": config["PUSH_MAX_OPS"],
                          "max_push_bytes": config["PUSH_MAX_BYTES"],
                          "max_group_items": config["MAX_GROUP_ITEMS"],
                          "max_conflict_values": config["MAX_CONFLICT_VALUES"],
                          "max_record_bytes": config["MAX_RECORD_BYTES"]}
    return document


def readable(principal: Principal, row: Registration | None, record_id: str,
             via: str) -> Registration:
    """The row if the caller may read it; otherwise 404 whether or not it exists, and the
    refused attempt is audited (``via``: the call that was refused)."""
    if row is None or row.team_id not in access.readable_teams(principal):
        audit.refused(principal.user.id, principal.device.id, "registration",
                      [record_id[:64]], via)
        raise ApiError(404, message="Registratie niet gevonden")
    return row


def _load(record_id: str, for_update: bool = False) -> Registration | None:
    """The row; ``for_update`` locks it for a decision (PostgreSQL: a push to the same
    record waits, SQLite's write lock already serialises them)."""
    return db.session.get(Registration, record_id.lower()[:36], with_for_update=for_update)


@blp.route("/registrations", methods=["GET"])
@require_auth(*access.READER_ROLES)
@blp.arguments(ListArgs, location="query")
def list_registrations(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The registrations of the caller's team (and of the teams a teamleider substitutes
    for; ``team`` narrows to one), newest first, cursor-paged. Not for a beheerder."""
    principal = current()
    teams = access.readable_teams(principal)
    if "team" in args:
        teams = teams & {args["team"]}
    narrowings = []
    if "area" in args:
        area = db.session.get(Area, args["area"])
        if area is None or not areas.visible_to(principal.user, area):
            raise ApiError(422, "unknown_area", "Gebied niet gevonden",
                           errors={"area": ["Gebied niet gevonden"]})
        narrowings.append(spatial.area_narrowing(area, sorted(teams)))
    if "q" in args:
        narrowings.append(search.narrowing(args["q"]))
    query = store.views_query().add_columns(Registration.submitted_at)
    if "status" in args:
        query = query.where(Registration.status == args["status"])
    if "type" in args:
        query = query.where(Registration.type == args["type"])
    if args.get("conflicts"):
        query = query.where(Registration.open_conflicts > 0)
    if "created_by" in args:
        query = query.where(User.username == args["created_by"])
    if "date_from" in args:
        query = query.where(Registration.created_at >= args["date_from"])
    if "date_to" in args:
        query = query.where(Registration.created_at < args["date_to"])
    waiting = args["order"] == "waiting"
    if waiting:
        # the queue: what waits for a decision, by submission time
        if "status" not in args:
            query = query.where(Registration.status == "submitted")
        query = query.where(Registration.submitted_at.is_not(None))
        key, direction = Registration.submitted_at, "asc"
    else:
        key, direction = Registration.created_at, "desc"
    query = narrowing.apply(query, sorted(teams), narrowings)
    if args.get("cursor"):
        at, last_id = _decode_cursor(args["cursor"])
        # A row value: both databases seek the index to the cursor, where the same test
        # spelt out with OR walks the team from its first row on every page.
        position, after = tuple_(key, Registration.id), tuple_(at, last_id)
        query = query.where(position > after if waiting else position < after)
    limit = args["limit"]
    order = ((key.asc(), Registration.id.asc()) if direction == "asc"
             else (key.desc(), Registration.id.desc()))
    rows = list(db.session.execute(query.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    detail_: dict[str, Any] = {"via": "list"}
    if "q" in args:
        detail_["search"] = args["q"]  # the terms may name a person: who searched what
    if rows or "q" in args:
        audit.record_read([audit.Event("read", principal.user.id, principal.device.id,
                                       "registration", [r.id for r in rows], detail_)])
    # counted as the queue lists them (its index holds submitted registrations only)
    waiting_count = db.session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.team_id.in_(sorted(teams)), Registration.status == "submitted",
            Registration.submitted_at.is_not(None)))
    items = [{**store.view_of(tuple(r)[:-1]), "submitted_at": iso(r.submitted_at)}
             for r in rows]
    names.name_views(items)
    return {
        "items": items,
        "cursor": _encode_cursor(rows[-1], waiting) if more else None,
        "more": more,
        "waiting_count": waiting_count,
    }


def _encode_cursor(row: Any, waiting: bool = False) -> str:
    at = row.submitted_at if waiting else row.created_at
    raw = json.dumps([at.isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, last_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(last_id, str) or not _RECORD_ID.fullmatch(last_id):
            raise ValueError(last_id)
        return datetime.fromisoformat(at), last_id
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "invalid_cursor", "Ongeldige cursor",
                       errors={"cursor": ["Ongeldige cursor"]}) from exc


def detail(row: Registration) -> dict[str, Any]:
    revisions = db.session.execute(
        select(Revision).where(Revision.registration_id == row.id).order_by(Revision.rev)
    ).scalars().all()
    users = store.usernames({row.created_by_id} | {r.author_id for r in revisions})
    body = store.row_view(row, users)
    body["history"] = [
        {"rev": r.rev, "author": users.get(r.author_id, ""), "device": r.device_id,
         "at": iso(r.at), "kind": r.kind, "hlc": r.hlc, "set": r.set,
         "op_id": r.op_id, "lost": r.lost or []}
        for r in revisions
    ]
    body["location"] = {"lat": row.lat, "lon": row.lon, "accuracy": row.accuracy,
                        "rd_x": row.rd_x, "rd_y": row.rd_y} if row.lat is not None else None
    names.name_views([body])
    return body


@blp.route("/registrations/<record_id>", methods=["GET"])
@require_auth(*access.READER_ROLES)
def get_registration(record_id: str):  # type: ignore[no-untyped-def]
    """One registration with its history, conflicts and amendments."""
    principal = current()
    row = readable(principal, _load(record_id), record_id, "detail")
    body = detail(row)
    audit.record_read([audit.Event("read", principal.user.id, principal.device.id,
                                   "registration", [row.id], {"via": "detail"})])
    return body


def _save_decision(principal: Principal, row: Registration, new: Any, kind: str,
                   changes_set: dict[str, Any], decision: dict[str, Any],
                   photos: Iterable[str] = (), location_changed: bool | None = None
                   ) -> dict[str, Any]:
    """Save a review or resolution; its audit entry holds ``decision`` (ids, field names,
    the outcome), never the values or the comment, which stay in the revision."""
    now = utcnow()
    batch = store.Batch()
    batch.attachment_links.update((row.id, sha) for sha in photos)
    if location_changed is None:
        location_changed = kind == "resolve"
    batch.save(new, row.team_id, row.created_by_id, now, False, location_changed, False)
    batch.revision(row.id, new.rev, principal.user.id, principal.device.id, now,
                   None, None, kind, changes_set)
    batch.flush()
    audit.record([audit.Event(kind, principal.user.id, principal.device.id, "registration",
                              [row.id], decision)])
    db.session.commit()
    db.session.expire_all()
    return detail(_load(row.id))  # type: ignore[arg-type]


@blp.route("/registrations/<record_id>/review", methods=["POST"])
@require_auth("teamleider")
@blp.arguments(ReviewSchema)
def review_registration(body: dict[str, Any], record_id: str):  # type: ignore[no-untyped-def]
    """Approve, or return with a comment; made on ``rev``, 409 when that is stale."""
    principal = current()
    row = readable(principal, _load(record_id, True), record_id, "review")
    if body["decision"] == "approve" and row.created_by_id == principal.user.id:
        # Four eyes: another teamleider of the team, or its substitute, approves. Returning
        # is no approval, so the author may still send their own registration back.
        raise ApiError(403, "own_registration",
                       "U kunt uw eigen registratie niet goedkeuren; een andere teamleider "
                       "(of de vervangend beoordelaar van het team) doet dat")
    if body["decision"] == "approve" and row.open_conflicts and body["rev"] == row.rev:
        # What is approved must be settled: an open conflict still holds two truths.
        raise ApiError(409, "open_conflicts",
                       "Er staan nog conflicten open; los die eerst op en keur dan goed",
                       rev=row.rev)
    try:
        new = review(store.to_record(row), body["decision"], body["comment"], body["rev"],
                     principal.user.username, principal.device.id, utcnow().isoformat())
    except StaleRevision as exc:
        raise ApiError(409, rev=exc.args[0]) from exc
    except NotAllowed as exc:
        raise ApiError(422, "not_allowed", str(exc)) from exc
    return _save_decision(principal, row, new, "review",
                          {"status": new.status, "comment": body["comment"]},
                          {"decision": body["decision"], "status": new.status})


def _all_own_devices(principal: Principal, conflict: dict[str, Any]) -> bool:
    """Whether every value of the conflict was written by the caller on their own devices
    (DESIGN.md §5: then that officer may settle it)."""
    values = conflict["values"]
    if not values or any(v.get("author") != principal.user.username for v in values):
        return False
    devices = {v.get("device") for v in values}
    if None in devices:
        return False
    owned = set(db.session.scalars(select(Device.id).where(
        Device.id.in_(sorted(devices)), Device.user_id == principal.user.id)))
    return owned == devices


_NOT_OWN_CONFLICT = ("Alleen de teamleider lost dit conflict op; u kunt alleen een conflict "
                     "tussen uw eigen apparaten zelf oplossen")


@blp.route("/registrations/<record_id>/conflicts/<conflict_id>/resolve", methods=["POST"])
@require_auth(*access.READER_ROLES)
@blp.arguments(ResolveSchema)
def resolve_conflict(body: dict[str, Any], record_id: str, conflict_id: str):  # type: ignore[no-untyped-def]
    """Settle an open conflict with the chosen value (one of the values, or a new one): a
    teamleider of the team, or an officer when every value came from their own devices."""
    principal = current()
    leader = principal.user.role == "teamleider"
    row = _load(record_id, True)
    if not leader and (row is None or row.team_id not in access.readable_teams(principal)):
        # an officer gets 403 for anything but their own conflict, as before this rule
        audit.refused(principal.user.id, principal.device.id, "registration",
                      [record_id[:64]], "resolve")
        raise ApiError(403, message=_NOT_OWN_CONFLICT)
    row = readable(principal, row, record_id, "resolve")
    record = store.to_record(row)
    conflict = next((c for c in record.conflicts if c["id"] == conflict_id), None)
    if not leader and (conflict is None or not _all_own_devices(principal, conflict)):
        raise ApiError(403, message=_NOT_OWN_CONFLICT)
    if conflict is None:
        raise ApiError(404, message="Conflict niet gevonden")
    chosen = body["value"]
    if isinstance(chosen, dict) and parse_item_key(conflict["field"]):
        # an item offered in the conflict carries its id and maybe a tombstone flag
        chosen = {k: v for k, v in chosen.items() if k not in ("id", "removed")}
    key, value = as_set(conflict["field"], chosen)
    errors = validation.validate_set(record.type, key, value)
    if errors:
        raise ApiError(422, errors=errors)
    # A new value may name a photo: linking it needs the same right as in a push.
    photos = store.photo_hashes(record.type, {key: value})
    missing = sorted(photos - access.photo_rights(principal.user, photos)) if photos else []
    if missing:
        raise ApiError(422, "missing_attachment", "Upload de foto eerst",
                       errors={"missing_attachment": missing})
    clock = current_app.extensions["wijkpost_clock"]
    try:
        new, changes_set = resolve(record, conflict_id, chosen, body["rev"],
                                   principal.user.username, principal.device.id, clock.now(),
                                   utcnow().isoformat())
    except StaleRevision as exc:
        raise ApiError(409, rev=exc.args[0]) from exc
    except NotAllowed as exc:
        raise ApiError(422, "not_allowed", str(exc)) from exc
    return _save_decision(principal, row, new, "resolve",
                          {**changes_set, "conflict": conflict_id},
                          {"conflict": conflict_id, "fields": sorted(changes_set)}, photos)


def _decide_amendment(body: dict[str, Any], record_id: str, amendment_id: str,
                      decision: str) -> dict[str, Any]:
    principal = current()
    row = readable(principal, _load(record_id, True), record_id, f"amendment_{decision}")
    record = store.to_record(row)
    amendment = next((a for a in record.amendments if a["id"] == amendment_id), None)
    if amendment is None:
        raise ApiError(404, message="Aanvulling niet gevonden")
    photos: set[str] = set()
    if decision == "accept":
        # the values are judged again: the rules may have changed since it came in
        errors: dict[str, list[str]] = {}
        for key, value in amendment["set"].items():
            errors.update(validation.validate_set(record.type, key, value))
        if errors:
            raise ApiError(422, errors=errors)
        photos = store.photo_hashes(record.type, amendment["set"])
    clock = current_app.extensions["wijkpost_clock"]
    try:
        new, changes_set = decide_amendment(record, amendment_id, decision, body["rev"],
                                            principal.user.username, principal.device.id,
                                            clock.now(), utcnow().isoformat())
    except StaleRevision as exc:
        raise ApiError(409, rev=exc.args[0]) from exc
    except NotAllowed as exc:
        raise ApiError(422, "not_allowed", str(exc)) from exc
    # revision kind and audit action: amendment_accept or amendment_file (a push that keeps
    # an amendment is audited as "amendment")
    return _save_decision(principal, row, new, f"amendment_{decision}",
                          {**changes_set, "amendment": amendment_id, "decision": decision},
                          {"amendment": amendment_id, "decision": decision,
                           "fields": sorted(changes_set)}, photos,
                          location_changed=decision == "accept")


@blp.route("/registrations/<record_id>/amendments/<amendment_id>/accept", methods=["POST"])
@require_auth("teamleider")
@blp.arguments(RevSchema)
def accept_amendment(body: dict[str, Any], record_id: str, amendment_id: str):  # type: ignore[no-untyped-def]
    """Take an amendment into the record: a new revision with its values, made on ``rev``
    (409 when stale); the amendment stays, marked ``accepted``."""
    return _decide_amendment(body, record_id, amendment_id, "accept")


@blp.route("/registrations/<record_id>/amendments/<amendment_id>/file", methods=["POST"])
@require_auth("teamleider")
@blp.arguments(RevSchema)
def file_amendment(body: dict[str, Any], record_id: str, amendment_id: str):  # type: ignore[no-untyped-def]
    """Keep an amendment as a note only: the data stays; it is marked ``filed``."""
    return _decide_amendment(body, record_id, amendment_id, "file")
