"""The watermark payload of a published image, to find its record from the image.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as table:
        table.add_column(sa.Column("watermark", sa.String(16)))
        table.create_index("ix_audit_events_watermark", ["watermark"])


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as table:
        table.drop_index("ix_audit_events_watermark")
        table.drop_column("watermark")
