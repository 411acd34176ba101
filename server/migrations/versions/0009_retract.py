"""Ended areas and notices leave the devices: when the change log took each off them

Revision ID: 0009g
Revises: 0009p
"""
from alembic import op
import sqlalchemy as sa


revision = "0009g"
down_revision = "0009p"
branch_labels = None
depends_on = None


def upgrade():
    # NULL for every existing row: the retract job takes the ended ones off the devices
    # at its first run.
    for table in ("areas", "notices"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("retracted_at", sa.DateTime(timezone=True),
                                          nullable=True))
        op.create_index(f"ix_{table}_retract", table, ["retracted_at", "valid_until"])


def downgrade():
    for table in ("areas", "notices"):
        op.drop_index(f"ix_{table}_retract", table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("retracted_at")
