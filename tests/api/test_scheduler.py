"""The job registry, ``run-jobs``, and the leadership locks on their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from server import scheduler
from server.scheduler import AdvisoryLockLeadership, FileLockLeadership, leadership_for
from tests.conftest import PG_URL


@pytest.fixture
def jobs() -> Any:
    before = dict(scheduler._jobs)
    yield
    scheduler._jobs.clear()
    scheduler._jobs.update(before)


def test_run_jobs_runs_the_others_when_one_fails_and_exits_1(app: Flask, jobs: Any) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("kapot")

    scheduler.register_job("kapot", broken, 30)
    scheduler.register_job("heel", lambda: ran.append("heel") or 3, 30)
    result = app.test_cli_runner().invoke(args=["run-jobs"])
    assert result.exit_code == 1
    assert "kapot: MISLUKT: RuntimeError: kapot" in result.output
    assert "heel: 3" in result.output and ran == ["heel"]


def test_a_job_needs_a_positive_interval(jobs: Any) -> None:
    with pytest.raises(ValueError):
        scheduler.register_job("nooit", lambda: None, 0)


def test_file_lock_has_one_holder_until_released(tmp_path: Path) -> None:
    first = FileLockLeadership(str(tmp_path / "db.scheduler-lock"))
    second = FileLockLeadership(str(tmp_path / "db.scheduler-lock"))
    assert first.acquire() and first.held()
    assert not second.acquire() and not second.held()
    first.release()
    assert second.acquire()
    assert not first.acquire()
    second.release()


def test_sqlite_lock_sits_next_to_the_database(app: Flask) -> None:
    if PG_URL:
        assert isinstance(leadership_for(app), AdvisoryLockLeadership)
        return
    lock = leadership_for(app)
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    assert isinstance(lock, FileLockLeadership) and lock.path == database + ".scheduler-lock"


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (WIJKPOST_TEST_DATABASE_URL)")
def test_advisory_lock_one_holder_and_a_lost_connection_ends_leadership() -> None:
    first, second = AdvisoryLockLeadership(PG_URL), AdvisoryLockLeadership(PG_URL)
    admin = create_engine(PG_URL)
    try:
        assert first.acquire() and first.held()
        assert not second.acquire()
        # The leader's session is cut off (database restart, network): it must notice
        # and stop running jobs; the other process can then lead.
        with admin.connect() as conn:
            pid = conn.execute(text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = :low "
                "AND granted AND database = (SELECT oid FROM pg_database "
                "WHERE datname = current_database())"),
                {"low": scheduler.LOCK_KEY & 0xFFFFFFFF}).scalar_one()
            conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            conn.commit()
        assert not first.held()
        assert second.acquire() and second.held()
        assert not first.acquire()
    finally:
        first.release()
        second.release()
        admin.dispose()


def test_scheduler_starts_only_when_serving() -> None:
    import click

    from server.scheduler import serving
    assert serving()  # gunicorn: no command line of Flask's
    for command, expected in (("run", True), ("init-db", False), ("flask", False)):
        with click.Context(click.Command(command), info_name=command):
            assert serving() is expected
