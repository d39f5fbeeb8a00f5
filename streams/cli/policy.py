"""``modstream policy``: the acceptable-use policy file."""

from __future__ import annotations

from pathlib import Path

import click

from streams.cli.exits import ModstreamGroup
from streams.cli.output import emit, json_option
from streams.config import get_settings


@click.group(cls=ModstreamGroup, help="the acceptable-use policy file")
def policy() -> None:
    pass


@policy.command(
    short_help="validate a policy file (default: the configured one)",
    help="Validate a policy file (default: the configured one). FILE: the YAML file; default "
    "MODSTREAM_POLICY_FILE or the shipped policy. Errors name the line.",
)
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@json_option()
def check(file: Path | None) -> None:
    from streams.policy import load_policy

    path = file or get_settings().policy_path
    loaded = load_policy(path)
    tenants = sorted(loaded.rules.tenants)
    summary = {
        "file": str(path),
        "version": loaded.version,
        "rules": len(loaded.rules.rules),
        "tenants": tenants,
        "protected_names": len(loaded.protected_names),
        "prohibited_terms": len(loaded.prohibited),
    }
    text = (
        f"{path}: policy {loaded.version} is valid: {summary['rules']} rules, "
        f"{summary['protected_names']} protected names, {summary['prohibited_terms']} prohibited terms, "
        f"tenant overrides: {', '.join(tenants) or 'none'}"
    )
    emit(summary, text)


COMMANDS = (policy,)
