"""SQLite: the registrations' R*Tree follows the change log in a job, from a position

Until now the push wrote each registration's tree entry itself, so the tree holds every
change so far: its position starts at the change log's end. PostgreSQL is unchanged.

Revision ID: 0011t
Revises: 0010b
"""
from alembic import op

from server.spatial_schema import set_tree_position


revision = "0011t"
down_revision = "0010b"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        set_tree_position(op.get_bind())


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    # the push writes the tree again: bring it up to date first
    from server.spatial_schema import fill_registration_tree

    fill_registration_tree(op.get_bind())
    op.execute("DELETE FROM counters WHERE name = 'spatial_index'")
