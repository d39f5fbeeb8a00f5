"""The audit and review store: SQLite by default, PostgreSQL by URL (SQLAlchemy, Alembic migrations)."""

from streams.store.accounts import Accounts, AuthError, Role, User
from streams.store.audit import AuditStore
from streams.store.database import open_database
from streams.store.review import Refused, ReviewQueue

__all__ = ["Accounts", "AuditStore", "AuthError", "Refused", "ReviewQueue", "Role", "User", "open_database"]
