"""Audit events, review items, reviewer accounts and their sessions.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_key", sa.String(64), nullable=False, unique=True),
        sa.Column("request_id", sa.String(128), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reason_code", sa.String(64)),
        sa.Column("tenant", sa.String(64)),
        sa.Column("user", sa.String(128), index=True),
        sa.Column("actor", sa.String(128)),
        sa.Column("prompt", sa.Text),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("redactions", sa.JSON, nullable=False),
        sa.Column("images", sa.JSON, nullable=False),
        sa.Column("policy_version", sa.String(128)),
        sa.Column("model_versions", sa.JSON, nullable=False),
    )
    op.create_table(
        "review_items",
        sa.Column("request_id", sa.String(128), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False, index=True),
        sa.Column("user", sa.String(128), nullable=False, index=True),
        sa.Column("reason_code", sa.String(64), index=True),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("item", sa.JSON, nullable=False),
        sa.Column("claimed_by", sa.String(128)),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("decided_by", sa.String(128)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision", sa.String(32)),
        sa.Column("decision_reason_code", sa.String(64)),
        sa.Column("decision_reason", sa.Text),
    )
    op.create_table(
        "users",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(256)),
        sa.Column("token_hash", sa.String(64), unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(128), nullable=False, index=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("sessions", "users", "review_items", "audit_events"):
        op.drop_table(table)
