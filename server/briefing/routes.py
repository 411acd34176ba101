"""``GET /api/briefing?lat=&lon=`` for officers."""

from __future__ import annotations

from flask import current_app, request

from server import audit, bulk
from server.auth.tokens import current, require_auth
from server.briefing.compute import Limits, briefing
from server.errors import ApiError
from server.geoinput import InputError, check_point
from server.jsonbody import Blueprint
from server.models import utcnow

blp = Blueprint("briefing", __name__, url_prefix="/api", description="Briefing")


def point_args() -> tuple[float, float]:
    """``lat`` and ``lon`` from the query string, inside the Netherlands, or a 422."""
    try:
        lat, lon = float(request.args["lat"]), float(request.args["lon"])
    except (KeyError, ValueError):
        raise ApiError(422, "invalid", "Geef lat en lon als getallen",
                       errors={"lat": ["Verplicht getal"], "lon": ["Verplicht getal"]}) from None
    try:
        return check_point("lat", lat, lon)
    except InputError as error:
        raise ApiError(422, "outside_nl", error.message,
                       errors={"lat": [error.message], "lon": [error.message]}) from None


@blp.route("/briefing", methods=["GET"])
@bulk.one_connection
@require_auth("agent", "teamleider")
def get_briefing():  # type: ignore[no-untyped-def]
    """Notices, areas of attention, hotspots and recent registrations around a point."""
    principal = current()
    lat, lon = point_args()
    config = current_app.config
    limits = Limits(config["BRIEFING_MAX_ITEMS"], config["BRIEFING_RADIUS_M"],
                    config["BRIEFING_DAYS"])
    items = briefing(principal.user.team_id, lat, lon, utcnow(), limits)  # type: ignore[arg-type]
    shown = [i["id"] for i in items if i["kind"] == "registration"]
    if shown:
        # made durable apart from this read-only transaction, without the writers' lock
        audit.record_read([audit.Event("read", principal.user.id, principal.device.id,
                                       "registration", shown, {"via": "briefing"})])
    return {"items": items}
