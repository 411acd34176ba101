"""Device-bound bearer tokens: random, stored as a SHA-256 hash, expiring, revocable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request
from sqlalchemy import select

from server.errors import ApiError
from server.extensions import db
from server.models import Device, Token, User, aware, utcnow

F = TypeVar("F", bound=Callable[..., Any])
ROLES = ("agent", "teamleider", "beheerder")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user and the device the token is bound to."""

    user: User
    device: Device
    token: Token

    @property
    def team_id(self) -> int | None:
        return self.user.team_id


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, device: Device) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(hours=current_app.config["TOKEN_LIFETIME_HOURS"])
    db.session.add(
        Token(token_hash=token_hash(token), user_id=user.id, device_id=device.id,
              expires_at=expires)
    )
    return token, expires


def authenticate() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "invalid_token", "Log in om verder te gaan")
    row = db.session.execute(
        select(Token, Device, User)
        .join(Device, Device.id == Token.device_id)
        .join(User, User.id == Token.user_id)
        .where(Token.token_hash == token_hash(value.strip()))
    ).first()
    if row is None:
        raise ApiError(401, "invalid_token", "Deze sessie is niet (meer) geldig; log opnieuw in")
    token, device, user = row
    if device.revoked_at is not None:
        raise ApiError(401, "device_revoked",
                       "Dit apparaat is ingetrokken; de gegevens op het apparaat worden gewist")
    if token.revoked_at is not None or not user.active:
        raise ApiError(401, "invalid_token", "Deze sessie is beëindigd; log opnieuw in")
    if aware(token.expires_at) <= utcnow():
        raise ApiError(401, "token_expired",
                       "Uw sessie is verlopen; log opnieuw in. Uw gegevens blijven bewaard.")
    return Principal(user=user, device=device, token=token)


def require_auth(*roles: str) -> Callable[[F], F]:
    """Endpoint decorator: a valid token, and one of ``roles`` when given."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = authenticate()
            if roles and principal.user.role not in roles:
                raise ApiError(403)
            g.principal = principal
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def current() -> Principal:
    return g.principal
