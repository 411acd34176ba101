"""PostgreSQL connections: pinged only after being idle; the briefing's generic plans come
from a pool of their own and never change the main pool's connections."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from flask import Flask

from server import bulk
from server.cli import make_user
from server.extensions import db
from tests.conftest import PASSWORD, PG_URL, Api, login, make_app

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only "
                                "(WIJKPOST_TEST_DATABASE_URL): an SQLite file is not pinged")


def pings(monkeypatch: Any) -> list[int]:
    """Counts the pings both pools send from now on."""
    sent: list[int] = []
    for engine in (db.engine, bulk.generic_pool()):
        dialect = engine.dialect  # type: ignore[union-attr]
        real = dialect.do_ping

        def counted(connection: Any, real: Any = real) -> bool:
            sent.append(1)
            return real(connection)

        monkeypatch.setattr(dialect, "do_ping", counted)
    return sent


def backend(generic: bool = False) -> int:
    with bulk.apart(generic) as connection:
        return connection.driver_connection.info.backend_pid


def test_a_connection_back_a_moment_ago_is_not_pinged(app: Flask, monkeypatch: Any,
                                                      agent1: Api) -> None:
    sent = pings(monkeypatch)
    for _ in range(5):
        assert agent1.get("/api/briefing?lat=52.09&lon=5.12").status_code == 200
    assert sent == []


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced(
        tmp_path: Any, template_db: str, monkeypatch: Any) -> None:
    app = make_app(tmp_path, template_db, DATABASE_PING_AFTER_IDLE_S=0.0)
    with app.app_context():
        try:
            make_user("agent9", "agent", PASSWORD, "Centrum")
            db.session.commit()
            agent = login(app.test_client(), "agent9")
            sent = pings(monkeypatch)
            # the briefing's connection: from the generic-plan pool
            dead = backend(generic=True)
            # from a connection of its own: the pool would lend out the very one to kill
            with psycopg.connect(db.engine.url.set(drivername="postgresql")
                                 .render_as_string(hide_password=False),
                                 autocommit=True) as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", (dead,))
            response = agent.get("/api/briefing?lat=52.09&lon=5.12")
            assert response.status_code == 200, response.get_json()
            assert sent, "an idle connection was handed out without a ping"
            assert dead != backend(generic=True)
        finally:
            db.session.remove()
            db.engine.dispose()


def plans_of(driver: Any, sql_start: str) -> list[tuple[int, int]]:
    return driver.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                          "WHERE statement LIKE %s", (sql_start + "%",)).fetchall()


@pytest.mark.parametrize("generic", [True, False])
def test_a_generic_query_is_planned_once_and_the_main_pool_keeps_choosing(
        app: Flask, generic: bool) -> None:
    """From the generic-plan pool at once; on the main pool with the setting around the
    query only."""
    @bulk.one_connection(generic=generic)
    def run() -> None:
        with bulk.reading() as read:
            for number in range(3):
                assert read("SELECT CAST(? AS INTEGER) + 1", (number,),
                            generic=True) == [(number + 1,)]
        with bulk.apart() as connection:  # the same connection, held by one_connection
            driver = connection.driver_connection
            assert plans_of(driver, "SELECT CAST($1 AS INTEGER) + 1") == [(3, 0)]
            assert driver.execute("SHOW plan_cache_mode").fetchone() == (
                ("force_generic_plan",) if generic else ("auto",))
            if generic:
                assert driver.autocommit  # each statement its own transaction, as apart's

    run()
    with bulk.apart() as connection:  # the main pool: PostgreSQL still chooses per query
        assert connection.driver_connection.execute(
            "SHOW plan_cache_mode").fetchone() == ("auto",)


@pytest.mark.parametrize("generic", [False, True])
def test_a_failing_generic_query_leaves_the_connection_usable_and_unchanged(
        app: Flask, generic: bool) -> None:
    @bulk.one_connection(generic=generic)
    def run() -> None:
        with bulk.reading() as read:
            with pytest.raises(db.engine.dialect.loaded_dbapi.Error):
                read("SELECT 1 / (CAST(? AS INTEGER) - 1)", (1,), generic=True)
            assert read("SELECT CAST(? AS INTEGER)", (7,), generic=True) == [(7,)]
        with bulk.apart() as connection:
            shown = connection.driver_connection.execute("SHOW plan_cache_mode").fetchone()
        assert shown == (("force_generic_plan",) if generic else ("auto",))

    run()


def test_queries_read_together_answer_each_and_a_failure_leaves_the_connection_usable(
        app: Flask) -> None:
    @bulk.one_connection(generic=True)
    def run() -> None:
        assert bulk.read_together([("SELECT CAST(? AS INTEGER) * 2", (4,), ()),
                                   ("SELECT ?, ?", ("a", "b"), ())]) == [[(8,)], [("a", "b")]]
        with pytest.raises(db.engine.dialect.loaded_dbapi.Error):
            bulk.read_together([("SELECT CAST(? AS INTEGER)", (1,), ()),
                                ("SELECT 1 / (CAST(? AS INTEGER) - 1)", (1,), ())])
        assert bulk.read_together([("SELECT CAST(? AS INTEGER)", (5,), ())]) == [[(5,)]]

    run()
