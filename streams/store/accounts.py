"""Reviewer accounts: roles, scrypt password hashes, API tokens and browser sessions with CSRF tokens.

Secrets are stored only as hashes: a password as scrypt with its own salt, an API token and a session
token as SHA-256 (they are long random strings, so a fast hash is enough). Every credential expires:
an API token after ``token_days`` (``rotate_token`` issues the next one), a session after
``session_hours`` or after ``idle_minutes`` without a request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from streams.store.schema import sessions, users
from streams.store.timeutil import Clock, UtcTime, as_utc, now

SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Role(StrEnum):
    REVIEWER = "reviewer"
    LEAD = "lead"  # may also see unredacted images
    ADMIN = "admin"

    @property
    def sees_unredacted(self) -> bool:
        return self in (Role.LEAD, Role.ADMIN)


class AuthError(ValueError):
    """Unknown user, wrong password or token, or an account that already exists."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role


class Account(BaseModel):
    """An account as ``Accounts.list`` shows it: never its secrets."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: Role
    created_at: UtcTime
    token_expires_at: UtcTime | None


@dataclass(frozen=True)
class Session:
    user: User
    token: str
    csrf_token: str


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# A session's last use is written at most this often, so that reading the queue is not a write each time.
SEEN_EVERY = timedelta(minutes=1)


class Accounts:
    def __init__(
        self,
        engine: Engine,
        session_hours: float = 12.0,
        idle_minutes: float = 30.0,
        token_days: float = 90.0,
        clock: Clock = now,
    ) -> None:
        self.engine = engine
        self.session_length = timedelta(hours=session_hours)
        self.idle_length = timedelta(minutes=idle_minutes)
        self.token_length = timedelta(days=token_days)
        self.clock = clock

    def _new_token(self, at: datetime) -> tuple[str, dict[str, Any]]:
        """A fresh API token issued ``at``, and the columns that store it."""
        token = f"msr_{secrets.token_urlsafe(32)}"
        return token, {"token_hash": _sha256(token), "token_expires_at": at + self.token_length}

    def add(self, name: str, role: Role, password: str | None = None) -> str:
        """Create an account; returns its API token (shown once: only its hash is kept)."""
        if not name or len(name) > 128:
            raise AuthError("a user name has 1 to 128 characters")
        at = self.clock()
        token, stored = self._new_token(at)
        row: dict[str, Any] = {
            "name": name,
            "role": role.value,
            "password_hash": hash_password(password) if password else None,
            "created_at": at,
            **stored,
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(users).values(**row))
        except IntegrityError:
            raise AuthError(f"user {name} exists: remove it first to re-create it") from None
        return token

    def rotate_token(self, name: str) -> str:
        """A new API token for ``name`` (shown once); the old one stops working at once."""
        token, stored = self._new_token(self.clock())
        with self.engine.begin() as connection:
            if not connection.execute(update(users).where(users.c.name == name).values(**stored)).rowcount:
                raise AuthError(f"no user {name}")
        return token

    def remove(self, name: str) -> bool:
        with self.engine.begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.user_name == name))
            return bool(connection.execute(delete(users).where(users.c.name == name)).rowcount)

    def list(self) -> list[Account]:
        query = select(users.c.name, users.c.role, users.c.created_at, users.c.token_expires_at).order_by(users.c.name)
        with self.engine.connect() as connection:
            return [Account.model_validate(dict(row)) for row in connection.execute(query).mappings()]

    def by_token(self, token: str) -> User | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(users.c.name, users.c.role, users.c.token_expires_at).where(users.c.token_hash == _sha256(token))
            ).first()
        if row is None or row.token_expires_at is None or as_utc(row.token_expires_at) < self.clock():
            return None
        return User(row.name, Role(row.role))

    def login(self, name: str, password: str) -> Session:
        with self.engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.name == name)).mappings().first()
        # An unknown user costs one scrypt too, so that the answer's time does not tell which names exist.
        stored = row["password_hash"] if row is not None and row["password_hash"] else _dummy_hash()
        matches = password_matches(password, stored)
        if row is None or not row["password_hash"] or not matches:
            raise AuthError("wrong user name or password")
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            at = self.clock()
            connection.execute(delete(sessions).where(sessions.c.expires_at < at))
            connection.execute(
                insert(sessions).values(
                    token_hash=_sha256(token),
                    user_name=name,
                    csrf_token=csrf,
                    expires_at=at + self.session_length,
                    last_seen_at=at,
                )
            )
        return Session(User(name, Role(row["role"])), token, csrf)

    def session(self, token: str) -> Session | None:
        """The live session of ``token``, its use recorded; None once it expired or sat idle too long."""
        query = (
            select(users.c.name, users.c.role, sessions.c.csrf_token, sessions.c.expires_at, sessions.c.last_seen_at)
            .join(users, users.c.name == sessions.c.user_name)
            .where(sessions.c.token_hash == _sha256(token))
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        at = self.clock()
        if row is None or as_utc(row.expires_at) < at:
            return None
        last_seen = as_utc(row.last_seen_at) if row.last_seen_at else None
        if last_seen is None or last_seen + self.idle_length < at:
            self.logout(token)
            return None
        if at - last_seen >= SEEN_EVERY:
            with self.engine.begin() as connection:
                connection.execute(
                    update(sessions).where(sessions.c.token_hash == _sha256(token)).values(last_seen_at=at)
                )
        return Session(User(row.name, Role(row.role)), token, row.csrf_token)

    def logout(self, token: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.token_hash == _sha256(token)))
