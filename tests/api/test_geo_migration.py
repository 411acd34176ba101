"""The migration to per-team change rows and spatial indexes keeps existing data."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from server import create_app, spatial
from server.extensions import db
from server.models import utcnow
from server.spatial_schema import tree_id
from tests.conftest import PG_URL, _config

RID = "0192f0e4-5b6a-7c00-8000-000000000001"


def test_upgrade_keeps_changes_and_indexes_located_registrations(tmp_path: Any,
                                                                 template_db: str) -> None:
    url = PG_URL or f"sqlite:///{os.path.join(str(tmp_path), 'old.db')}"
    app = create_app(_config(str(tmp_path), url))
    with app.app_context():
        if PG_URL:
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade(revision="0001")
        for statement in (
            "INSERT INTO teams (id, name, created_at) VALUES (1, 'Centrum', '2026-01-01')",
            "INSERT INTO users (id, username, display_name, password_hash, role, team_id, "
            "active, created_at) VALUES (1, 'a', '', 'x', 'agent', 1, true, '2026-01-01')",
            "INSERT INTO registrations (id, type, status, rev, team_id, created_by_id, data, "
            "meta, conflicts, amendments, open_conflicts, lat, lon, rd_x, rd_y, created_at, "
            f"updated_at) VALUES ('{RID}', 'vor', 'draft', 1, 1, 1, '{{}}', '{{}}', '[]', "
            "'[]', 0, 52.09, 5.12, 136000.0, 456000.0, '2026-01-01', '2026-01-01')",
            "INSERT INTO changes (seq, entity, entity_id, team_id, removed) VALUES "
            f"(1, 'registration', '{RID}', 1, false), (2, 'registration', 'gone', NULL, true)",
        ):
            db.session.execute(text(statement))
        db.session.commit()
        upgrade()
        rows = db.session.execute(text(
            "SELECT seq, entity_id, team_id, removed FROM changes ORDER BY seq")).all()
        assert [tuple(r) for r in rows] == [(1, RID, 1, False), (2, "gone", 0, True)]
        if PG_URL:
            [(found,)] = db.session.execute(text(
                "SELECT id FROM registrations WHERE ST_DWithin(geog, ST_SetSRID("
                "ST_MakePoint(5.12, 52.09), 4326)::geography, 1)")).all()
        else:
            [(found,)] = db.session.execute(text(
                "SELECT registration_id FROM rtree_registrations WHERE id = :key"),
                {"key": tree_id(RID)}).all()
            # the tree holds every change so far: the job starts after them, none pending
            assert db.session.execute(text(
                "SELECT value FROM counters WHERE name = 'spatial_index'")).scalar() == 2
            assert db.session.execute(text(spatial.PENDING)).all() == []
        assert found == RID
        db.session.remove()
        db.engine.dispose()


def test_spatial_index_command_reports_the_index(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["spatial-index"])
    assert result.exit_code == 0, result.output
    expected = "postgis" if PG_URL else "rtree"
    assert f"Ruimtelijke index: {expected}" in result.output


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's R*Tree; PostgreSQL's index is unchanged")
def test_registration_tree_gets_the_creation_day(tmp_path: Any) -> None:
    """A tree made before 0010b (day in an auxiliary column) is rebuilt with the day as a
    dimension, keeping its entries; a briefing's query finds them; downgrade restores it."""
    url = f"sqlite:///{os.path.join(str(tmp_path), 'tree.db')}"
    app = create_app(_config(str(tmp_path), url))
    recent = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
    with app.app_context():
        upgrade(revision="0009p")
        for statement in (
            "DROP TABLE rtree_registrations",
            "CREATE VIRTUAL TABLE rtree_registrations USING rtree(id, min_x, max_x, min_y, "
            "max_y, +registration_id, +team_id, +created_jd)",
            "INSERT INTO teams (id, name, created_at) VALUES (1, 'Centrum', '2026-01-01')",
            "INSERT INTO users (id, username, display_name, password_hash, role, team_id, "
            "active, created_at) VALUES (1, 'a', '', 'x', 'agent', 1, 1, '2026-01-01')",
            "INSERT INTO registrations (id, type, status, rev, team_id, created_by_id, data, "
            "meta, conflicts, amendments, open_conflicts, lat, lon, rd_x, rd_y, created_at, "
            f"updated_at) VALUES ('{RID}', 'vor', 'draft', 1, 1, 1, '{{}}', '{{}}', '[]', "
            f"'[]', 0, 52.09, 5.12, 136000.0, 456000.0, '{recent}', '{recent}')",
            f"INSERT INTO rtree_registrations VALUES ({tree_id(RID)}, 136000, 136000, 456000, "
            f"456000, '{RID}', 1, julianday('{recent}'))",
        ):
            db.session.execute(text(statement))
        db.session.commit()
        upgrade()
        columns = [r[1] for r in db.session.execute(text(
            "PRAGMA table_info(rtree_registrations)"))]
        assert columns == ["id", "min_x", "max_x", "min_y", "max_y", "min_day", "max_day",
                           "registration_id", "team_id"]
        day = utcnow().timestamp() / 86400
        [(found, team, low, high)] = db.session.execute(text(
            "SELECT registration_id, team_id, min_day, max_day FROM rtree_registrations "
            "WHERE id = :key"), {"key": tree_id(RID)}).all()
        assert (found, team) == (RID, 1)
        assert day - 0.1 < low <= high < day + 0.1
        sql, params = spatial.briefing_sql(136000.0, 456000.0, 52.09, 5.12, 500, 1,
                                           utcnow() - timedelta(days=14), utcnow())
        kinds = [row[:2] for row in db.session.connection().exec_driver_sql(
            sql, tuple(params))]
        assert kinds == [("registration", RID)]
        db.session.commit()
        downgrade(revision="0009p")
        assert db.session.execute(text(
            "SELECT registration_id, team_id FROM rtree_registrations WHERE created_jd > "
            "julianday('now') - 1")).all() == [(RID, 1)]
        db.session.remove()
        db.engine.dispose()
