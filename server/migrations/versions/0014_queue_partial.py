"""The review queue's index holds submitted registrations only

Every listing that reads ``ix_registrations_queue`` (the queue, by submission time) asks
for ``submitted_at IS NOT NULL``: a registration never submitted has no place in it. A
draft (most new registrations of a push) then writes no entry to it, and a push of 100 new
drafts writes 100 index entries fewer.

Revision ID: 0014q
Revises: 0013p
"""
import sqlalchemy as sa
from alembic import op


revision = "0014q"
down_revision = "0013p"
branch_labels = None
depends_on = None

_COLUMNS = ["team_id", "status", "submitted_at", "id"]
_SUBMITTED = sa.text("submitted_at IS NOT NULL")


def upgrade():
    op.drop_index("ix_registrations_queue", table_name="registrations")
    op.create_index("ix_registrations_queue", "registrations", _COLUMNS,
                    sqlite_where=_SUBMITTED, postgresql_where=_SUBMITTED)


def downgrade():
    op.drop_index("ix_registrations_queue", table_name="registrations")
    op.create_index("ix_registrations_queue", "registrations", _COLUMNS)
