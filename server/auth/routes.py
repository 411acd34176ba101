"""Login, logout, the current user, and devices."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, request
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from server import audit
from server.auth import devicekeys
from server.auth.passwords import dummy_verify, verify_password
from server.auth.tokens import current, issue_token, require_auth
from server.errors import ApiError
from server.extensions import db, limiter
from server.jsonbody import Blueprint, json_body
from server.models import Device, Token, User, iso, utcnow
from server.webpush.subscriptions import end_subscription_for_device

blp = Blueprint("auth", __name__, url_prefix="/api", description="Aanmelden en apparaten")


def _printable(value: str) -> bool:
    # Control characters (NUL above all: PostgreSQL refuses it) never belong in these.
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError("Bevat ongeldige tekens")
    return True


def _not_blank(value: str) -> bool:
    if not value.strip():
        raise ValidationError("Vul een naam in")
    return True


class RenameSchema(Schema):
    name = fields.String(required=True,
                         validate=[validate.Length(min=1, max=100), _printable, _not_blank])


class LoginSchema(Schema):
    username = fields.String(required=True,
                             validate=[validate.Length(min=1, max=64), _printable])
    password = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    device_name = fields.String(required=True,
                                validate=[validate.Length(min=1, max=100), _printable])
    device_id = fields.UUID(load_default=None, allow_none=True)


def _login_username() -> str:
    # The same parse the login itself reads: a body it refuses is refused here (400), so
    # no spelling of a name can move an attempt into another bucket.
    body = json_body() if request.is_json else None
    name = body.get("username") if isinstance(body, dict) else None
    return f"login-user:{str(name)[:64].lower()}"


def _open_device_key(device: Device) -> str:
    """The device's one key; sealed again under the current KEK when it was not yet."""
    stored = device.device_key
    try:
        if stored is None:  # only a revoked device has none, and it is never taken up again
            raise devicekeys.KeyUnavailable("the device has no key")
        key = devicekeys.open_key(device.id, stored)
    except devicekeys.KeyUnavailable as exc:
        # Never a new key: the device would wipe its store, unsent work included.
        current_app.logger.error("device %s: %s", device.id, exc)
        raise ApiError(503, "device_key_unavailable",
                       "De sleutel van dit apparaat is op de server niet te lezen; "
                       "neem contact op met de beheerder") from exc
    if not devicekeys.is_current(stored):
        device.device_key = devicekeys.seal(device.id, key)
    return key


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name or user.username,
        "role": user.role,
        "team": {"id": user.team.id, "name": user.team.name} if user.team else None,
    }


def device_json(device: Device) -> dict[str, Any]:
    return {
        "id": device.id,
        "name": device.name,
        "created_at": iso(device.created_at),
        "last_login_at": iso(device.last_login_at),
        "last_sync_at": iso(device.last_sync_at),
        "revoked": device.revoked_at is not None,
    }


def _devices_of(user: User) -> list[dict[str, Any]]:
    devices = db.session.execute(
        select(Device).where(Device.user_id == user.id).order_by(Device.created_at)
    ).scalars()
    return [device_json(d) for d in devices]


@blp.route("/auth/login", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ADDRESS"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_USER"], key_func=_login_username)
@blp.arguments(LoginSchema)
def login(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Sign in on a device; returns a device-bound bearer token and the device key."""
    user = db.session.execute(
        select(User).where(User.username == body["username"])
    ).scalar_one_or_none()
    if user is None or not user.active:
        dummy_verify(body["password"])
        ok = False
    else:
        ok = verify_password(user.password_hash, body["password"])
    if not ok:
        # The user when known, never the typed name (it may be a password typed there).
        audit.record([audit.Event("login_failed", user.id if user else None, None)])
        db.session.commit()
        raise ApiError(401, "invalid_credentials", "Onbekende gebruikersnaam of onjuist wachtwoord")

    device = None
    if body.get("device_id"):
        device = db.session.get(Device, str(body["device_id"]))
        if device is not None and (device.user_id != user.id or device.revoked_at is not None):
            device = None
    now = utcnow()
    if device is None:
        device_id = str(uuid.uuid4())
        device_key = devicekeys.new_key()
        device = Device(id=device_id, user_id=user.id, name=body["device_name"],
                        device_key=devicekeys.seal(device_id, device_key), created_at=now)
        db.session.add(device)
    else:
        # the name sent at the first login is the default; the owner may have renamed it
        device_key = _open_device_key(device)
    device.last_login_at = now
    db.session.flush()
    token, expires = issue_token(user, device)
    audit.record([audit.Event("login", user.id, device.id)])
    db.session.commit()
    return {
        "token": token,
        "device_id": device.id,
        "device_key": device_key,
        "expires_at": expires.isoformat(),
        "user": user_json(user),
        "devices": _devices_of(user),
    }


@blp.route("/auth/logout", methods=["POST"])
@require_auth()
def logout():  # type: ignore[no-untyped-def]
    """End this token's session (the device stays known)."""
    principal = current()
    token = db.session.get(Token, principal.token.id)
    token.revoked_at = utcnow()
    end_subscription_for_device(principal.device.id)
    audit.record([audit.Event("logout", principal.user.id, principal.device.id)])
    db.session.commit()
    return {"ok": True}


@blp.route("/me", methods=["GET"])
@require_auth()
def me():  # type: ignore[no-untyped-def]
    """The signed-in user, this device, and the user's devices with their last sync."""
    principal = current()
    user = db.session.get(User, principal.user.id)
    return {**user_json(user), "device_id": principal.device.id, "devices": _devices_of(user)}


@blp.route("/devices", methods=["GET"])
@require_auth()
def list_devices():  # type: ignore[no-untyped-def]
    """Devices: all of them for a beheerder, otherwise the caller's own."""
    principal = current()
    query = select(Device, User).join(User, User.id == Device.user_id).order_by(Device.created_at)
    if principal.user.role != "beheerder":
        query = query.where(Device.user_id == principal.user.id)
    return {"devices": [{**device_json(d), "user": u.username}
                        for d, u in db.session.execute(query)]}


@blp.route("/devices/<device_id>/revoke", methods=["POST"])
@require_auth()
def revoke_device(device_id: str):  # type: ignore[no-untyped-def]
    """Revoke a device: its tokens stop working at once and its key is dropped."""
    principal = current()
    device = db.session.get(Device, device_id[:36])
    if device is None or (principal.user.role != "beheerder"
                          and device.user_id != principal.user.id):
        raise ApiError(404, message="Apparaat niet gevonden")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        device.device_key = None
        end_subscription_for_device(device.id)
        audit.record([audit.Event("device_revoked", principal.user.id, principal.device.id,
                                  entity="device", entity_ids=[device.id])])
    db.session.commit()
    return device_json(device)


@blp.route("/devices/<device_id>", methods=["PATCH"])
@require_auth()
@blp.arguments(RenameSchema)
def rename_device(body: dict[str, Any], device_id: str):  # type: ignore[no-untyped-def]
    """Rename one of the caller's own devices ("Chromebook bureau"); a later login keeps it."""
    principal = current()
    device = db.session.get(Device, device_id[:36])
    if device is None or device.user_id != principal.user.id:
        raise ApiError(404, message="Apparaat niet gevonden")
    device.name = body["name"].strip()
    audit.record([audit.Event("device_renamed", principal.user.id, principal.device.id,
                              entity="device", entity_ids=[device.id])])
    db.session.commit()
    return device_json(device)
