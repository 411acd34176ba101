"""``/api/notices``: beheerders write and preview; officers read their teams' notices."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import select

from server.auth.tokens import Principal, current, require_auth
from server.errors import ApiError
from server.extensions import db
from server.geoinput import InputError
from server.jsonbody import Blueprint
from server.models import Notice, NoticeTeam, Team, aware, utcnow
from server.notices import reach, store

blp = Blueprint("notices", __name__, url_prefix="/api/notices", description="Mededelingen")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "De inhoud moet een JSON-object zijn")
    return body


def _invalid(error: InputError) -> ApiError:
    return ApiError(422, "invalid", f"Ongeldige mededeling: {error.message}",
                    errors={error.field: [error.message]})


def _admin(principal: Principal) -> bool:
    return principal.user.role == "beheerder"


def _get(principal: Principal, notice_id: int, for_update: bool = False
         ) -> tuple[Notice, set[int]]:
    """The notice if the caller may see it; ``for_update`` locks its row until commit, so
    two changes of one notice compute its lost teams one after the other."""
    notice = (db.session.get(Notice, notice_id, with_for_update=for_update)
              if 0 < notice_id < 2**31 else None)
    teams = store.teams_by_notice([notice_id])[notice_id] if notice else set()
    if notice is None or not (_admin(principal) or principal.user.team_id in teams):
        raise ApiError(404, message="Mededeling niet gevonden")
    return notice, teams


@blp.route("", methods=["GET"])
@require_auth()
def list_notices():  # type: ignore[no-untyped-def]
    """Notices, newest first (``?active=1``: only those valid now); officers: their team's."""
    principal = current()
    query = select(Notice).order_by(Notice.id.desc()).limit(500)
    if not _admin(principal):
        query = query.join(NoticeTeam, NoticeTeam.notice_id == Notice.id).where(
            NoticeTeam.team_id == principal.user.team_id)
    if request.args.get("active") in ("1", "true"):
        now = utcnow()
        query = query.where(Notice.valid_from <= now, Notice.valid_until > now)
    rows = db.session.execute(query).scalars().all()
    teams = store.teams_by_notice(n.id for n in rows)
    return {"items": [store.view(n, teams[n.id], _admin(principal)) for n in rows]}


@blp.route("", methods=["POST"])
@require_auth("beheerder")
def create_notice():  # type: ignore[no-untyped-def]
    try:
        columns = store.check(_body())
    except InputError as error:
        raise _invalid(error) from None
    notice, teams = store.create(columns, current().user.id)
    db.session.commit()
    return store.view(notice, teams, for_admin=True), 201


@blp.route("/preview", methods=["POST"])
@require_auth("beheerder")
def preview_notice():  # type: ignore[no-untyped-def]
    """Who a notice (the body of a create) would reach; nothing is written."""
    try:
        columns = store.check(_body())
    except InputError as error:
        raise _invalid(error) from None
    teams = store.teams_for(columns)
    names = dict(db.session.execute(select(Team.id, Team.name).where(Team.id.in_(teams))).all())
    return {"teams": [{"id": t, "name": names.get(t, "")} for t in sorted(teams)],
            "subscribed_devices": reach.subscribed_device_count(teams)}


@blp.route("/<int:notice_id>", methods=["GET"])
@require_auth()
def get_notice(notice_id: int):  # type: ignore[no-untyped-def]
    principal = current()
    notice, teams = _get(principal, notice_id)
    return store.view(notice, teams, _admin(principal))


@blp.route("/<int:notice_id>", methods=["PATCH", "PUT"])
@require_auth("beheerder")
def change_notice(notice_id: int):  # type: ignore[no-untyped-def]
    notice, _ = _get(current(), notice_id, for_update=True)
    try:
        columns = store.check(_body(), existing=notice)
    except InputError as error:
        raise _invalid(error) from None
    teams = store.change(notice, columns)
    db.session.commit()
    return store.view(notice, teams, for_admin=True)


@blp.route("/<int:notice_id>", methods=["DELETE"])
@require_auth("beheerder")
def end_notice(notice_id: int):  # type: ignore[no-untyped-def]
    """End a notice now (it stays listed, no longer valid)."""
    notice, _ = _get(current(), notice_id, for_update=True)
    now = utcnow()

    if aware(notice.valid_until) > now:
        columns: dict[str, Any] = {"valid_until": max(now, aware(notice.valid_from))}
        if aware(notice.valid_from) >= now:
            columns = {"valid_from": now, "valid_until": now}
        teams = store.change(notice, columns)
    else:
        teams = store.teams_by_notice([notice_id])[notice_id]
    db.session.commit()
    return store.view(notice, teams, for_admin=True)
