"""Tenants of the HTTP gateway: one API key each (stored as its SHA-256 only), revocable; and which tenant
sent each request the gateway accepted, so that a tenant reads only its own requests' ends."""

from __future__ import annotations

import hashlib
import re
import secrets

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from streams.store.schema import gateway_requests, tenants
from streams.store.timeutil import Clock, UtcTime, now

TENANT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class TenantError(ValueError):
    """A tenant name that is not allowed, or one that exists already."""


class Tenant(BaseModel):
    """A tenant as ``Tenants.list`` shows it: never its key."""

    model_config = ConfigDict(frozen=True)

    name: str
    created_at: UtcTime
    revoked_at: UtcTime | None


def _sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Tenants:
    def __init__(self, engine: Engine, clock: Clock = now) -> None:
        self.engine = engine
        self.clock = clock

    def add(self, name: str) -> str:
        """A new tenant (or a new key for a revoked one); returns its API key, shown once."""
        if not TENANT_NAME.match(name):
            raise TenantError(f"tenant {name!r}: use 1 to 64 letters, digits, '.', '_' or '-'")
        key = f"mst_{secrets.token_urlsafe(32)}"
        row = {"key_hash": _sha256(key), "created_at": self.clock(), "revoked_at": None}
        with self.engine.begin() as connection:
            renewed = connection.execute(
                update(tenants).where(tenants.c.name == name, tenants.c.revoked_at.is_not(None)).values(**row)
            ).rowcount
            if not renewed:
                try:
                    connection.execute(insert(tenants).values(name=name, **row))
                except IntegrityError:
                    raise TenantError(f"tenant {name} exists: revoke its key first to issue a new one") from None
        return key

    def revoke(self, name: str) -> bool:
        """Revoke the tenant's key; False when there is no such tenant with a live key."""
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(tenants)
                .where(tenants.c.name == name, tenants.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            ).rowcount
        return bool(changed)

    def list(self) -> list[Tenant]:
        query = select(tenants.c.name, tenants.c.created_at, tenants.c.revoked_at).order_by(tenants.c.name)
        with self.engine.connect() as connection:
            return [Tenant.model_validate(dict(row)) for row in connection.execute(query).mappings()]

    def by_key(self, key: str) -> str | None:
        """The tenant whose live key this is."""
        query = select(tenants.c.name).where(tenants.c.key_hash == _sha256(key), tenants.c.revoked_at.is_(None))
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    def accepted(self, request_id: str, tenant: str) -> None:
        """Record that the gateway accepted ``request_id`` from ``tenant`` (idempotent)."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(gateway_requests)
            .values(request_id=request_id, tenant=tenant, accepted_at=self.clock())
            .on_conflict_do_nothing(index_elements=["request_id"])
        )
        with self.engine.begin() as connection:
            connection.execute(statement)

    def tenant_of(self, request_id: str) -> str | None:
        """The tenant that sent ``request_id`` through the gateway; None for any other request."""
        query = select(gateway_requests.c.tenant).where(gateway_requests.c.request_id == request_id)
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()
