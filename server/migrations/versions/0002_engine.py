"""revisions.lost: the paths of an op whose values lost on HLC to a concurrent edit

Revision ID: 0002e
Revises: 0003a
"""
import sqlalchemy as sa
from alembic import op

revision = "0002e"
down_revision = "0003a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lost", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.drop_column("lost")
