"""Configuration from the environment; defaults make `make run` work with no set-up."""

from __future__ import annotations

import os
from typing import Any

import orjson

from server.extensions import json_dumps


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
        "PULL_MAX_LIMIT": _int("WIJKPOST_PULL_MAX_LIMIT", 1000),
        "RATELIMIT_STORAGE_URI": os.environ.get("WIJKPOST_RATELIMIT_STORAGE", "memory://"),
        "LOGIN_RATE_PER_USER": os.environ.get("WIJKPOST_LOGIN_RATE_USER", "5 per minute"),
        "LOGIN_RATE_PER_ADDRESS": os.environ.get("WIJKPOST_LOGIN_RATE_ADDRESS", "30 per minute"),
        "ARGON2_TIME_COST": _int("WIJKPOST_ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_KIB": _int("WIJKPOST_ARGON2_MEMORY_KIB", 65536),
        "PWA_DIST": os.environ.get("WIJKPOST_PWA_DIST")
        or os.path.join(os.path.dirname(os.path.dirname(__file__)), "pwa", "dist"),
        # Whole request bodies: an attachment plus headroom; push batches are capped by count.
        "MAX_CONTENT_LENGTH": _int("WIJKPOST_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024) + 65536,
        # SQLite: checkpoint the write-ahead log in a thread, off the request path.
        "SQLITE_CHECKPOINT_THREAD": os.environ.get("WIJKPOST_SQLITE_CHECKPOINT_THREAD",
                                                   "1") == "1",
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
        "BEHIND_PROXY": os.environ.get("WIJKPOST_BEHIND_PROXY", "") == "1",
        "API_TITLE": "Wijkpost",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True,
            "json_serializer": json_dumps,
            "json_deserializer": orjson.loads,
        },
    }


def _instance_secret(instance_path: str) -> str:
    """A random secret kept in the instance folder, so restarts keep it."""
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(os.urandom(32).hex())
    with open(path) as handle:
        return handle.read().strip()
