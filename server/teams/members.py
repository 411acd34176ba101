"""The caller's own team: its people and their devices, by name (DESIGN.md §3).

Records name people by user name and devices by id (``created_by``, a conflict value's
``author`` and ``device``, a review's ``by``). The officer's device works offline, so it
keeps this list (encrypted, like its other data) and fetches it again at sync, instead of
every pulled record carrying names that go stale when someone renames a device. Team data:
agents and teamleiders get their own team's; a beheerder gets 403 (need-to-know). A
teamleider substituting for another team gets that team's names through the review API.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.auth.tokens import current, require_auth
from server.extensions import db
from server.jsonbody import Blueprint
from server.models import Device, Team, TeamSubstitute, User

blp = Blueprint("team", __name__, url_prefix="/api", description="Het eigen team")


def _name(user: User) -> str:
    return user.display_name or user.username


@blp.route("/team/members", methods=["GET"])
@require_auth("agent", "teamleider")
def team_members():  # type: ignore[no-untyped-def]
    """The caller's team with its members (inactive ones too: their registrations stay),
    the teamleiders of other teams named its substitute reviewers, and every device of the
    members (revoked ones too: history and conflicts name them)."""
    user = current().user
    team = db.session.get(Team, user.team_id) if user.team_id is not None else None
    members = db.session.scalars(
        select(User).where(User.team_id == team.id if team else User.id == user.id)
        .order_by(User.username)).all()
    reviewers = [] if team is None else db.session.execute(
        select(User, Team).join(TeamSubstitute, TeamSubstitute.user_id == User.id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(TeamSubstitute.team_id == team.id).order_by(User.username)).all()
    owners = {m.id: m.username for m in members}
    devices = db.session.scalars(
        select(Device).where(Device.user_id.in_(list(owners)))
        .order_by(Device.created_at, Device.id)).all()
    reply: dict[str, Any] = {
        "team": {"id": team.id, "name": team.name} if team else None,
        "members": [{"username": m.username, "display_name": _name(m), "role": m.role,
                     "active": m.active} for m in members],
        "reviewers": [{"username": r.username, "display_name": _name(r),
                       "team": {"id": t.id, "name": t.name} if t else None}
                      for r, t in reviewers],
        "devices": [{"id": d.id, "name": d.name, "username": owners[d.user_id]}
                    for d in devices],
    }
    return reply
