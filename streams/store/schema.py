"""The tables; migrations/ creates and changes them, this module is what the code queries."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData()

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_key", String(64), nullable=False, unique=True),
    Column("request_id", String(128), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("action", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("reason_code", String(64)),
    Column("tenant", String(64)),
    Column("user", String(128), index=True),
    Column("actor", String(128)),
    Column("prompt", Text),
    Column("evidence", JSON, nullable=False),
    Column("redactions", JSON, nullable=False),
    Column("images", JSON, nullable=False),
    Column("policy_version", String(128)),
    Column("model_versions", JSON, nullable=False),
    Column("image_hash", String(16)),
    Column("watermark", String(16), index=True),
)

review_items = Table(
    "review_items",
    metadata,
    Column("request_id", String(128), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("user", String(128), nullable=False, index=True),
    Column("reason_code", String(64), index=True),
    Column("priority", Integer, nullable=False),
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Column("item", JSON, nullable=False),
    Column("claimed_by", String(128)),
    Column("claimed_until", DateTime(timezone=True)),
    Column("decided_by", String(128)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision", String(32)),
    Column("decision_reason_code", String(64)),
    Column("decision_reason", Text),
)

users = Table(
    "users",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(256)),
    Column("token_hash", String(64), unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("token_expires_at", DateTime(timezone=True)),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_name", String(128), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True)),
)

tenants = Table(
    "tenants",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

# Requests accepted by the HTTP gateway, with the tenant whose key sent them (who may read their end).
gateway_requests = Table(
    "gateway_requests",
    metadata,
    Column("request_id", String(128), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=False),
)
