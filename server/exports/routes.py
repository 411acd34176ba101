"""``GET /api/export``: a team's registrations as CSV, JSON or BRON, streamed.

Who gets what (DESIGN.md §3, §7):

* a teamleider: their own team, in full, in every format;
* a beheerder: every team, only as the AVG-reduced BRON (csv and json are 403: they hold
  the registrations' content, which a beheerder does not read);
* an agent: 403. An export is a bulk copy of the team's police data, made for review
  and statistics; an officer reads registrations one at a time for their work, and a
  copy outside the app is beyond what that work needs (Wpg need-to-know).

Every export is audited before its first byte leaves, with its filter and its row count,
both taken from the snapshot the file is then written from.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, request, stream_with_context
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server import audit
from server.auth.tokens import current, require_auth
from server.errors import ApiError
from server.exports import writers
from server.exports.source import Filter, Snapshot
from server.extensions import db, limiter
from server.jsonbody import Blueprint
from server.registrations.forms import FORMS_BY_TYPE
from sync.model import REGISTRATION_STATUSES

NL = ZoneInfo("Europe/Amsterdam")
FORMATS = ("csv", "json", "bron")
EXPORT_RATE = "10 per minute"  # per user; config EXPORT_RATE_PER_USER
DEFAULT_STATUSES = tuple(s for s in REGISTRATION_STATUSES if s != "withdrawn")
BAD_DATE = ("Moet een datum zijn als JJJJ-MM-DD, of een datum en tijd met tijdzone "
            "(bijvoorbeeld 2026-11-24T09:30+01:00)")
BAD_YEAR = "Het jaar moet tussen 1900 en 2999 liggen"

blp = Blueprint("exports", __name__, url_prefix="/api", description="Exports")


class _Moment(fields.Field):
    """A Dutch calendar day (``2026-11-24``) or an exact moment with its UTC offset."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError(BAD_DATE)
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                if not 1900 <= day.year <= 2999:
                    raise ValidationError(BAD_YEAR)
                return day
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError(BAD_DATE) from exc
        if moment.tzinfo is None:
            raise ValidationError(BAD_DATE)
        if not 1900 <= moment.year <= 2999:
            raise ValidationError(BAD_YEAR)
        return moment


class _Statuses(fields.Field):
    """One status or several, comma-separated (``approved,submitted``)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        parts = value.split(",") if isinstance(value, str) else []
        if not parts or any(p not in REGISTRATION_STATUSES for p in parts):
            raise ValidationError("Kies uit " + ", ".join(REGISTRATION_STATUSES)
                                  + " (meerdere gescheiden door komma's)")
        return tuple(dict.fromkeys(parts))


class ExportArgs(Schema):
    format = fields.String(required=True, validate=validate.OneOf(
        FORMATS, error="Kies csv, json of bron"),
        error_messages={"required": "Verplicht veld: csv, json of bron"})
    type = fields.String(validate=validate.OneOf(
        tuple(FORMS_BY_TYPE), error="Kies " + ", ".join(FORMS_BY_TYPE)))
    status = _Statuses(metadata={"description": "statussen, komma-gescheiden; standaard "
                                 "alles behalve withdrawn"})
    date_from = _Moment(data_key="from", metadata={"description": "aangemaakt vanaf"})
    date_to = _Moment(data_key="to", metadata={"description": "aangemaakt tot en met"})

    @validates_schema
    def _consistent(self, args: dict[str, Any], **kwargs: Any) -> None:
        if args.get("format") == "bron" and args.get("type", "vor") != "vor":
            raise ValidationError("BRON bevat alleen verkeersongevallen: type vor", "type")
        start, end = _start(args.get("date_from")), _end(args.get("date_to"))
        if start and end and start >= end:
            raise ValidationError("Moet na 'from' liggen", "to")


def _start(value: date | datetime | None) -> datetime | None:
    """From the start of the Dutch day, or from the moment given (in UTC, as stored)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(value, time(), NL).astimezone(UTC) if value else None


def _end(value: date | datetime | None) -> datetime | None:
    """Up to the end of the Dutch day (inclusive), or up to the moment (exclusive)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return _start(value + timedelta(days=1)) if value else None


def _filename(fmt: str, rtype: str | None, reduced: bool) -> str:
    today = datetime.now(NL).date().isoformat()
    if fmt == "bron":
        return f"wijkpost-bron-{'beperkt' if reduced else 'volledig'}-{today}.zip"
    return f"wijkpost-export-{rtype or 'alle'}-{today}.{fmt}"


def _caller_key() -> str:
    return f"export:{current().user.id}"


@blp.route("/export", methods=["GET"])
@require_auth("teamleider", "beheerder")
# Each export holds a database connection for as long as its download runs.
@limiter.limit(lambda: current_app.config.get("EXPORT_RATE_PER_USER", EXPORT_RATE),
               key_func=_caller_key)
@blp.arguments(ExportArgs, location="query")
@blp.doc(responses={"200": {"description": "Het exportbestand (csv, json of zip)"}})
def export(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Registrations as a file: csv or json (teamleider), BRON zip (teamleider, beheerder)."""
    if request.method == "HEAD":
        # Flask answers HEAD with the GET view: that would audit an export never sent.
        raise ApiError(405)
    principal = current()
    fmt = args["format"]
    reduced = principal.user.role == "beheerder"
    if reduced and fmt != "bron":
        raise ApiError(403, message="Een beheerder kan alleen de BRON-export zonder "
                                    "persoonsgegevens downloaden (format=bron)")
    if not reduced and principal.user.team_id is None:
        raise ApiError(403, message="U hoort bij geen team")
    rtype = "vor" if fmt == "bron" else args.get("type")
    flt = Filter(
        team_id=None if reduced else principal.user.team_id,
        types=(rtype,) if rtype else tuple(FORMS_BY_TYPE),
        statuses=args.get("status", DEFAULT_STATUSES),
        created_from=_start(args.get("date_from")),
        created_to=_end(args.get("date_to")),
    )
    snapshot = Snapshot(db.engine, flt, numbered=fmt == "bron")
    try:
        # Made durable before the first byte goes out, without the writers' lock.
        audit.record_read([audit.Event("export", principal.user.id, principal.device.id,
                                       "registration", None, {
                                           "format": fmt,
                                           "variant": "beperkt" if reduced else "volledig",
                                           "filter": _audit_filter(flt),
                                           "rows": snapshot.count})])
    except BaseException:
        snapshot.close()
        raise
    if fmt == "csv":
        body, mimetype = writers.readable_csv(snapshot, flt.types), "text/csv"
    elif fmt == "json":
        body, mimetype = writers.json_array(snapshot), "application/json"
    else:
        body, mimetype = writers.bron_zip(snapshot, reduced), "application/zip"

    def stream() -> Any:
        try:
            yield from body
        finally:
            snapshot.close()

    response = Response(stream_with_context(stream()), mimetype=mimetype)
    # A body that is never iterated (the client went away first) still ends the snapshot.
    response.call_on_close(snapshot.close)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_filename(fmt, rtype, reduced)}"')
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Export-Rows"] = str(snapshot.count)
    return response


def _audit_filter(flt: Filter) -> dict[str, Any]:
    return {
        "team": flt.team_id, "types": list(flt.types), "statuses": list(flt.statuses),
        "from": flt.created_from.isoformat() if flt.created_from else None,
        "to": flt.created_to.isoformat() if flt.created_to else None,
    }
