"""The chain head anchored outside the database: ``<id> <mac>`` lines, appended after
every commit that extends the chain.

An append-only file (``WIJKPOST_AUDIT_ANCHOR``, default ``audit-anchor`` in the instance
folder; in production a file the database's users cannot write, e.g. on a log host), and,
with ``WIJKPOST_AUDIT_ANCHOR=syslog:[host:port]``, each line through syslog as well
(the file then stays in the instance folder for ``audit-verify``). Someone who truncates
the database chain and rebuilds it cannot make it reach an anchored id with the anchored
MAC without the key.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from typing import Any

from flask import Flask, current_app


def append(last_id: int, mac: str) -> None:
    """Record the head after its commit. O_APPEND makes each short line one write, so
    several processes can anchor into the same file."""
    line = f"{last_id} {mac}\n"
    path = current_app.config["AUDIT_ANCHOR_FILE"]
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
    handler = _syslog(current_app)
    if handler is not None:
        handler.emit(logging.LogRecord("wijkpost.audit", logging.INFO, __file__, 0,
                                       "wijkpost audit anchor %s", (line.strip(),), None))


def read(path: str) -> tuple[dict[int, str], int | None]:
    """Anchored id -> MAC, and the number of the first unreadable line (None if none)."""
    anchors: dict[int, str] = {}
    if not os.path.exists(path):
        return anchors, None
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.split()
            if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 64:
                return anchors, number
            entry_id = int(parts[0])
            if anchors.get(entry_id, parts[1]) != parts[1]:
                return anchors, number  # one id anchored with two MACs
            anchors[entry_id] = parts[1]
    return anchors, None


def _syslog(app: Flask) -> logging.Handler | None:
    target = app.config.get("AUDIT_ANCHOR_SYSLOG")
    if target is None:
        return None
    handler = app.extensions.get("wijkpost_audit_syslog")
    if handler is None:
        if target:
            host, _, port = target.rpartition(":")
            address: Any = (host or target, int(port) if port.isdigit() else 514)
        else:
            address = "/dev/log" if os.path.exists("/dev/log") else ("localhost", 514)
        handler = logging.handlers.SysLogHandler(
            address=address, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV)
        app.extensions["wijkpost_audit_syslog"] = handler
    return handler
