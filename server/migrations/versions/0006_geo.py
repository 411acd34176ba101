"""Areas, notices, hotspots, a change log row per (entity, team), spatial indexes.

Revision ID: 0006g
Revises: 0002e
"""
from alembic import op
import sqlalchemy as sa

from server.spatial_schema import install


revision = "0006g"
down_revision = "0002e"
branch_labels = None
depends_on = None


def _bbox() -> list[sa.Column]:
    return [sa.Column(name, sa.Float(), nullable=False)
            for name in ("min_x", "max_x", "min_y", "max_y")]


def upgrade():
    # changes: one row per (entity, id, team); team 0 = every team (was NULL).
    op.create_table(
        "changes_new",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_changes"),
        sa.UniqueConstraint("entity", "entity_id", "team_id", name="uq_changes_entity_team"),
    )
    op.execute("INSERT INTO changes_new (seq, entity, entity_id, team_id, removed) "
               "SELECT seq, entity, entity_id, COALESCE(team_id, 0), removed FROM changes")
    with op.batch_alter_table("changes") as batch_op:
        batch_op.drop_index("ix_changes_team_seq")
    op.drop_table("changes")
    op.rename_table("changes_new", "changes")
    op.create_index("ix_changes_team_seq", "changes", ["team_id", "seq"])

    op.create_table(
        "areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("geometry_rd", sa.LargeBinary(), nullable=False),
        *_bbox(),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_areas_team", "areas", ["team_id"])
    op.create_index("ix_areas_bbox", "areas", ["min_x", "max_x", "min_y", "max_y"])

    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("areas.id"), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        *_bbox(),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notices_due", "notices", ["dispatched_at", "send_at"])
    op.create_index("ix_notices_bbox", "notices", ["min_x", "max_x", "min_y", "max_y"])

    op.create_table(
        "notice_teams",
        sa.Column("notice_id", sa.Integer(), sa.ForeignKey("notices.id"), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False),
        sa.PrimaryKeyConstraint("notice_id", "team_id"),
    )
    op.create_index("ix_notice_teams_team_id", "notice_teams", ["team_id"])

    op.create_table(
        "hotspots",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("rd_x", sa.Float(), nullable=False),
        sa.Column("rd_y", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("member_ids", sa.JSON(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hotspots_team_id", "hotspots", ["team_id"])

    install(op.get_bind())


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("rtree_registrations", "rtree_notices", "rtree_areas"):
            op.execute(f"DROP TABLE IF EXISTS {name}")
    else:
        op.execute("DROP INDEX IF EXISTS ix_registrations_rd")
        op.execute("ALTER TABLE registrations DROP COLUMN IF EXISTS geog")
    for table in ("hotspots", "notice_teams", "notices", "areas"):
        op.drop_table(table)
    op.execute("DELETE FROM changes WHERE entity <> 'registration'")
    with op.batch_alter_table("changes") as batch_op:
        batch_op.drop_constraint("uq_changes_entity_team", type_="unique")
        batch_op.alter_column("team_id", nullable=True)
        batch_op.create_unique_constraint("uq_changes_entity", ["entity", "entity_id"])
    op.execute("UPDATE changes SET team_id = NULL WHERE team_id = 0")
