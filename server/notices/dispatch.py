"""Notices due for Web Push: handed to the sender once, at or after ``send_at``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from server.extensions import db
from server.models import Notice, NoticeTeam, aware, iso

MAX_TTL_S = 28 * 24 * 3600  # push services keep a message at most about four weeks


def push_ttl_s(notice: Notice, now: datetime) -> int:
    """Seconds a push may wait for a device: up to ``valid_until``, at most 28 days."""
    left = (aware(notice.valid_until) - max(aware(notice.send_at), now)).total_seconds()
    return int(max(0, min(left, MAX_TTL_S)))


def due_notices(now: datetime) -> list[tuple[dict[str, Any], set[int]]]:
    """Notices whose send time has come, not yet dispatched and still valid, with teams."""
    rows = db.session.execute(
        select(Notice).where(Notice.dispatched_at.is_(None), Notice.send_at <= now,
                             Notice.valid_until > now).order_by(Notice.send_at, Notice.id)
    ).scalars().all()
    if not rows:
        return []
    teams: dict[int, set[int]] = {}
    for notice_id, team_id in db.session.execute(
            select(NoticeTeam.notice_id, NoticeTeam.team_id)
            .where(NoticeTeam.notice_id.in_([n.id for n in rows]))):
        teams.setdefault(notice_id, set()).add(team_id)
    return [({"id": n.id, "title": n.title, "priority": n.priority,
              "valid_until": iso(n.valid_until), "ttl_s": push_ttl_s(n, now)},
             teams.get(n.id, set())) for n in rows]


def mark_dispatched(notice_id: int, now: datetime | None = None) -> None:
    from server.models import utcnow

    db.session.execute(update(Notice).where(Notice.id == notice_id)
                       .values(dispatched_at=now or utcnow()))


def dispatch_due_notices() -> int:
    """The scheduler's ``notice-dispatch`` job: each due notice to Web Push, once.

    ``deliver_notice`` records one send per subscription before any request goes out and
    commits; a crash before ``mark_dispatched`` commits makes the next run call it again,
    which repeats no send.
    """
    from server.models import utcnow
    from server.webpush import deliver_notice

    due = due_notices(utcnow())
    for notice, team_ids in due:
        deliver_notice({"id": str(notice["id"]), "title": notice["title"],
                        "priority": notice["priority"],
                        "valid_until": datetime.fromisoformat(notice["valid_until"])},
                       team_ids)
        mark_dispatched(notice["id"])
        db.session.commit()
    return len(due)
