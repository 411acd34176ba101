"""Review queue: registrations by team, status and submission time (oldest waiting first)

Revision ID: 0008r
Revises: 0006g
"""
from alembic import op


revision = "0008r"
down_revision = "0006g"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_registrations_queue", "registrations",
                    ["team_id", "status", "submitted_at", "id"])


def downgrade():
    op.drop_index("ix_registrations_queue", table_name="registrations")
