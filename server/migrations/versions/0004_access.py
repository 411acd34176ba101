"""access: per-user photo rights, substitute reviewers, processed ops by record

Revision ID: 0004c
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0004c"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # Who may link or download a photo by its hash: everyone who uploaded those bytes.
    op.create_table(
        "attachment_rights",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("sha256", "user_id"),
    )
    op.execute("INSERT INTO attachment_rights (sha256, user_id, created_at) "
               "SELECT sha256, uploaded_by_id, created_at FROM attachments")

    # A teamleider of another team who may read and review a team's registrations.
    op.create_table(
        "team_substitutes",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("named_by_id", sa.Integer(), nullable=True),
        sa.Column("named_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["named_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("team_id"),
    )
    with op.batch_alter_table("team_substitutes") as batch_op:
        batch_op.create_index("ix_team_substitutes_user_id", ["user_id"], unique=False)

    # Processed ops by record, so retention removes them with their registration.
    with op.batch_alter_table("processed_ops") as batch_op:
        batch_op.add_column(sa.Column("record_id", sa.String(length=36), nullable=True))
        batch_op.create_index("ix_processed_ops_record_id", ["record_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE processed_ops SET record_id = result->>'record_id'")
    else:
        op.execute("UPDATE processed_ops SET record_id = json_extract(result, '$.record_id')")


def downgrade():
    with op.batch_alter_table("processed_ops") as batch_op:
        batch_op.drop_index("ix_processed_ops_record_id")
        batch_op.drop_column("record_id")
    with op.batch_alter_table("team_substitutes") as batch_op:
        batch_op.drop_index("ix_team_substitutes_user_id")
    op.drop_table("team_substitutes")
    op.drop_table("attachment_rights")
