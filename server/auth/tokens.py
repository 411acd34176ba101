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

from server import audit, bulk
from server.errors import ApiError
from server.extensions import db
from server.models import Device, Token, User, aware, utcnow

F = TypeVar("F", bound=Callable[..., Any])
ROLES = ("agent", "teamleider", "beheerder")


@dataclass(frozen=True, slots=True)
class Caller:
    """The user behind a request, as the token lookup read it."""

    id: int
    username: str
    role: str
    team_id: int | None


@dataclass(frozen=True, slots=True)
class Ref:
    id: Any


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user and the device the token is bound to.

    Plain values rather than ORM objects: every request authenticates, and loading three
    entities cost more than the rest of a small request.
    """

    user: Caller
    device: Ref
    token: Ref

    @property
    def team_id(self) -> int | None:
        return self.user.team_id


_TOKEN_SQL = (
    "SELECT t.id, t.expires_at, t.revoked_at, d.id, d.revoked_at, "
    "u.id, u.username, u.role, u.team_id, u.active "
    "FROM tokens t JOIN devices d ON d.id = t.device_id JOIN users u ON u.id = t.user_id "
    "WHERE t.token_hash = ?"
)
_TOKEN_COLUMNS = (
    Token.id, Token.expires_at, Token.revoked_at, Device.id, Device.revoked_at,
    User.id, User.username, User.role, User.team_id, User.active,
)


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


def bearer_hash() -> str:
    """The hash of the request's bearer token, or 401 when there is none."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "invalid_token", "Log in om verder te gaan")
    return token_hash(value.strip())


def token_lookup(hashed: str) -> tuple[str, tuple[str], tuple[Any, ...]]:
    """The statement, parameters and column types that read a token's row, for a caller
    that sends it together with its own query (``principal_from`` judges the rows)."""
    return _TOKEN_SQL, (hashed,), _TOKEN_COLUMNS


def principal_from(found: list[tuple[Any, ...]]) -> Principal:
    """The caller of a token lookup's rows, or the 401 that refuses it."""
    if not found:
        raise ApiError(401, "invalid_token", "Deze sessie is niet (meer) geldig; log opnieuw in")
    (token_id, expires_at, token_revoked, device_id, device_revoked,
     user_id, username, role, team_id, active) = found[0]
    if device_revoked is not None:
        raise ApiError(401, "device_revoked",
                       "Dit apparaat is ingetrokken; de gegevens op het apparaat worden gewist")
    if token_revoked is not None or not active:
        raise ApiError(401, "invalid_token", "Deze sessie is beëindigd; log opnieuw in")
    if aware(expires_at) <= utcnow():
        raise ApiError(401, "token_expired",
                       "Uw sessie is verlopen; log opnieuw in. Uw gegevens blijven bewaard.")
    return Principal(user=Caller(user_id, username, role, team_id), device=Ref(device_id),
                     token=Ref(token_id))


def authenticate() -> Principal:
    return principal_from(bulk.read_apart(*token_lookup(bearer_hash())))


def admit(principal: Principal, roles: tuple[str, ...]) -> Principal:
    """``principal`` when its role is one of ``roles`` (or none are given), else the
    refusal is audited and answered 403."""
    if roles and principal.user.role not in roles:
        audit.refused(principal.user.id, principal.device.id, None, None,
                      request.endpoint or request.path[:100])
        raise ApiError(403)
    g.principal = principal
    return principal


def require_auth(*roles: str) -> Callable[[F], F]:
    """Endpoint decorator: a valid token, and one of ``roles`` when given."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            admit(authenticate(), roles)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def current() -> Principal:
    return g.principal
