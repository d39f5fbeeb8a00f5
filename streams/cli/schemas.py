"""``modstream schemas``: the JSON Schema files of the public topics, checked or written."""

from __future__ import annotations

from pathlib import Path

import click

from streams.cli.exits import CommandFailed

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


@click.command(help="check (default) or --write the JSON Schema files")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=SCHEMA_DIR,
    show_default=True,
    help="the schema folder",
)
@click.option("--write", is_flag=True, help="write the files instead of checking them")
def schemas(directory: Path, write: bool) -> None:
    from streams.events import json_schemas, write_json_schemas

    if write:
        for path in write_json_schemas(directory):
            click.echo(path)
        return
    stale = [
        name
        for name, text in json_schemas().items()
        if not (directory / name).is_file() or (directory / name).read_text() != text
    ]
    if stale:
        raise CommandFailed(f"out of date in {directory}: {', '.join(stale)}; run: modstream schemas --write")
    click.echo(f"{directory}: up to date")


COMMANDS = (schemas,)
