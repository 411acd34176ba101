"""Full-text search over registrations' narrative, street and place (FTS5 / tsvector + GIN)

Revision ID: 0009s
Revises: 0008r
"""
from alembic import op

from server.search import install, uninstall


revision = "0009s"
down_revision = "0008r"
branch_labels = None
depends_on = None


def upgrade():
    install(op.get_bind())  # fills the index from the registrations there are


def downgrade():
    uninstall(op.get_bind())
