"""The audit and review store: SQLite by default, PostgreSQL by URL (SQLAlchemy, Alembic migrations).

Reads return typed rows (``ReviewRow``, ``AuditRecord``, ``Account``...); turning them into JSON is
the business of whoever shows them (the review API, the CLI).
"""

from streams.store.accounts import Account, Accounts, AuthError, Role, Session, User
from streams.store.audit import AuditRecord, AuditStore, ErasedContent
from streams.store.database import open_database
from streams.store.review import Claim, PendingQueue, Refused, ReviewQueue, ReviewRow
from streams.store.tenants import Tenant, TenantError, Tenants

__all__ = [
    "Account",
    "Accounts",
    "AuditRecord",
    "AuditStore",
    "AuthError",
    "Claim",
    "ErasedContent",
    "PendingQueue",
    "Refused",
    "ReviewQueue",
    "ReviewRow",
    "Role",
    "Session",
    "Tenant",
    "TenantError",
    "Tenants",
    "User",
    "open_database",
]
