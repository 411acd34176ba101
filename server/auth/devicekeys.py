"""Device keys at rest: AES-256-GCM under a key-encryption key (KEK) with a key id.

``WIJKPOST_KEK`` is ``kid:<base64 of 32 bytes>[,kid:<older key>…]``, the same on every host:
the first key seals, every listed key opens, so a rotation keeps older device keys
readable until each is sealed again under the new key (at its device's next login, or by
``flask rewrap-device-keys``). Without ``WIJKPOST_KEK`` a key is made at first need in the
instance folder (``device_kek``, 0600); it stays readable after a KEK is configured.

Stored as ``<kid>:<nonce>:<ciphertext>`` (base64url); the device id is the associated data,
so a value copied to another device's row does not open. A value without ``:`` is a
plaintext key from before encryption: read as is, sealed at the next login.

A device's key never changes (the PWA wipes a store it cannot unwrap, unsent work
included): a key that cannot be opened is an error for the operator, never a new key.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import sys
from dataclasses import dataclass

import click
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from server.files import create_once

KEY_FILE = "device_kek"
_KID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_NONCE_BYTES = 12
_URLSAFE = str.maketrans("-_", "+/")


class KeyUnavailable(Exception):
    """A stored device key names a KEK this server does not have, or does not open."""


@dataclass(frozen=True, slots=True)
class Keyring:
    current: str
    keys: dict[str, bytes]


def parse_kek(text: str) -> list[tuple[str, bytes]]:
    """``kid:<base64>`` pairs, current first; a ValueError names what is wrong."""
    pairs: list[tuple[str, bytes]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        kid, sep, encoded = part.partition(":")
        if not sep or not _KID.fullmatch(kid):
            raise ValueError("WIJKPOST_KEK: each key is <kid>:<base64>, kid of A-Z a-z 0-9 _ -")
        try:  # standard or URL-safe alphabet, padded or not
            key = base64.b64decode(encoded.translate(_URLSAFE) + "=" * (-len(encoded) % 4),
                                   validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"WIJKPOST_KEK: key {kid} is not base64") from exc
        if len(key) != 32:
            raise ValueError(f"WIJKPOST_KEK: key {kid} must be 32 bytes (AES-256)")
        if any(kid == seen for seen, _ in pairs):
            raise ValueError(f"WIJKPOST_KEK: key id {kid} appears twice")
        pairs.append((kid, key))
    return pairs


def init_app(app: Flask) -> None:
    """Check WIJKPOST_KEK at start: a typo fails the start, not a login an hour later."""
    app.extensions["wijkpost_kek"] = parse_kek(app.config.get("KEK") or "")
    app.cli.add_command(rewrap_command)


@click.command("rewrap-device-keys")
@with_appcontext
def rewrap_command() -> None:
    """Seal every device key under the current KEK (after a rotation or an upgrade)."""
    done, failed = rewrap_all()
    click.echo(f"{done} apparaatsleutels opnieuw versleuteld.")
    if failed:
        click.echo(f"Niet te openen (onbekende of verkeerde sleutel): {', '.join(failed)}")
        sys.exit(1)


def rewrap_all() -> tuple[int, list[str]]:
    """(keys sealed again, ids of devices whose key does not open); one transaction."""
    from server.extensions import db
    from server.models import Device

    done, failed = 0, []
    for device in db.session.execute(
            select(Device).where(Device.device_key.is_not(None))).scalars():
        if is_current(device.device_key):
            continue
        try:
            device.device_key = seal(device.id, open_key(device.id, device.device_key))
            done += 1
        except KeyUnavailable:
            failed.append(device.id)
    db.session.commit()
    return done, failed


def _keyring() -> Keyring:
    app = current_app
    ring = app.extensions.get("wijkpost_keyring")
    if ring is None:
        configured: list[tuple[str, bytes]] = app.extensions["wijkpost_kek"]
        local = _instance_key(app, create=not configured)
        pairs = configured + [p for p in [local] if p and p[0] not in dict(configured)]
        ring = Keyring(current=pairs[0][0], keys=dict(pairs))
        app.extensions["wijkpost_keyring"] = ring
    return ring


def _instance_key(app: Flask, create: bool) -> tuple[str, bytes] | None:
    path = os.path.join(app.instance_path, KEY_FILE)
    if create and not os.path.exists(path):
        kid = "i" + secrets.token_hex(4)  # random: two hosts' own keys never share an id
        line = f"{kid}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}\n"
        create_once(path, line.encode())
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        [pair] = parse_kek(handle.read())
    return pair


def new_key() -> str:
    return secrets.token_urlsafe(32)


def seal(device_id: str, key: str) -> str:
    ring = _keyring()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(ring.keys[ring.current]).encrypt(nonce, key.encode(), device_id.encode())
    return f"{ring.current}:{_b64(nonce)}:{_b64(sealed)}"


def open_key(device_id: str, stored: str) -> str:
    if ":" not in stored:
        return stored  # plaintext from before encryption at rest
    kid, _, rest = stored.partition(":")
    nonce, _, sealed = rest.partition(":")
    key = _keyring().keys.get(kid)
    if key is None:
        raise KeyUnavailable(f"no key-encryption key with id {kid}")
    try:
        return AESGCM(key).decrypt(_unb64(nonce), _unb64(sealed), device_id.encode()).decode()
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise KeyUnavailable(f"device key under {kid} does not open") from exc


def is_current(stored: str) -> bool:
    """Sealed under the current KEK (so nothing to redo at login)."""
    return stored.startswith(_keyring().current + ":")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
