"""device keys sealed at rest: room for "<kid>:<nonce>:<ciphertext>"

Revision ID: 0005d
Revises: 0007w

Plaintext keys already stored stay readable and are sealed at their device's next login
(or all at once by ``flask rewrap-device-keys``). The downgrade narrows the column again;
on PostgreSQL it fails while sealed keys are stored, which is wanted: older code would
hand a sealed value to the device as its key, and the device would wipe its store.
"""
from alembic import op
import sqlalchemy as sa


revision = "0005d"
down_revision = "0007w"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    # SQLite does not enforce VARCHAR lengths, so it needs no change; and rebuilding
    # "devices" (batch mode) fails on a populated database, as tokens refer to it.
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if _sqlite():
        return
    with op.batch_alter_table("devices") as batch:
        batch.alter_column("device_key", existing_type=sa.String(length=64),
                           type_=sa.String(length=200), existing_nullable=True)


def downgrade():
    if _sqlite():
        return
    with op.batch_alter_table("devices") as batch:
        batch.alter_column("device_key", existing_type=sa.String(length=200),
                           type_=sa.String(length=64), existing_nullable=True)
