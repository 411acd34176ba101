"""Configuration from the environment; defaults make `make run` work with no set-up."""

from __future__ import annotations

import os
from typing import Any

import orjson

from server.extensions import json_dumps
from server.files import create_once

# The push services of Chrome/Edge/Android (FCM), Firefox, Safari/iOS and Windows (WNS).
# ``*`` stands for exactly one DNS label, and only as the first label of an https origin.
DEFAULT_PUSH_ENDPOINTS = ",".join((
    "https://fcm.googleapis.com",
    "https://updates.push.services.mozilla.com",
    "https://web.push.apple.com",
    "https://*.notify.windows.com",
))


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def from_environment(instance_path: str) -> dict[str, Any]:
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
        or f"sqlite:///{os.path.join(instance_path, 'wijkpost.db')}",
        # A device token stays valid for one shift plus margin, then the officer logs in again.
        "TOKEN_LIFETIME_HOURS": _int("WIJKPOST_TOKEN_LIFETIME_HOURS", 14),
        "RETENTION_DAYS_REGISTRATIONS": _int("WIJKPOST_RETENTION_DAYS", 5 * 365),
        "ATTACHMENT_MAX_BYTES": _int("WIJKPOST_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        "ATTACHMENT_DIR": os.environ.get("WIJKPOST_ATTACHMENT_DIR")
        or os.path.join(instance_path, "attachments"),
        "PUSH_MAX_OPS": _int("WIJKPOST_PUSH_MAX_OPS", 500),
        # Whole JSON bodies, refused with 413 before parsing: a push batch (the PWA sends at
        # most 100 ops of a few kB each), and every other body (login, review, resolve).
        "PUSH_MAX_BYTES": _int("WIJKPOST_PUSH_MAX_BYTES", 8 * 1024 * 1024),
        "JSON_MAX_BYTES": _int("WIJKPOST_JSON_MAX_BYTES", 64 * 1024),
        # Bounded work per record (DESIGN.md §8): entries of one list (tombstones count),
        # values in one open conflict, bytes of a record's data as JSON.
        "MAX_GROUP_ITEMS": _int("WIJKPOST_MAX_GROUP_ITEMS", 200),
        "MAX_CONFLICT_VALUES": _int("WIJKPOST_MAX_CONFLICT_VALUES", 16),
        "MAX_RECORD_BYTES": _int("WIJKPOST_MAX_RECORD_BYTES", 256 * 1024),
        # PostgreSQL: a pooled connection unused for longer is pinged before use
        "DATABASE_PING_AFTER_IDLE_S": float(os.environ.get("WIJKPOST_DB_PING_AFTER_IDLE_S")
                                            or 1.0),
        "PULL_MAX_LIMIT": _int("WIJKPOST_PULL_MAX_LIMIT", 1000),
        "RATELIMIT_STORAGE_URI": os.environ.get("WIJKPOST_RATELIMIT_STORAGE", "memory://"),
        "LOGIN_RATE_PER_USER": os.environ.get("WIJKPOST_LOGIN_RATE_USER", "5 per minute"),
        "LOGIN_RATE_PER_ADDRESS": os.environ.get("WIJKPOST_LOGIN_RATE_ADDRESS", "30 per minute"),
        # Key-encryption keys for device keys at rest: "kid:<base64 32 bytes>[,older…]".
        "KEK": os.environ.get("WIJKPOST_KEK", ""),
        "ARGON2_TIME_COST": _int("WIJKPOST_ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_KIB": _int("WIJKPOST_ARGON2_MEMORY_KIB", 65536),
        "PWA_DIST": os.environ.get("WIJKPOST_PWA_DIST")
        or os.path.join(os.path.dirname(os.path.dirname(__file__)), "pwa", "dist"),
        # Whole request bodies: an attachment plus headroom; push batches are capped by count.
        "MAX_CONTENT_LENGTH": _int("WIJKPOST_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024) + 65536,
        # SQLite: checkpoint the write-ahead log in a thread, off the request path.
        "SQLITE_CHECKPOINT_THREAD": os.environ.get("WIJKPOST_SQLITE_CHECKPOINT_THREAD",
                                                   "1") == "1",
        # Audit: the MAC key (else a key file made in the instance folder), where the chain
        # head is anchored (a file, or "syslog:[host:port]" as well), and the chainer thread.
        "AUDIT_KEY": os.environ.get("WIJKPOST_AUDIT_KEY") or None,
        **anchor_settings(os.environ.get("WIJKPOST_AUDIT_ANCHOR"), instance_path),
        "AUDIT_PENDING_PATH": os.environ.get("WIJKPOST_AUDIT_PENDING") or None,
        # SQLite: "full" fsyncs each read's audit event before the answer; "normal" makes
        # it as durable as the database's own commits (synchronous=NORMAL).
        "AUDIT_PENDING_SYNC": os.environ.get("WIJKPOST_AUDIT_PENDING_SYNC", "normal").lower(),
        "AUDIT_CHAINER_THREAD": os.environ.get("WIJKPOST_AUDIT_CHAINER_THREAD", "1") == "1",
        "AUDIT_CHAIN_INTERVAL_S": float(os.environ.get("WIJKPOST_AUDIT_CHAIN_INTERVAL_S")
                                        or 0.5),
        # Briefings, areas, hotspots (see README: Configuration)
        "BRIEFING_MAX_ITEMS": _int("WIJKPOST_BRIEFING_MAX_ITEMS", 50),
        "BRIEFING_RADIUS_M": _int("WIJKPOST_BRIEFING_RADIUS_M", 500),
        "BRIEFING_DAYS": _int("WIJKPOST_BRIEFING_DAYS", 14),
        "AREA_MAX_VERTICES": _int("WIJKPOST_AREA_MAX_VERTICES", 5000),
        "HOTSPOT_DAYS": _int("WIJKPOST_HOTSPOT_DAYS", 28),
        "HOTSPOT_EPS_M": _int("WIJKPOST_HOTSPOT_EPS_M", 150),
        "HOTSPOT_MIN_COUNT": _int("WIJKPOST_HOTSPOT_MIN_COUNT", 5),
        # Map tiles and addresses through the server, from PDOK
        "TILE_URL": os.environ.get("WIJKPOST_TILE_URL") or
        "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/"
        "{z}/{x}/{y}.png",
        "GEOCODE_URL": os.environ.get("WIJKPOST_GEOCODE_URL") or
        "https://api.pdok.nl/bzk/locatieserver/search/v3_1/reverse",
        "PDOK_TIMEOUT_S": float(os.environ.get("WIJKPOST_PDOK_TIMEOUT_S") or 2),
        "TILE_MIN_ZOOM": _int("WIJKPOST_TILE_MIN_ZOOM", 6),
        "TILE_MAX_ZOOM": _int("WIJKPOST_TILE_MAX_ZOOM", 19),
        "TILE_CACHE_DIR": os.environ.get("WIJKPOST_TILE_CACHE_DIR")
        or os.path.join(instance_path, "tiles"),
        "TILE_CACHE_MB": _int("WIJKPOST_TILE_CACHE_MB", 200),
        "TILE_CACHE_DAYS": _int("WIJKPOST_TILE_CACHE_DAYS", 30),
        # What a device keeps offline of its own wijk's map (GET /api/tiles/offline)
        "OFFLINE_TILES_MB": float(os.environ.get("WIJKPOST_OFFLINE_TILES_MB") or 50),
        "OFFLINE_TILES_MIN_ZOOM": _int("WIJKPOST_OFFLINE_TILES_MIN_ZOOM", 12),
        "OFFLINE_TILES_MAX_ZOOM": _int("WIJKPOST_OFFLINE_TILES_MAX_ZOOM", 18),
        "BEHIND_PROXY": os.environ.get("WIJKPOST_BEHIND_PROXY", "") == "1",
        # Scheduled jobs run in the server process (one leader among all processes).
        "SCHEDULER_ENABLED": os.environ.get("WIJKPOST_SCHEDULER", "1") == "1",
        "SCHEDULER_LEADER_RETRY_SECONDS": _int("WIJKPOST_SCHEDULER_LEADER_RETRY_SECONDS", 15),
        # Web Push (server/webpush): one VAPID key for every process and host.
        "VAPID_PRIVATE_KEY": os.environ.get("WIJKPOST_VAPID_PRIVATE_KEY") or None,
        "VAPID_KEY_FILE": os.environ.get("WIJKPOST_VAPID_KEY_FILE") or None,
        "VAPID_SUBJECT": os.environ.get("WIJKPOST_VAPID_SUBJECT", "mailto:wijkpost@localhost"),
        "PUSH_ENDPOINTS": os.environ.get("WIJKPOST_PUSH_ENDPOINTS") or DEFAULT_PUSH_ENDPOINTS,
        "PUSH_TIMEOUT_SECONDS": _int("WIJKPOST_PUSH_TIMEOUT_SECONDS", 10),
        "PUSH_MAX_ATTEMPTS": _int("WIJKPOST_PUSH_MAX_ATTEMPTS", 6),
        "PUSH_RETRY_BASE_SECONDS": _int("WIJKPOST_PUSH_RETRY_BASE_SECONDS", 30),
        "PUSH_RETRY_JOB_SECONDS": _int("WIJKPOST_PUSH_RETRY_JOB_SECONDS", 30),
        "PUSH_SENDS_KEEP_DAYS": _int("WIJKPOST_PUSH_SENDS_KEEP_DAYS", 90),
        "API_TITLE": "Wijkpost",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "json_serializer": json_dumps,
            "json_deserializer": orjson.loads,
        },
    }


def anchor_settings(value: str | None, instance_path: str) -> dict[str, Any]:
    """``WIJKPOST_AUDIT_ANCHOR``: a file path, or ``syslog:[host:port]`` to send each
    anchor through syslog as well (the file then stays in the instance folder)."""
    default = os.path.join(instance_path, "audit-anchor")
    if value and value.startswith("syslog:"):
        return {"AUDIT_ANCHOR_FILE": default, "AUDIT_ANCHOR_SYSLOG": value[len("syslog:"):]}
    return {"AUDIT_ANCHOR_FILE": value or default, "AUDIT_ANCHOR_SYSLOG": None}


def _instance_secret(instance_path: str) -> str:
    """A random secret kept in the instance folder, so restarts keep it."""
    path = os.path.join(instance_path, "secret_key")
    create_once(path, os.urandom(32).hex().encode())
    with open(path) as handle:
        return handle.read().strip()
