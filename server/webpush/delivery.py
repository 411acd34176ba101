"""Handing notices to the push services: one recorded send per (notice, subscription).

Best effort: the briefing at the next sync is the authority. Each send is a row in
``push_sends`` written before its request goes out; a request is only made for a row this
process has just claimed (an ``UPDATE ... RETURNING`` that moves its next attempt into the
future and commits), so two callers never post the same send at once and a recorded send
that was accepted is never posted again. A timeout, a 5xx or a 429 is tried again with
exponential backoff up to ``PUSH_MAX_ATTEMPTS``; a crash between claim and answer leaves
the row pending, to be retried after the claim's lease. A repeat that does reach the
device shows once: the payload carries the notice id as the notification's ``tag``, and
the opaque ``Topic`` lets the push service replace an undelivered earlier copy.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import orjson
import requests
from flask import current_app
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, func, or_, select, update

from server.extensions import db
from server.models import PushSend, PushSubscription, aware, utcnow
from server.webpush import subscriptions
from server.webpush.endpoints import Origin, allowed, endpoint_origin
from server.webpush.subscriptions import BULK
from server.webpush.vapid import b64url, current_keys

log = logging.getLogger(__name__)

URGENCY = {1: "high", 2: "normal", 3: "low"}
MAX_TTL_SECONDS = 28 * 24 * 3600
MAX_BODY_BYTES = 4096
# aes128gcm (RFC 8188) as pywebpush sends it: a header of salt (16), record size (4),
# key id length (1) and the sender's public key (65); one padding delimiter; the GCM tag.
ECE_OVERHEAD = 16 + 4 + 1 + 65 + 1 + 16
MAX_BACKOFF_SECONDS = 3600
SEND_THREADS = 8


# -- the message -------------------------------------------------------------------------

def topic(notice_id: str) -> str:
    """32 base64url characters that say nothing about the notice, stable across hosts
    that share SECRET_KEY (RFC 8030 allows at most 32)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    mac = hmac.new(secret, b"push-topic:" + notice_id.encode(), hashlib.sha256).digest()
    return b64url(mac[:24])


def payload(notice_id: str, title: str, priority: int) -> bytes:
    """The notification's JSON, without the notice's body; the title is shortened when the
    encrypted message would pass 4,096 bytes."""
    while True:
        data = orjson.dumps({
            "notice_id": notice_id, "title": title, "priority": priority,
            "url": f"/#/notices/{quote(notice_id, safe='')}", "tag": notice_id,
        })
        excess = len(data) + ECE_OVERHEAD - MAX_BODY_BYTES
        if excess <= 0:
            return data
        title = title[: max(0, len(title) - excess - 1)] + "…"


def encrypted_size(data: bytes) -> int:
    return len(data) + ECE_OVERHEAD


def ttl_seconds(valid_until: datetime, now: datetime) -> int:
    return max(0, min(MAX_TTL_SECONDS, int((aware(valid_until) - now).total_seconds())))


# -- recording ---------------------------------------------------------------------------

def _insert_ignoring_duplicates(rows: list[dict[str, Any]]) -> None:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(PushSend).values(rows).on_conflict_do_nothing(
        index_elements=["notice_id", "subscription_id"]))


def record_sends(notice: dict[str, Any], team_ids: set[int]) -> int:
    """One pending send per subscription of the teams' officers (existing ones stay as
    they are); commits. Returns how many subscriptions the notice concerns."""
    notice_id, title, priority, valid_until = _checked(notice)
    now = utcnow()
    if not team_ids or valid_until <= now:
        return 0
    ids = db.session.execute(
        subscriptions.officer_subscriptions(team_ids, PushSubscription.id)).scalars().all()
    for start in range(0, len(ids), 500):
        _insert_ignoring_duplicates([
            {"notice_id": notice_id, "subscription_id": sid, "title": title,
             "priority": priority, "valid_until": valid_until, "status": "pending",
             "attempts": 0, "next_attempt_at": now, "created_at": now, "updated_at": now}
            for sid in ids[start:start + 500]])
    db.session.commit()
    return len(ids)


def _checked(notice: dict[str, Any]) -> tuple[str, str, int, datetime]:
    notice_id = str(notice["id"])
    priority = int(notice["priority"])
    valid_until = notice["valid_until"]
    if not 1 <= priority <= 3:
        raise ValueError(f"notice priority {priority} is not 1..3")
    if not isinstance(valid_until, datetime) or valid_until.tzinfo is None:
        raise ValueError("notice valid_until must be an aware datetime")
    if len(notice_id) > 64:
        raise ValueError("notice id longer than 64 characters")
    return notice_id, str(notice["title"])[:500], priority, valid_until


# -- sending -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Claimed:
    send_id: int
    notice_id: str
    title: str
    priority: int
    valid_until: datetime
    attempts: int
    endpoint: str
    p256dh: str
    auth: str
    subscription_id: str


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None  # None: no answer (timeout, connection refused)
    retry_after: int | None
    error: str


def _claim(now: datetime, notice_id: str | None, limit: int) -> list[_Claimed]:
    """Take due pending sends for this process and commit, before any request goes out."""
    config = current_app.config
    # Past its notice's validity, or out of attempts (also when every try crashed the
    # process after its claim): no more tries.
    db.session.execute(
        update(PushSend).where(PushSend.status == "pending",
                               or_(PushSend.valid_until <= now,
                                   PushSend.attempts >= config["PUSH_MAX_ATTEMPTS"]))
        .values(status="failed", next_attempt_at=None, updated_at=now),
        execution_options=BULK)
    due = select(PushSend.id).where(PushSend.status == "pending",
                                    PushSend.next_attempt_at <= now)
    if notice_id is not None:
        due = due.where(PushSend.notice_id == notice_id)
    due = due.order_by(PushSend.next_attempt_at).limit(limit)
    # A crash mid-request leaves the row pending: it is tried again after this lease.
    lease = now + timedelta(seconds=max(config["PUSH_RETRY_BASE_SECONDS"],
                                        2 * config["PUSH_TIMEOUT_SECONDS"]))
    claimed = db.session.execute(
        update(PushSend)
        .where(PushSend.id.in_(due.scalar_subquery()), PushSend.status == "pending",
               PushSend.next_attempt_at <= now)
        .values(attempts=PushSend.attempts + 1, next_attempt_at=lease, updated_at=now)
        .returning(PushSend.id), execution_options=BULK).scalars().all()
    rows = db.session.execute(
        select(PushSend.id, PushSend.notice_id, PushSend.title, PushSend.priority,
               PushSend.valid_until, PushSend.attempts, PushSubscription.endpoint,
               PushSubscription.p256dh, PushSubscription.auth, PushSubscription.id)
        .outerjoin(PushSubscription, PushSubscription.id == PushSend.subscription_id)
        .where(PushSend.id.in_(claimed))).all() if claimed else []
    ended = [row[0] for row in rows if row[-1] is None]  # since the send was recorded
    if ended:
        db.session.execute(update(PushSend).where(PushSend.id.in_(ended))
                           .values(status="gone", next_attempt_at=None),
                           execution_options=BULK)
    db.session.commit()
    return [_Claimed(*row[:4], aware(row[4]), *row[5:]) for row in rows if row[-1] is not None]


class _NoRedirects(requests.Session):
    """A push service answers; it does not send the server on to another address."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


_sessions = threading.local()


def _session() -> requests.Session:
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = _NoRedirects()
    return session


def _post(item: _Claimed, now: datetime, vapid: Any, subject: str, topic_id: str,
          timeout: int, origins: tuple[Origin, ...]) -> _Outcome:
    origin = endpoint_origin(item.endpoint)
    if origin is None or not allowed(item.endpoint, origins):
        # Subscribed before WIJKPOST_PUSH_ENDPOINTS changed: never post there; as gone.
        return _Outcome(410, None, "endpoint origin no longer allowed")
    try:
        response = webpush(
            subscription_info={"endpoint": item.endpoint,
                               "keys": {"p256dh": item.p256dh, "auth": item.auth}},
            data=payload(item.notice_id, item.title, item.priority).decode(),
            vapid_private_key=vapid,
            vapid_claims={"sub": subject, "aud": origin, "exp": int(time.time()) + 12 * 3600},
            ttl=ttl_seconds(item.valid_until, now),
            headers={"Topic": topic_id, "Urgency": URGENCY[item.priority]},
            timeout=timeout,
            requests_session=_session(),
        )
        return _Outcome(response.status_code, None, "")  # type: ignore[union-attr]
    except WebPushException as exc:
        retry_after = exc.retry_after
        return _Outcome(exc.status_code, int(retry_after) if retry_after
                        and retry_after.isdigit() else None, exc.message[:200])
    except requests.RequestException as exc:
        return _Outcome(None, None, type(exc).__name__)
    except Exception as exc:  # e.g. keys the encryption refuses: trying again cannot help
        log.exception("push send %s could not be made", item.send_id)
        return _Outcome(0, None, type(exc).__name__)


def _backoff(attempts: int, retry_after: int | None) -> int:
    base = current_app.config["PUSH_RETRY_BASE_SECONDS"] * 2 ** max(0, attempts - 1)
    return min(MAX_BACKOFF_SECONDS, max(base, retry_after or 0))


def _settle(item: _Claimed, outcome: _Outcome, now: datetime) -> str:
    code = outcome.status_code
    values: dict[str, Any] = {"last_status_code": code, "updated_at": utcnow()}
    if code is not None and 200 <= code < 300:
        status = "accepted"
    elif code in (404, 410):
        status = "gone"
    elif code is None or code == 429 or code >= 500:
        retry_at = now + timedelta(seconds=_backoff(item.attempts, outcome.retry_after))
        if item.attempts < current_app.config["PUSH_MAX_ATTEMPTS"] and \
                retry_at < item.valid_until:
            status = "pending"
            values["next_attempt_at"] = retry_at
        else:
            status = "failed"
    else:
        status = "failed"
    if status != "pending":
        values["next_attempt_at"] = None
    db.session.execute(update(PushSend).where(PushSend.id == item.send_id)
                       .values(status=status, **values), execution_options=BULK)
    if status == "gone":
        subscriptions.end_subscription(item.subscription_id)
    db.session.commit()
    if status != "accepted":
        log.info("push send %s: %s (%s %s)", item.send_id, status, code, outcome.error)
    return status


def send_due(notice_id: str | None = None, now: datetime | None = None,
             limit: int = 500) -> dict[str, int]:
    """Post every due pending send (of one notice, or all) once; returns counts by status."""
    now = now or utcnow()
    claimed = _claim(now, notice_id, limit)
    counts: dict[str, int] = {}
    if not claimed:
        return counts
    keys = current_keys()
    config = current_app.config
    topics = {item.notice_id: topic(item.notice_id) for item in claimed}
    with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(claimed))) as pool:
        futures = [(item, pool.submit(_post, item, now, keys.vapid, config["VAPID_SUBJECT"],
                                      topics[item.notice_id], config["PUSH_TIMEOUT_SECONDS"],
                                      config["PUSH_ORIGINS"]))
                   for item in claimed]
        for item, future in futures:
            status = _settle(item, future.result(), now)
            counts[status] = counts.get(status, 0) + 1
    return counts


def deliver_notice(notice: dict[str, Any], team_ids: set[int]) -> None:
    """Hand the notice to the push service for every subscription of the officers of the
    teams. Commits the session. Safe to call again: a recorded send is not repeated."""
    record_sends(notice, team_ids)
    send_due(notice_id=str(notice["id"]))


def retry_due_sends() -> str:
    """The scheduler job: sends whose retry time has come, in batches."""
    totals: dict[str, int] = {}
    for _ in range(20):
        counts = send_due()
        for status, count in counts.items():
            totals[status] = totals.get(status, 0) + count
        if sum(counts.values()) < 500:
            break
    return ", ".join(f"{status}: {count}" for status, count in sorted(totals.items())) or "-"


def purge_old_sends() -> int:
    """Forget sends of notices that ended more than PUSH_SENDS_KEEP_DAYS ago."""
    cutoff = utcnow() - timedelta(days=current_app.config["PUSH_SENDS_KEEP_DAYS"])
    removed = db.session.execute(delete(PushSend).where(PushSend.valid_until < cutoff),
                                 execution_options=BULK).rowcount
    db.session.commit()
    return removed


# -- counting ----------------------------------------------------------------------------

def sends_accepted(notice_id: str) -> int:
    """"Reached": sends the push service accepted (never per officer)."""
    return sends_accepted_many([notice_id]).get(notice_id, 0)


def sends_accepted_many(notice_ids: Iterable[str]) -> dict[str, int]:
    ids = sorted({str(n) for n in notice_ids})
    if not ids:
        return {}
    rows = db.session.execute(
        select(PushSend.notice_id, func.count()).where(
            PushSend.notice_id.in_(ids), PushSend.status == "accepted")
        .group_by(PushSend.notice_id)).all()
    return {notice_id: int(count) for notice_id, count in rows}
