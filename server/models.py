"""Database tables. Registrations keep their merge state in JSON next to their data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything is stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime | str | None) -> str | None:
    """ISO 8601 with the UTC offset, for every time the API returns: ``isoformat()``'s
    text, written by orjson. ``isoformat`` formats each field with the C library's
    ``sprintf``, which numpy's bundled libquadmath (shapely loads numpy) sends down a slow
    path for the whole process: 2.8 µs a time against orjson's 0.4, twice per
    registration in a pull page (tests/unit/test_iso.py holds them equal)."""
    if moment is None or isinstance(moment, str):
        return moment
    return orjson.dumps(aware(moment))[1:-1].decode()


class Team(db.Model):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    team: Mapped[Team | None] = relationship(lazy="joined")


class Device(db.Model):
    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Wraps the device's local data key; dropped on revocation so the store cannot open.
    # "<kid>:<nonce>:<ciphertext>" (server/auth/devicekeys.py); None once revoked.
    device_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Token(db.Model):
    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Registration(db.Model):
    __tablename__ = "registrations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    rev: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    conflicts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    amendments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    review: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    open_conflicts: Mapped[int] = mapped_column(Integer, default=0)
    # Location in plain columns so a spatial index (R*Tree / PostGIS) can cover them.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy: Mapped[float | None] = mapped_column(Float)
    rd_x: Mapped[float | None] = mapped_column(Float)
    rd_y: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # the review queue: oldest submission first, paged on (submitted_at, id); a draft
        # never submitted has no entry (each queue query asks for submitted_at)
        Index("ix_registrations_queue", "team_id", "status", "submitted_at", "id",
              sqlite_where=text("submitted_at IS NOT NULL"),
              postgresql_where=text("submitted_at IS NOT NULL")),
        # the list's default order: newest first, paged on (created_at, id); also how the
        # retention purge finds what expired (server.cli.expired_registrations)
        Index("ix_registrations_team_created", "team_id", "created_at", "id"),
    )


class Revision(db.Model):
    """Every accepted change: who, from which device, when, and what it set."""

    __tablename__ = "revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[str] = mapped_column(ForeignKey("registrations.id"))
    rev: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hlc: Mapped[str | None] = mapped_column(String(100))
    op_id: Mapped[str | None] = mapped_column(String(64))
    # op | review | resolve | amendment | amendment_accept | amendment_file
    kind: Mapped[str] = mapped_column(String(20))
    set: Mapped[dict[str, Any]] = mapped_column(JSON)
    # paths of an op whose values lost on HLC (they are in ``set`` and the open conflict)
    lost: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (UniqueConstraint("registration_id", "rev"),)


class ProcessedOp(db.Model):
    """Idempotency: an op_id is processed once; a retry gets the first result back."""

    __tablename__ = "processed_ops"
    op_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(36))
    # Only for an op that left no revision (rejected, or a status set again), so that
    # retention removes it with its registration; the others it finds through their
    # revision's op_id. Most ops then add no entry to the index below, one B-tree insert
    # less per op in the push.
    record_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_processed_ops_unrevised", "record_id",
              sqlite_where=text("record_id IS NOT NULL"),
              postgresql_where=text("record_id IS NOT NULL")),
        # SQLite: the op id is the table's key, one B-tree an insert writes instead of two
        {"sqlite_with_rowid": False},
    )


class Attachment(db.Model):
    __tablename__ = "attachments"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AttachmentRight(db.Model):
    """A user who uploaded these bytes: only they (and readers of a registration that
    links the photo) may link or download it by its hash."""

    __tablename__ = "attachment_rights"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TeamSubstitute(db.Model):
    """A teamleider of another team named to read and review this team's registrations."""

    __tablename__ = "team_substitutes"
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    named_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    named_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RegistrationAttachment(db.Model):
    """Which registrations refer to an attachment: who may read it follows from this."""

    __tablename__ = "registration_attachments"
    registration_id: Mapped[str] = mapped_column(
        ForeignKey("registrations.id"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


EVERY_TEAM = 0  # changes.team_id of an entity every team sees (team ids start at 1)


class Change(db.Model):
    """The change log pull reads: the latest position of every (entity, team) pair.

    An entity several teams see (a notice for two teams) has one row per team; a team
    that lost it keeps a row with ``removed`` so its next pull says ``remove``. A team
    id of EVERY_TEAM (0, not NULL: NULLs never match a unique key) means every team.
    """

    __tablename__ = "changes"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int] = mapped_column(Integer, default=EVERY_TEAM)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("entity", "entity_id", "team_id", name="uq_changes_entity_team"),
        Index("ix_changes_team_seq", "team_id", "seq"),
    )


class Counter(db.Model):
    """Single-row counters (change sequence, audit chain head) locked until commit."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    text: Mapped[str | None] = mapped_column(String(128), nullable=True)


class AuditEntry(db.Model):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(Integer)
    device_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str | None] = mapped_column(String(20))
    entity_ids: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    # Unique per event, so chaining a pending event twice is impossible (None: legacy rows).
    event_id: Mapped[str | None] = mapped_column(String(36), nullable=True, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # The entry's HMAC-SHA256 (plain SHA-256 for entries before the audit_legacy counter).
    hash: Mapped[str] = mapped_column(String(64))


class PushSubscription(db.Model):
    """A browser's Web Push subscription: one per device, bound to the device's user."""

    __tablename__ = "push_subscriptions"
    # Random, never reused: a send recorded for an ended subscription must not match a new one.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), unique=True)
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PushSend(db.Model):
    """One send of a notice to one subscription, recorded before the request goes out.

    The notice's title, priority and validity are copied so a retry needs nothing else.
    """

    __tablename__ = "push_sends"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[str] = mapped_column(String(64))
    subscription_id: Mapped[str] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(500))
    priority: Mapped[int] = mapped_column(Integer)
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10))  # pending | accepted | failed | gone
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("notice_id", "subscription_id"),
        Index("ix_push_sends_due", "status", "next_attempt_at"),
    )


class AuditPending(db.Model):
    """Read events made durable at once, waiting for the chainer (PostgreSQL; SQLite keeps
    them in a file of their own, see server/audit/pending.py)."""

    __tablename__ = "audit_pending"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    at: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(Integer)
    device_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str | None] = mapped_column(String(20))
    entity_ids: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    synced: Mapped[bool] = mapped_column(Boolean, default=False)


class RdBox:
    """An RD New bounding box: the plain B-tree fallback where no spatial index exists
    (of an area's shape, or of a notice's area or circle)."""

    min_x: Mapped[float] = mapped_column(Float)
    max_x: Mapped[float] = mapped_column(Float)
    min_y: Mapped[float] = mapped_column(Float)
    max_y: Mapped[float] = mapped_column(Float)


class Area(RdBox, db.Model):
    """A team's wijk or an area of attention: GeoJSON in WGS84, RD New for distances."""

    __tablename__ = "areas"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # wijk | attention
    reason: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    geometry_rd: Mapped[bytes] = mapped_column(LargeBinary)  # WKB, EPSG:28992
    rev: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When the change log took it off the devices (ended, no live notice on it); None
    # while devices hold it. The retract job finds the ended ones not yet taken off.
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_areas_team", "team_id"),
        Index("ix_areas_bbox", "min_x", "max_x", "min_y", "max_y"),
        Index("ix_areas_retract", "retracted_at", "valid_until"),
    )


class Notice(RdBox, db.Model):
    """An area notice from a beheerder: on an area, or on a point with a radius."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), nullable=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)
    priority: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    send_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rev: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When the change log took it off the devices (valid_until passed); None while live.
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_notices_due", "dispatched_at", "send_at"),
        Index("ix_notices_retract", "retracted_at", "valid_until"),
        Index("ix_notices_bbox", "min_x", "max_x", "min_y", "max_y"),
    )


class NoticeTeam(db.Model):
    """The teams a notice concerns, computed from its area or point when it is written."""

    __tablename__ = "notice_teams"
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True, index=True)


class Hotspot(db.Model):
    """A cluster of a team's recent registrations of one type (computed by a job)."""

    __tablename__ = "hotspots"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    type: Mapped[str] = mapped_column(String(10))
    count: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    rd_x: Mapped[float] = mapped_column(Float)
    rd_y: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float] = mapped_column(Float)  # extent: farthest member from the centre
    member_ids: Mapped[list[str]] = mapped_column(JSON)  # to keep the id when it moves
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rev: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
