"""Moving pending read events into the chain, idempotently.

Each pending event carries a unique event id, also stored (unique) in ``audit_log``. A
round reads a batch of pending events, appends those whose event id is not in the chain
yet (checked after taking the chain head's lock, so two chainers never both append one),
commits, and only then deletes them from the pending store. A crash between the commit
and the delete leaves events that are in the chain and still pending: the next round
finds their ids in the chain and only deletes them. Nothing is lost, nothing doubled.

It runs in a thread of the server process (started at the first request), and on demand
in ``audit-verify`` and ``run-jobs``. A complete pull's event also carries the device's
last sync, which the chainer writes: a pull itself writes nothing.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import or_, update

from server import bulk
from server.audit import HEAD, append, pending
from server.counters import lock
from server.extensions import db
from server.models import Device

BATCH = 2000


def chain_pending(batch: int = BATCH) -> int:
    """Chain every pending event; returns how many were taken from the pending store."""
    store = pending.store()
    taken = 0
    while True:
        rows = store.take(batch)
        if not rows:
            return taken
        move(rows)
        store.delete([row[0] for row in rows])
        taken += len(rows)
        if len(rows) < batch:
            return taken


def move(rows: list[pending.Row]) -> int:
    """Step one: append the events not yet in the chain and commit; returns how many
    were appended. The rows stay pending until ``Store.delete``."""
    try:
        _set_last_sync(rows)
        lock(HEAD)
        ids = [row[1] for row in rows]
        found = bulk.rows(f"SELECT event_id FROM audit_log WHERE event_id IN "
                          f"{bulk.in_list(len(ids))}", ids)
        chained = {event_id for (event_id,) in found}
        fresh = [row[1:9] for row in rows if row[1] not in chained and row[5] != "sync"]
        append(fresh)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return len(fresh)


def _set_last_sync(rows: list[pending.Row]) -> None:
    """A device's last sync: the newest complete pull (only ever moved forward).

    Written before the head is locked: pushes and logins lock their device row before the
    chain head too, so PostgreSQL never sees the two locks taken in opposite orders.
    """
    latest: dict[str, str] = {}
    for row in rows:
        device_id, at, synced = row[4], row[2], row[9]
        if synced and device_id and at > latest.get(device_id, ""):
            latest[device_id] = at
    for device_id in sorted(latest):
        moment = datetime.fromisoformat(latest[device_id])
        db.session.execute(
            update(Device).where(Device.id == device_id, or_(
                Device.last_sync_at.is_(None), Device.last_sync_at < moment))
            .values(last_sync_at=moment))


class _Chainer:
    """One daemon thread per process chaining pending events every ``interval`` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: set[int] = set()

    def start(self, app: Flask) -> None:
        with self._lock:
            if id(app) in self._started:
                return
            self._started.add(id(app))
        interval = app.config["AUDIT_CHAIN_INTERVAL_S"]
        threading.Thread(target=self._run, args=(app, interval), name="audit-chainer",
                         daemon=True).start()

    @staticmethod
    def _run(app: Flask, interval: float) -> None:
        while True:
            time.sleep(interval)
            with app.app_context():
                try:
                    chain_pending()
                except Exception:  # noqa: BLE001 - kept pending; the next round retries
                    app.logger.exception("audit chainer")
                finally:
                    db.session.remove()


_chainer = _Chainer()


def start_chainer(app: Any = None) -> None:
    _chainer.start(app or current_app._get_current_object())  # type: ignore[attr-defined]
