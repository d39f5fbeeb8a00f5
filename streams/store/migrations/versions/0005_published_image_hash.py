"""The perceptual hash of a published image, which ``verify`` compares with the image it is shown.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as table:
        table.add_column(sa.Column("image_hash", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as table:
        table.drop_column("image_hash")
