"""Teams for a beheerder: their teamleiders and substitute reviewer (DESIGN.md §3).

A team with no teamleider, or whose only teamleider wrote a registration, needs another
reviewer: a beheerder names a teamleider of another team, who may then read and review
that team's registrations online until the beheerder removes them.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import delete, select

from server import audit
from server.auth.tokens import current, require_auth
from server.errors import ApiError
from server.extensions import db
from server.jsonbody import Blueprint
from server.models import Team, TeamSubstitute, User, utcnow

blp = Blueprint("teams", __name__, url_prefix="/api", description="Teams (beheer)")
MAX_ID = 2**31 - 1  # integer keys: a larger number is no id (and PostgreSQL would refuse it)


class SubstituteSchema(Schema):
    user_id = fields.Integer(required=True, allow_none=True, strict=True,
                             validate=validate.Range(min=1, max=MAX_ID),
                             metadata={"description": "a teamleider of another team, or null"})


def _person(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username,
            "display_name": user.display_name or user.username}


def _teams_json(team_ids: list[int] | None = None) -> list[dict[str, Any]]:
    query = select(Team).order_by(Team.name)
    if team_ids is not None:
        query = query.where(Team.id.in_(team_ids))
    teams = db.session.scalars(query).all()
    ids = [t.id for t in teams]
    leaders: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for user in db.session.scalars(
            select(User).where(User.team_id.in_(ids), User.role == "teamleider",
                               User.active.is_(True)).order_by(User.username)):
        leaders[user.team_id].append(_person(user))  # type: ignore[index]
    substitutes = {
        team_id: user for team_id, user in db.session.execute(
            select(TeamSubstitute.team_id, User).join(User, User.id == TeamSubstitute.user_id)
            .where(TeamSubstitute.team_id.in_(ids)))
    }
    names = {t.id: t.name for t in teams}
    names.update({t.id: t.name for t in db.session.scalars(select(Team).where(
        Team.id.in_({u.team_id for u in substitutes.values()} - set(names))))})
    result = []
    for team in teams:
        sub = substitutes.get(team.id)
        result.append({
            "id": team.id, "name": team.name, "leaders": leaders[team.id],
            "substitute": None if sub is None else {
                **_person(sub), "team": {"id": sub.team_id, "name": names.get(sub.team_id)}},
        })
    return result


@blp.route("/teams", methods=["GET"])
@require_auth("beheerder")
def list_teams():  # type: ignore[no-untyped-def]
    """Every team with its teamleiders and its substitute reviewer (or null)."""
    return {"teams": _teams_json()}


@blp.route("/teams/<int:team_id>/substitute", methods=["PUT"])
@require_auth("beheerder")
@blp.arguments(SubstituteSchema)
def set_substitute(body: dict[str, Any], team_id: int):  # type: ignore[no-untyped-def]
    """Name a teamleider of another team as the team's substitute reviewer, or remove the
    substitute with ``null``; access follows at once."""
    principal = current()
    if team_id > MAX_ID or db.session.get(Team, team_id) is None:
        raise ApiError(404, message="Team niet gevonden")
    user_id = body["user_id"]
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is None or user.role != "teamleider" or not user.active:
            raise ApiError(422, "not_teamleider",
                           "Alleen een teamleider kan vervangend beoordelaar zijn",
                           errors={"user_id": ["Geen (actieve) teamleider"]})
        if user.team_id == team_id:
            raise ApiError(422, "same_team",
                           "Kies een teamleider van een ander team; een teamleider van dit "
                           "team beoordeelt al",
                           errors={"user_id": ["Teamleider van hetzelfde team"]})
    db.session.execute(delete(TeamSubstitute).where(TeamSubstitute.team_id == team_id))
    if user_id is not None:
        db.session.add(TeamSubstitute(team_id=team_id, user_id=user_id,
                                      named_by_id=principal.user.id, named_at=utcnow()))
    audit.record([audit.Event("substitute", principal.user.id, principal.device.id, "team",
                              [str(team_id)], {"user_id": user_id})])
    db.session.commit()
    return _teams_json([team_id])[0]
