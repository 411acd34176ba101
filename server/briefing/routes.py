"""``GET /api/briefing?lat=&lon=`` for officers."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from server import audit, bulk
from server.auth.tokens import admit, bearer_hash, principal_from, token_lookup
from server.briefing.compute import Limits, here, items_of, query, read
from server.errors import ApiError
from server.geoinput import InputError, check_point
from server.jsonbody import Blueprint
from server.models import utcnow

blp = Blueprint("briefing", __name__, url_prefix="/api", description="Briefing")

ROLES = ("agent", "teamleider")
# A token's hash → the team its user had at their last briefing. With it the briefing's
# query goes out with the token check, in one round trip. Only a guess: the check in that
# round trip decides who is asking, and when the team it read differs (the user moved to
# another team), the rows are dropped unread and the query is sent again for that team.
_TEAMS: dict[str, Any] = {}
_TEAMS_MAX = 10_000
_UNKNOWN = object()


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
@bulk.one_connection(generic=True)
def get_briefing():  # type: ignore[no-untyped-def]
    """Notices, areas of attention, hotspots and recent registrations around a point."""
    hashed = bearer_hash()
    token = token_lookup(hashed)
    try:
        lat, lon = point_args()
    except ApiError:
        # a refused token or role answers first, as elsewhere
        admit(principal_from(bulk.read_apart(*token)), ROLES)
        raise
    config = current_app.config
    limits = Limits(config["BRIEFING_MAX_ITEMS"], config["BRIEFING_RADIUS_M"],
                    config["BRIEFING_DAYS"])
    now, at = utcnow(), here(lat, lon)
    guess = _TEAMS.get(hashed, _UNKNOWN)
    if guess is _UNKNOWN:
        found, rows = bulk.read_apart(*token), None
    else:
        found, rows = bulk.read_together([token, query(guess, at, now, limits)])
    principal = admit(principal_from(found), ROLES)
    team = principal.user.team_id
    if rows is None or guess != team:
        if len(_TEAMS) >= _TEAMS_MAX:
            _TEAMS.clear()
        _TEAMS[hashed] = team
        rows = read(query(team, at, now, limits))  # type: ignore[arg-type]
    items = items_of(rows, at, now, limits)
    shown = [i["id"] for i in items if i["kind"] == "registration"]
    if shown:
        # made durable apart from this read-only transaction, without the writers' lock
        audit.record_read([audit.Event("read", principal.user.id, principal.device.id,
                                       "registration", shown, {"via": "briefing"})])
    return {"items": items}
