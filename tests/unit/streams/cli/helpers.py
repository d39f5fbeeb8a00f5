"""Runs `modstream` in-process with click's CliRunner, and walks its command tree."""

from __future__ import annotations

from collections.abc import Iterator

import click
from click.testing import CliRunner, Result

from streams.cli import main


def run(*args: str, stdin: str | None = None) -> Result:
    """``modstream ARGS`` in this process; ``exit_code``, ``stdout`` and ``stderr`` kept apart."""
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def commands(group: click.Group = main, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and group under ``group`` (itself first), with its words after `modstream`."""
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def leaves() -> list[tuple[str, ...]]:
    """The words of every command that runs something (not a group)."""
    return [path for path, command in commands() if not isinstance(command, click.Group)]
