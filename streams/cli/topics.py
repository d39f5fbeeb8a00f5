"""``modstream topics``: the stack's topics on the broker, created or listed (for operators and app authors)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

from streams.cli.output import emit, json_option
from streams.config import get_settings


@click.group(help="the stack's Kafka topics: create them on a cluster, or list them with their settings")
def topics() -> None:
    pass


@topics.command(help="create every topic that does not exist yet (partitions and retention from configuration)")
@json_option()
def create() -> None:
    from streams import topics as names
    from streams.kafka import ensure_topics

    settings = get_settings()
    created = asyncio.run(ensure_topics(settings))
    existing = [name for name in names.ALL if name not in created]
    text = f"created: {', '.join(created) or 'none'}; already there: {', '.join(existing) or 'none'}"
    emit({"bootstrap": settings.kafka_bootstrap, "created": created, "existing": existing}, text)


def _retention(config: dict[str, str]) -> str:
    if "retention.ms" not in config:
        return "broker default"
    milliseconds = int(config["retention.ms"])
    return "unlimited" if milliseconds < 0 else f"{milliseconds / 3_600_000:g} h"


@topics.command("list", help="every topic with its partitions, retention, and the JSON Schema of each public one")
@json_option()
def list_topics() -> None:
    from streams import topics as names
    from streams.events import json_schemas
    from streams.kafka import describe_topics

    settings = get_settings()
    schemas = json_schemas()
    rows: list[dict[str, Any]] = []
    for state in asyncio.run(describe_topics(settings.kafka(), names.ALL)):
        schema_file = f"{state.name}.schema.json"
        rows.append({
            "name": state.name, "public": state.name not in names.INTERNAL, "exists": state.partitions is not None,
            "partitions": state.partitions, "config": state.config,
            "schema_file": f"schemas/{schema_file}" if schema_file in schemas else None,
            "schema": json.loads(schemas[schema_file]) if schema_file in schemas else None,
        })  # fmt: skip
    lines = [f"{'topic':18} {'kind':9} {'partitions':>10}  {'retention':15} schema"]
    for row in rows:
        partitions = "missing" if not row["exists"] else str(row["partitions"])
        kind = "public" if row["public"] else "internal"
        lines.append(
            f"{row['name']:18} {kind:9} {partitions:>10}  {_retention(row['config']):15} {row['schema_file'] or '-'}"
        )
    emit({"bootstrap": settings.kafka_bootstrap, "topics": rows}, "\n".join(lines))


COMMANDS = (topics,)
