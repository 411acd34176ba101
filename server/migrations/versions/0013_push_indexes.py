"""Two indexes fewer on the push path: retention finds expired registrations per team by
creation time, and processed ops through their revisions

A registration changes after it is made, so one not changed since the cutoff was made
before it: per team, ``ix_registrations_team_created`` (the list's order) narrows the purge
to those, and ``ix_registrations_updated`` goes. A processed op that left a revision is
found through the revision's op_id; only the others (rejected, or a status set again) need
their record id indexed, so the index on it becomes partial. Each push of 100 new
registrations then writes 200 index entries fewer.

Rows written before keep their record id: they are found either way.

On SQLite the processed ops become a table without rowid: the op id is its key, so an
insert writes one B-tree instead of the rowid's and the op id index's.

Revision ID: 0013p
Revises: 0012u
"""
import sqlalchemy as sa
from alembic import op


revision = "0013p"
down_revision = "0012u"
branch_labels = None
depends_on = None

_SET = sa.text("record_id IS NOT NULL")


def upgrade():
    op.drop_index("ix_registrations_updated", table_name="registrations")
    op.drop_index("ix_processed_ops_record_id", table_name="processed_ops")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("processed_ops", recreate="always",
                                  table_kwargs={"sqlite_with_rowid": False}):
            pass
    op.create_index("ix_processed_ops_unrevised", "processed_ops", ["record_id"],
                    sqlite_where=_SET, postgresql_where=_SET)


def downgrade():
    op.drop_index("ix_processed_ops_unrevised", table_name="processed_ops")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("processed_ops", recreate="always",
                                  table_kwargs={"sqlite_with_rowid": True}):
            pass
    op.create_index("ix_processed_ops_record_id", "processed_ops", ["record_id"])
    op.create_index("ix_registrations_updated", "registrations", ["updated_at"])
