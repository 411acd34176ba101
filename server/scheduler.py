"""Scheduled jobs: a registry, run by one leader among all server processes.

Modules plug their jobs in with ``register_job(name, func, seconds)`` before the app
factory ends (``func`` takes no arguments and runs inside an app context; what it returns
is printed by ``run-jobs``). Every process serving the app runs an APScheduler
``BackgroundScheduler``; only the process holding the leadership runs the jobs:

- PostgreSQL: a session-level ``pg_try_advisory_lock`` on a connection of its own, held
  for as long as the process leads (the lock ends with the connection, so a killed leader
  frees it at once; before each run the leader checks that its connection still lives);
- SQLite: an exclusive ``flock`` on a file next to the database file (in the instance
  folder by default), released when the process ends.

A process that does not lead tries again every ``SCHEDULER_LEADER_RETRY_SECONDS``.
Jobs must still be safe to run twice at once (``run-jobs`` from cron does not ask for
the leadership, and a leader that lost its connection stops only at its next check).

The scheduler starts from the app factory when ``WIJKPOST_SCHEDULER`` is ``1`` (the
default) and the app is being served (gunicorn, ``flask run``), never for other CLI
commands; the tests switch it off. With gunicorn do not use ``preload_app``: the
scheduler's thread would stay in the master process.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from server.extensions import db

log = logging.getLogger(__name__)

# The advisory lock's key: any fixed 64-bit number; derived from a name to be recognisable.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"wijkpost-scheduler").digest()[:8], "big",
                          signed=True)


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], Any]
    seconds: int


_jobs: dict[str, Job] = {}


def register_job(name: str, func: Callable[[], Any], seconds: int) -> None:
    """Run ``func`` every ``seconds`` on the leader (a new registration of a name
    replaces the old one). A notice-dispatch job needs ``seconds`` ≤ 30 so a due notice
    reaches the push service within a minute of its send time."""
    if seconds <= 0:
        raise ValueError("a job's interval must be positive")
    _jobs[name] = Job(name, func, seconds)


def registered_jobs() -> list[Job]:
    return list(_jobs.values())


def run_job(app: Flask, job: Job) -> Any:
    with app.app_context():
        try:
            return job.func()
        finally:
            db.session.remove()


def run_all(app: Flask) -> list[tuple[str, bool, Any]]:
    """Every registered job once, in registration order: (name, ok, result or error)."""
    outcomes: list[tuple[str, bool, Any]] = []
    for job in registered_jobs():
        try:
            outcomes.append((job.name, True, run_job(app, job)))
        except Exception as exc:  # one failing job must not keep the others from running
            log.exception("job %s failed", job.name)
            outcomes.append((job.name, False, f"{type(exc).__name__}: {exc}"))
    return outcomes


# -- leadership --------------------------------------------------------------------------

class Leadership:
    def acquire(self) -> bool:
        """Lead if possible; True while this process leads."""
        raise NotImplementedError

    def held(self) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError


class AdvisoryLockLeadership(Leadership):
    """PostgreSQL: a session advisory lock on a dedicated connection (not from the pool)."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url, poolclass=NullPool)
        self._conn: Connection | None = None
        self._leading = False
        # The leadership and job threads share the one connection.
        self._mutex = threading.RLock()

    def acquire(self) -> bool:
        with self._mutex:
            return self._acquire()

    def _acquire(self) -> bool:
        if self._held():
            return True
        try:
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT")
            self._leading = bool(self._conn.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar())
        except SQLAlchemyError:
            log.warning("scheduler: cannot reach the database for the leader lock")
            self._close()
        return self._leading

    def held(self) -> bool:
        with self._mutex:
            return self._held()

    def _held(self) -> bool:
        if not self._leading or self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))  # the lock lives as long as this session
            return True
        except SQLAlchemyError:
            log.warning("scheduler: leader connection lost; no longer leading")
            self._close()
            return False

    def _close(self) -> None:
        self._leading = False
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None

    def release(self) -> None:
        with self._mutex:
            self._close()  # closing the session frees the lock
        self._engine.dispose()


class FileLockLeadership(Leadership):
    """SQLite: an exclusive flock; two opens of the file conflict even in one process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor frees the lock
            self._fd = None


def leadership_for(app: Flask) -> Leadership:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        return AdvisoryLockLeadership(url.render_as_string(hide_password=False))
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        # Next to the database: every process on this database contends for the same lock.
        return FileLockLeadership(os.path.abspath(database) + ".scheduler-lock")
    return FileLockLeadership(os.path.join(app.instance_path, "scheduler.lock"))


# -- the scheduler -----------------------------------------------------------------------

class Scheduler:
    def __init__(self, app: Flask, leadership: Leadership) -> None:
        self.app = app
        self.leadership = leadership
        self._aps = BackgroundScheduler(timezone=UTC, daemon=True)
        self.leading = False

    def start(self) -> None:
        now = datetime.now(UTC)
        self._aps.add_job(self._lead, "interval", id="leadership", next_run_time=now,
                          seconds=self.app.config["SCHEDULER_LEADER_RETRY_SECONDS"],
                          max_instances=1, coalesce=True)
        self._aps.start()
        atexit.register(self.shutdown)

    def _sync_jobs(self) -> None:
        """Add jobs registered since the last look (their first run is soon after)."""
        soon = datetime.now(UTC) + timedelta(seconds=1)
        for job in registered_jobs():
            if self._aps.get_job(job.name) is None:
                self._aps.add_job(self._run, "interval", args=[job.name], id=job.name,
                                  seconds=job.seconds, next_run_time=soon,
                                  max_instances=1, coalesce=True, misfire_grace_time=None)

    def _lead(self) -> None:
        leading = self.leadership.acquire()
        if leading != self.leading:
            log.info("scheduler (pid %s): %s", os.getpid(),
                     "leading: jobs run here" if leading else "not leading")
            self.leading = leading
        if leading:
            self._sync_jobs()

    def _run(self, name: str) -> None:
        if not self.leadership.held():
            self.leading = False  # _lead tries to take it back at its next tick
            return
        job = _jobs.get(name)
        if job is None:
            return
        try:
            result = run_job(self.app, job)
            log.debug("job %s: %s", name, result)
        except Exception:
            log.exception("job %s failed", name)

    def shutdown(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=False)
        self.leadership.release()
        self.leading = False


def serving() -> bool:
    """True under a WSGI server or ``flask run``; False for every other CLI command."""
    ctx = click.get_current_context(silent=True)
    return ctx is None or ctx.info_name == "run"


def init_app(app: Flask) -> Scheduler | None:
    """Start the scheduler when enabled and serving; kept in ``app.extensions``."""
    if not app.config.get("SCHEDULER_ENABLED") or not serving():
        return None
    scheduler = Scheduler(app, leadership_for(app))
    scheduler.start()
    app.extensions["wijkpost_scheduler"] = scheduler
    return scheduler
