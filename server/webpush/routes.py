"""``/api/push``: the VAPID public key, and this device's subscription."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy.exc import IntegrityError

from server.auth.tokens import current, require_auth
from server.errors import ApiError
from server.extensions import db
from server.jsonbody import Blueprint
from server.models import iso
from server.webpush import endpoints, subscriptions
from server.webpush.vapid import VapidKeyError, current_keys

blp = Blueprint("push", __name__, url_prefix="/api/push", description="Pushmeldingen")

_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def _decode(value: str) -> bytes:
    if not _B64URL.fullmatch(value):
        raise ValidationError("Geen base64url")
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValidationError("Geen base64url") from exc


def _p256dh(value: str) -> None:
    raw = _decode(value)
    if len(raw) != 65 or raw[0] != 4:
        raise ValidationError("Moet een ongecomprimeerde P-256-sleutel van 65 bytes zijn")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError as exc:
        raise ValidationError("Geen geldig punt op de P-256-curve") from exc


def _auth(value: str) -> None:
    if len(_decode(value)) != 16:
        raise ValidationError("Het authenticatiegeheim moet 16 bytes zijn")


class KeysSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    p256dh = fields.String(required=True, validate=[validate.Length(max=100), _p256dh])
    auth = fields.String(required=True, validate=[validate.Length(max=40), _auth])


class SubscriptionSchema(Schema):
    """``PushSubscription.toJSON()``; ``expirationTime`` and other fields are ignored."""

    class Meta:
        unknown = EXCLUDE

    endpoint = fields.String(required=True,
                             validate=validate.Length(min=1, max=endpoints.MAX_ENDPOINT_LENGTH))
    keys = fields.Nested(KeysSchema, required=True)


@blp.route("/vapid-public-key", methods=["GET"])
@require_auth()
def vapid_public_key():  # type: ignore[no-untyped-def]
    """The applicationServerKey (base64url) to subscribe with."""
    try:
        return {"public_key": current_keys().public_key}
    except VapidKeyError:
        current_app.logger.exception("VAPID key unavailable")
        raise ApiError(503, "push_unavailable",
                       "Pushmeldingen zijn op deze server niet ingesteld") from None


@blp.route("/subscriptions", methods=["GET"])
@require_auth()
def get_subscription():  # type: ignore[no-untyped-def]
    """Whether this device has a subscription."""
    row = subscriptions.for_device(current().device.id)
    return {"subscribed": row is not None, "created_at": iso(row.created_at) if row else None}


@blp.route("/subscriptions", methods=["POST"])
@require_auth()
@blp.arguments(SubscriptionSchema)
def subscribe(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Subscribe this device (replacing its earlier subscription)."""
    principal = current()
    if principal.user.role not in subscriptions.OFFICER_ROLES:
        raise ApiError(403, "forbidden",
                       "Pushmeldingen zijn voor agenten en teamleiders; een beheerder "
                       "ontvangt geen gebiedsmeldingen")
    endpoint = body["endpoint"]
    if not endpoints.allowed(endpoint, current_app.config["PUSH_ORIGINS"]):
        raise ApiError(422, "invalid", "Dit adres is geen bekende pushdienst",
                       errors={"endpoint": ["Alleen adressen van bekende pushdiensten "
                                            "worden geaccepteerd"]})
    try:
        row = subscriptions.subscribe(principal.user.id, principal.device.id, endpoint,
                                      body["keys"]["p256dh"], body["keys"]["auth"])
        created_at = iso(row.created_at)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "conflict",
                       "Tegelijk een andere aanmelding voor pushmeldingen; probeer het opnieuw"
                       ) from None
    return {"subscribed": True, "created_at": created_at}, 201


@blp.route("/subscriptions", methods=["DELETE"])
@require_auth()
def unsubscribe():  # type: ignore[no-untyped-def]
    """End this device's subscription (nothing to do when there is none)."""
    subscriptions.end_subscription_for_device(current().device.id)
    db.session.commit()
    return {"subscribed": False}
