"""The audit MAC key: a secret kept outside the database.

``WIJKPOST_AUDIT_KEY`` (config ``AUDIT_KEY``) names it; without it a random key is made
at first need in the instance folder (mode 0600), so an insider who can only reach the
database cannot recompute a valid chain.
"""

from __future__ import annotations

import os

from flask import current_app

from server.files import create_once

KEY_FILE = "audit_key"


def audit_key() -> bytes:
    cached = current_app.extensions.get("wijkpost_audit_key")
    if cached is None:
        configured = current_app.config.get("AUDIT_KEY")
        cached = (configured.encode() if configured
                  else _key_file(os.path.join(current_app.instance_path, KEY_FILE)))
        current_app.extensions["wijkpost_audit_key"] = cached
    return cached


def _key_file(path: str) -> bytes:
    create_once(path, os.urandom(32).hex().encode())
    with open(path) as handle:
        key = handle.read().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: restore the audit key")
    return key.encode()
