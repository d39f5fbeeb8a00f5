"""The HTTP gateway (what `up` starts) and the tenants whose API keys it accepts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from streams.cli.exits import CommandFailed
from streams.cli.output import emit, json_option
from streams.cli.stack import LOG_LEVELS
from streams.config import get_settings

if TYPE_CHECKING:
    from streams.store import Tenants


@click.command(help="run the HTTP gateway for upstream apps without a Kafka producer (what `up` starts)")
@click.option("--loglevel", default="info", show_default=True, type=LOG_LEVELS, help="uvicorn's log level")
def gateway(loglevel: str) -> None:
    import uvicorn

    from streams.gateway.app import create_app
    from streams.telemetry import setup_tracing

    settings = get_settings()
    setup_tracing("modstream-gateway", settings.span_file)
    uvicorn.run(create_app(settings), host=settings.gateway_host, port=settings.gateway_port, log_level=loglevel)


def _tenants() -> Tenants:
    from streams.store import Tenants, open_database

    return Tenants(open_database(get_settings().database))


@click.group(help="tenants of the HTTP gateway: each has one API key, which decides the tenant of its requests")
def tenants() -> None:
    pass


@tenants.command(help="add a tenant (or issue a new key to a revoked one); prints its API key once")
@click.argument("name")
@json_option()
def add(name: str) -> None:
    key = _tenants().add(name)
    emit(
        {"tenant": name, "api_key": key}, f"{key}\n(the API key of tenant {name}: store it now, it is not shown again)"
    )


@tenants.command("list", help="every tenant, with when its key was issued and revoked")
@json_option()
def list_tenants() -> None:
    found = _tenants().list()
    lines = [f"{t.name:24} issued {t.created_at:%Y-%m-%d %H:%M}" + (f", revoked {t.revoked_at:%Y-%m-%d %H:%M}"
             if t.revoked_at else "") for t in found]  # fmt: skip
    emit({"tenants": found}, "\n".join(lines) or "no tenants")


@tenants.command(help="revoke a tenant's key: its requests get 401 from now on")
@click.argument("name")
@json_option()
def revoke(name: str) -> None:
    if not _tenants().revoke(name):
        raise CommandFailed(f"no tenant {name} with a live key")
    emit({"tenant": name, "revoked": True}, f"revoked the key of tenant {name}")


COMMANDS = (gateway, tenants)
