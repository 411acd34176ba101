"""Registrations: index updated_at alone; no query used it after the team

The retention purge asks for every registration not changed since a moment, whatever its
team: with the team first the index could not serve it, so the purge read every
registration (holding the write lock) and every push still kept the index up to date.

Revision ID: 0012u
Revises: 0011t
"""
from alembic import op


revision = "0012u"
down_revision = "0011t"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_registrations_team_updated", table_name="registrations")
    op.create_index("ix_registrations_updated", "registrations", ["updated_at"])


def downgrade():
    op.drop_index("ix_registrations_updated", table_name="registrations")
    op.create_index("ix_registrations_team_updated", "registrations", ["team_id", "updated_at"])
