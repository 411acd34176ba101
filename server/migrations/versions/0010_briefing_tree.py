"""SQLite: the registrations' R*Tree gets the creation day as a third dimension

A briefing asks for the recent registrations in a box; with the day only in an auxiliary
column every point in the box cost a lookup in the tree's rowid table (hundreds a
briefing at a million registrations). Keys, points, ids and teams are copied from the old
tree. PostgreSQL is unchanged.

Revision ID: 0010b
Revises: 0009s
"""
from alembic import op

from server.spatial_schema import REGISTRATION_TREE, UNIX_EPOCH_JD


revision = "0010b"
down_revision = "0009s"
branch_labels = None
depends_on = None

OLD_TREE = ("CREATE VIRTUAL TABLE rtree_registrations USING rtree("
            "id, min_x, max_x, min_y, max_y, +registration_id, +team_id, +created_jd)")


def _columns() -> set[str]:
    return {row[1] for row in op.get_bind().exec_driver_sql(
        "PRAGMA table_info(rtree_registrations)")}


def upgrade():
    # A database made after this change already has the new tree (0006 builds the
    # current one).
    if op.get_bind().dialect.name != "sqlite" or "created_jd" not in _columns():
        return
    op.execute("ALTER TABLE rtree_registrations RENAME TO rtree_registrations_old")
    op.execute(REGISTRATION_TREE)
    op.execute("INSERT INTO rtree_registrations SELECT id, min_x, max_x, min_y, max_y, "
               f"created_jd - {UNIX_EPOCH_JD}, created_jd - {UNIX_EPOCH_JD}, "
               "registration_id, team_id FROM rtree_registrations_old")
    op.execute("DROP TABLE rtree_registrations_old")


def downgrade():
    if op.get_bind().dialect.name != "sqlite" or "min_day" not in _columns():
        return
    op.execute("ALTER TABLE rtree_registrations RENAME TO rtree_registrations_new")
    op.execute(OLD_TREE)
    # the old tree kept julianday(created_at) exactly: taken from the rows
    op.execute("INSERT INTO rtree_registrations SELECT t.id, t.min_x, t.max_x, t.min_y, "
               "t.max_y, t.registration_id, t.team_id, julianday(r.created_at) "
               "FROM rtree_registrations_new t JOIN registrations r ON r.id = t.registration_id")
    op.execute("DROP TABLE rtree_registrations_new")
