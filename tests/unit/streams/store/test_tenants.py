"""Tenant API keys of the gateway: issued once, stored hashed, revocable, re-issued after a revocation."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from streams.store import TenantError, Tenants


def test_a_key_names_its_tenant_until_it_is_revoked(engine: Engine) -> None:
    tenants = Tenants(engine)
    key = tenants.add("acme")
    assert key.startswith("mst_") and tenants.by_key(key) == "acme" and tenants.by_key(key + "x") is None
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT key_hash FROM tenants")).scalar_one()
    assert key not in stored and len(stored) == 64
    with pytest.raises(TenantError, match="revoke its key first"):
        tenants.add("acme")
    assert tenants.revoke("acme") and not tenants.revoke("acme")
    assert tenants.by_key(key) is None
    renewed = tenants.add("acme")
    assert tenants.by_key(renewed) == "acme" and tenants.by_key(key) is None
    assert [(t.name, t.revoked_at) for t in tenants.list()] == [("acme", None)]


def test_a_tenant_name_is_checked(engine: Engine) -> None:
    with pytest.raises(TenantError, match="letters, digits"):
        Tenants(engine).add("no spaces please")


def test_requests_are_recorded_with_their_tenant_once(engine: Engine) -> None:
    tenants = Tenants(engine)
    tenants.accepted("r1", "acme")
    tenants.accepted("r1", "acme")
    assert tenants.tenant_of("r1") == "acme" and tenants.tenant_of("r2") is None
