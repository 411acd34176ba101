"""Review list: full-text search over narrative, street and place (FTS5 / tsvector + GIN); the newest-first order indexed per team

Revision ID: 0009s
Revises: 0009g
"""
from alembic import op

from server.search import install, uninstall


revision = "0009s"
down_revision = "0009g"
branch_labels = None
depends_on = None


def upgrade():
    install(op.get_bind())  # fills the index from the registrations there are
    op.create_index("ix_registrations_team_created", "registrations",
                    ["team_id", "created_at", "id"])


def downgrade():
    op.drop_index("ix_registrations_team_created", table_name="registrations")
    uninstall(op.get_bind())
