"""``/api/areas``: a beheerder writes; officers read their team's areas and teamless ones."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import or_, select

from server.areas import store
from server.auth.tokens import Principal, current, require_auth
from server.errors import ApiError
from server.extensions import db
from server.geoinput import InputError
from server.jsonbody import Blueprint
from server.models import Area, Notice
from server.notices import store as notices

blp = Blueprint("areas", __name__, url_prefix="/api/areas", description="Gebieden")
MAX_FEATURES = 500


def _visible(principal: Principal) -> Any:
    query = select(Area).order_by(Area.id)
    if principal.user.role != "beheerder":
        query = query.where(or_(Area.team_id == principal.user.team_id, Area.team_id.is_(None)))
    return query


def _get(principal: Principal, area_id: int, for_update: bool = False) -> Area:
    """The area if the caller may see it; ``for_update`` locks its row until commit, so
    two changes of one area write their change-log rows one after the other."""
    area = (db.session.get(Area, area_id, with_for_update=for_update)
            if 0 < area_id < 2**31 else None)
    if area is None or not store.visible_to(principal.user, area):
        raise ApiError(404, message="Gebied niet gevonden")
    return area


def _body() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "De inhoud moet een GeoJSON-object zijn")
    return body


def invalid(error: InputError, prefix: str = "") -> ApiError:
    return ApiError(422, "invalid", f"Ongeldig gebied: {error.message}",
                    errors={prefix + error.field: [error.message]})


@blp.route("", methods=["GET"])
@require_auth()
def list_areas():  # type: ignore[no-untyped-def]
    """Areas as a FeatureCollection (``?kind=wijk|attention``)."""
    query = _visible(current())
    kind = request.args.get("kind")
    if kind is not None:
        if kind not in store.KINDS:
            raise ApiError(422, errors={"kind": ["kind moet 'wijk' of 'attention' zijn"]})
        query = query.where(Area.kind == kind)
    areas = db.session.execute(query).scalars().all()
    return {"type": "FeatureCollection", "features": [store.view(a) for a in areas]}


@blp.route("", methods=["POST"])
@require_auth("beheerder")
def create_areas():  # type: ignore[no-untyped-def]
    """A Feature, or a FeatureCollection (all or nothing)."""
    body = _body()
    if body.get("type") == "FeatureCollection":
        features = body.get("features")
        if not isinstance(features, list) or not features:
            raise ApiError(422, errors={"features": ["Verwacht een niet-lege lijst"]})
        if len(features) > MAX_FEATURES:
            raise ApiError(413, "too_many_features", f"Maximaal {MAX_FEATURES} gebieden per keer")
        checked = []
        for index, feature in enumerate(features):
            try:
                checked.append(store.check_feature(feature))
            except InputError as error:
                raise invalid(error, f"features[{index}].") from None
        areas = [store.create(columns) for columns in checked]
        for area in areas:
            notices.area_changed(area)
        db.session.commit()
        return {"type": "FeatureCollection", "features": [store.view(a) for a in areas]}, 201
    try:
        columns = store.check_feature(body)
    except InputError as error:
        raise invalid(error) from None
    area = store.create(columns)
    notices.area_changed(area)
    db.session.commit()
    return store.view(area), 201


@blp.route("/<int:area_id>", methods=["GET"])
@require_auth()
def get_area(area_id: int):  # type: ignore[no-untyped-def]
    return store.view(_get(current(), area_id))


@blp.route("/<int:area_id>", methods=["PATCH", "PUT"])
@require_auth("beheerder")
def change_area(area_id: int):  # type: ignore[no-untyped-def]
    """Change an area (a partial Feature); end it by setting ``valid_until``."""
    area = _get(current(), area_id, for_update=True)
    try:
        columns = store.check_feature(_body(), existing=area)
    except InputError as error:
        raise invalid(error) from None
    old_box = (area.min_x, area.max_x, area.min_y, area.max_y)
    store.change(area, columns)
    notices.area_changed(area, old_box)
    db.session.commit()
    return store.view(area)


@blp.route("/<int:area_id>", methods=["DELETE"])
@require_auth("beheerder")
def delete_area(area_id: int):  # type: ignore[no-untyped-def]
    """Remove an area entered by mistake (end a real one with ``valid_until``)."""
    area = _get(current(), area_id, for_update=True)
    if db.session.execute(select(Notice.id).where(Notice.area_id == area_id).limit(1)).first():
        raise ApiError(409, "area_in_use",
                       "Er zijn mededelingen voor dit gebied; beëindig het gebied in plaats "
                       "van het te verwijderen")
    store.delete(area)
    db.session.commit()
    return "", 204
