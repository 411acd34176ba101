"""Who may read what (DESIGN.md §3, §8).

- Need-to-know: only agents and teamleiders read registrations' content; a beheerder
  manages users, teams, devices and the audit log but reads no registration.
- A user reads their own team's registrations; a teamleider named substitute reviewer of
  another team also reads (and reviews) that team's, online: pull stays the own team.
- A photo's hash is no key: a user may link or download it only when they uploaded those
  bytes themselves (an ``attachment_rights`` row) or may read a registration that links it.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from server import bulk
from server.auth.tokens import Caller, Principal
from server.extensions import db
from server.models import AttachmentRight, TeamSubstitute

READER_ROLES = ("agent", "teamleider")
WRITER_ROLES = ("agent", "teamleider")


def substituted_teams(user_id: int) -> set[int]:
    return set(db.session.scalars(
        select(TeamSubstitute.team_id).where(TeamSubstitute.user_id == user_id)))


def readable_teams(principal: Principal) -> frozenset[int]:
    """The teams whose registrations the caller may read and (a teamleider) review."""
    user = principal.user
    if user.role not in READER_ROLES:
        return frozenset()
    teams = {user.team_id} if user.team_id is not None else set()
    if user.role == "teamleider":
        # Only while the user is a teamleider: a demoted substitute loses it at once.
        teams |= substituted_teams(user.id)
    return frozenset(teams)


def photo_rights(user: Caller, hashes: Collection[str]) -> set[str]:
    """The hashes of ``hashes`` that ``user`` may link or download, in one query: uploaded
    by them, or linked by a registration of a team they may read."""
    if not hashes or user.role not in READER_ROLES:
        return set()
    hashes = list(hashes)
    marks = bulk.in_list(len(hashes))
    params: list[object] = [user.id, *hashes, *hashes, user.team_id]
    teams = "r.team_id = ?"
    if user.role == "teamleider":
        teams += " OR r.team_id IN (SELECT team_id FROM team_substitutes WHERE user_id = ?)"
        params.append(user.id)
    found = bulk.rows(
        f"SELECT sha256 FROM attachment_rights WHERE user_id = ? AND sha256 IN {marks} "
        "UNION SELECT ra.sha256 FROM registration_attachments ra "
        "JOIN registrations r ON r.id = ra.registration_id "
        f"WHERE ra.sha256 IN {marks} AND ({teams})",
        params, (AttachmentRight.sha256,))
    return {sha for (sha,) in found}


def holds_upload(user_id: int, sha256: str) -> bool:
    """Whether the user themselves uploaded these bytes before."""
    return db.session.get(AttachmentRight, (sha256, user_id)) is not None
