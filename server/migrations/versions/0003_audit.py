"""audit: MAC chain with event ids, pending read events, legacy boundary

Revision ID: 0003a
Revises: 0005d
"""
from alembic import op
import sqlalchemy as sa


revision = "0003a"
down_revision = "0005d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint("uq_audit_log_event_id", ["event_id"])
    op.create_table(
        "audit_pending",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=True),
        sa.Column("entity_ids", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("synced", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    # Entries so far were linked with plain SHA-256: audit-verify accepts them as a prefix.
    op.execute("INSERT INTO counters (name, value, text) "
               "SELECT 'audit_legacy', COALESCE(MAX(id), 0), NULL FROM audit_log")


def downgrade():
    op.execute("DELETE FROM counters WHERE name = 'audit_legacy'")
    op.drop_table("audit_pending")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_log_event_id", type_="unique")
        batch_op.drop_column("event_id")
