"""Registrations: drop the (team, status) index; the queue index begins with the same columns

Every new registration and every status change wrote both; the queue index answers every
query the smaller one did.

Revision ID: 0009p
Revises: 0008r
"""
from alembic import op


revision = "0009p"
down_revision = "0008r"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_registrations_team_status", table_name="registrations")


def downgrade():
    op.create_index("ix_registrations_team_status", "registrations", ["team_id", "status"])
