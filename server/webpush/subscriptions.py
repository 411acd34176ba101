"""Stored subscriptions: one per device, ended at logout, revocation and team change.

The ``end_*`` functions change the session and leave the commit to the caller, so the
subscription ends in the same transaction as the logout, revocation or team change.
Pending sends of an ended subscription are marked ``gone``: they will never go out.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, func, or_, select, update

from server.extensions import db
from server.models import Device, PushSend, PushSubscription, Token, User, utcnow

OFFICER_ROLES = ("agent", "teamleider")
# Bulk statements: no need to find and refresh matching objects in the session.
BULK = {"synchronize_session": False}


def _end(condition: ColumnElement[bool]) -> None:
    ids = select(PushSubscription.id).where(condition).scalar_subquery()
    db.session.execute(
        update(PushSend)
        .where(PushSend.subscription_id.in_(ids), PushSend.status == "pending")
        .values(status="gone", next_attempt_at=None, updated_at=utcnow()),
        execution_options=BULK)
    db.session.execute(delete(PushSubscription).where(condition), execution_options=BULK)


def end_subscription_for_device(device_id: str) -> None:
    """At logout and device revocation."""
    _end(PushSubscription.device_id == device_id)


def end_subscriptions_for_user(user_id: int) -> None:
    """Call wherever a user's team (or role) changes: the devices were subscribed for the
    old team's notices. Today only the CLI creates users and nothing changes a team."""
    _end(PushSubscription.user_id == user_id)


def end_subscription(subscription_id: str) -> None:
    """The push service answered 404/410: the browser dropped it."""
    _end(PushSubscription.id == subscription_id)


def subscribe(user_id: int, device_id: str, endpoint: str, p256dh: str,
              auth: str) -> PushSubscription:
    """Bind a subscription to the device, replacing the device's earlier one.

    An earlier row with the same endpoint goes too: it is the same browser, now used by
    this user and device, and must not receive the previous user's notices.
    """
    _end(or_(PushSubscription.device_id == device_id, PushSubscription.endpoint == endpoint))
    row = PushSubscription(id=str(uuid.uuid4()), user_id=user_id, device_id=device_id,
                           endpoint=endpoint, p256dh=p256dh, auth=auth, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def for_device(device_id: str) -> PushSubscription | None:
    return db.session.execute(
        select(PushSubscription).where(PushSubscription.device_id == device_id)
    ).scalar_one_or_none()


def officer_subscriptions(team_ids: set[int], *columns: Any) -> Select[Any]:
    """Subscriptions (or ``columns`` of them) of active officers of the teams, on live
    devices: the ones a notice for those teams goes to. A device whose every session has
    expired gets nothing (a phone left in a drawer should not light up with titles); the
    next login brings its pushes back, and the briefing at its next sync has the notice."""
    signed_in = exists().where(Token.device_id == PushSubscription.device_id,
                               Token.user_id == PushSubscription.user_id,
                               Token.revoked_at.is_(None), Token.expires_at > utcnow())
    return (
        select(*(columns or (PushSubscription,)))
        .select_from(PushSubscription)
        .join(User, User.id == PushSubscription.user_id)
        .join(Device, Device.id == PushSubscription.device_id)
        .where(User.team_id.in_(sorted(team_ids)), User.role.in_(OFFICER_ROLES),
               User.active.is_(True), Device.revoked_at.is_(None), signed_in)
    )


def subscribed_device_count(team_ids: set[int]) -> int:
    """How many devices a notice for these teams would be pushed to (admin preview)."""
    if not team_ids:
        return 0
    return int(db.session.execute(officer_subscriptions(team_ids, func.count())).scalar_one())
