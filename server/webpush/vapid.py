"""The VAPID key pair: one for every server process and host.

Subscriptions are bound to the public key (the browser's ``applicationServerKey``), so a
process signing with another key would have its pushes refused. Hence, in this order:
``WIJKPOST_VAPID_PRIVATE_KEY`` (PEM, or the base64url raw 32-byte scalar),
``WIJKPOST_VAPID_KEY_FILE`` (a PEM file that must exist: every host reads the same one),
or, with neither, ``vapid_private.pem`` in the instance folder, created at first need
(0600) so that ``make run`` works as it is.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from py_vapid import Vapid

from server.files import create_once

INSTANCE_KEY_FILE = "vapid_private.pem"


class VapidKeyError(RuntimeError):
    """The configured key cannot be read: a configuration error, named for the operator."""


@dataclass(frozen=True)
class VapidKeys:
    vapid: Vapid
    public_key: str  # base64url of the uncompressed P-256 point (applicationServerKey)
    source: str


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_b64(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def _from_pem(data: bytes, source: str) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise VapidKeyError(f"VAPID key in {source} is not a readable PEM key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise VapidKeyError(f"VAPID key in {source} is not a P-256 (prime256v1) key")
    return key


def parse_private_key(text: str, source: str) -> ec.EllipticCurvePrivateKey:
    """A PEM key, or the base64url raw 32-byte private scalar."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return _from_pem(text.encode(), source)
    try:
        raw = b64url_decode(text)
    except ValueError as exc:
        raise VapidKeyError(f"VAPID key in {source} is neither PEM nor base64url") from exc
    if len(raw) != 32:
        raise VapidKeyError(f"VAPID key in {source}: a raw key has 32 bytes, not {len(raw)}")
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError as exc:
        raise VapidKeyError(f"VAPID key in {source} is not a valid P-256 scalar") from exc


def private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def private_raw_b64(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def create_key_file(path: str) -> bool:
    """Write a new key to ``path`` (0600) unless one is there; False when it was.

    Written to a temporary file and linked into place, so two processes starting at once
    end up with the same key, never a half-written file.
    """
    if os.path.exists(path):
        return False  # no key generated for nothing
    return create_once(path, private_pem(ec.generate_private_key(ec.SECP256R1())))


def key_file_path(app: Flask) -> str:
    return app.config.get("VAPID_KEY_FILE") or os.path.join(app.instance_path, INSTANCE_KEY_FILE)


def load(app: Flask, create_configured: bool = False) -> VapidKeys:
    """The configured key pair (cached per app). Creates the instance key file at first
    need; creates a configured ``WIJKPOST_VAPID_KEY_FILE`` only for ``vapid-keys``."""
    cached = app.extensions.get("wijkpost_vapid")
    if cached is not None:
        return cached
    configured = app.config.get("VAPID_PRIVATE_KEY")
    if configured:
        key, source = parse_private_key(configured, "WIJKPOST_VAPID_PRIVATE_KEY"), "environment"
    else:
        path = key_file_path(app)
        if not app.config.get("VAPID_KEY_FILE") or create_configured:
            create_key_file(path)
        elif not os.path.isfile(path):
            # A server never invents this one: other hosts reading the path would not
            # share it. `flask --app server vapid-keys` creates it, once.
            raise VapidKeyError(f"WIJKPOST_VAPID_KEY_FILE {path} does not exist; "
                                "create it with `flask --app server vapid-keys`")
        try:
            with open(path, "rb") as handle:
                key = _from_pem(handle.read(), path)
        except OSError as exc:
            raise VapidKeyError(f"VAPID key file {path} cannot be read: {exc}") from exc
        source = path
    keys = VapidKeys(Vapid(key), public_b64(key), source)
    app.extensions["wijkpost_vapid"] = keys
    return keys


def current_keys() -> VapidKeys:
    return load(current_app._get_current_object())  # type: ignore[attr-defined]


def check_configuration(app: Flask, serving: bool) -> None:
    """A server fails at start-up, not at the first push, when a key is configured but
    unusable (CLI commands still start: ``vapid-keys`` creates a configured file)."""
    if serving and (app.config.get("VAPID_PRIVATE_KEY") or app.config.get("VAPID_KEY_FILE")):
        load(app)
    subject = app.config["VAPID_SUBJECT"]
    if not subject.startswith(("mailto:", "https://")):
        raise VapidKeyError("WIJKPOST_VAPID_SUBJECT must be a mailto: or https: URL")
