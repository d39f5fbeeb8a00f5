"""API tokens expire, and a console session ends after a time without use.

Tokens issued before this revision get their expiry from the upgrade's time (``TOKEN_DAYS_AT_UPGRADE``);
sessions opened before it have never been seen by the idle check and so count as idle (log in again).

Revision ID: 0004
Revises: 0003
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TOKEN_DAYS_AT_UPGRADE = 90


def upgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("token_expires_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("sessions") as table:
        table.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True)))
    users = sa.table("users", sa.column("token_hash"), sa.column("token_expires_at", sa.DateTime(timezone=True)))
    expiry = datetime.now(UTC) + timedelta(days=TOKEN_DAYS_AT_UPGRADE)
    op.execute(users.update().where(users.c.token_hash.is_not(None)).values(token_expires_at=expiry))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as table:
        table.drop_column("last_seen_at")
    with op.batch_alter_table("users") as table:
        table.drop_column("token_expires_at")
