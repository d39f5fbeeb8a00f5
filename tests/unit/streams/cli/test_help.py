"""`--help` (and `-h`) on every command and group, with the help texts the argparse CLI had."""

from __future__ import annotations

import click
import pytest

from streams.cli import main
from streams.cli.output import _remember_json
from tests.unit.streams.cli.helpers import commands, leaves, run

ALL = [path for path, _ in commands()]
# Commands that print no result of their own (they run a service, or check files) take no --json.
WITHOUT_JSON = {("up",), ("worker",), ("review-service",), ("gateway",), ("schemas",)}


@pytest.mark.parametrize("path", ALL, ids=[" ".join(path) or "modstream" for path in ALL])
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    for flag in ("--help", "-h"):
        result = run(*path, flag)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"Usage: {' '.join(('modstream', *path))} ")
        assert "Show this message and exit." in result.stdout
    command = dict(commands())[path]
    assert command.help, f"modstream {' '.join(path)} has no help text"


def test_the_root_lists_every_command_with_its_whole_short_help() -> None:
    listing = run("--help").stdout
    for name in main.commands:
        assert f"\n  {name} " in listing
    assert "..." not in listing.partition("Commands:")[2]  # click would cut short helps at about 45 characters
    up_help = "start the embedded stack (broker, Triton, worker, review service, gateway) until Ctrl-C"
    assert up_help in " ".join(listing.split())


def test_help_keeps_the_documented_details() -> None:
    assert "Exit code 1 if any image could not be scanned." in " ".join(run("scan", "--help").stdout.split())
    assert "exit code 3: none found" in run("watermark", "--help").stdout
    assert "MODSTREAM_REVIEW_TOKEN" in run("review", "--help").stdout
    assert "[debug|info|warning|error]" in run("worker", "--help").stdout
    assert "[reviewer|lead|admin]" in run("users", "add", "--help").stdout


def test_every_command_that_prints_a_result_takes_json_and_the_root_does_too() -> None:
    tree = dict(commands())
    with_json = {path for path in leaves() if any(p.name == "json" for p in tree[path].params)}
    assert with_json == set(leaves()) - WITHOUT_JSON
    assert "--json" in run("--help").stdout


def test_every_json_flag_is_the_one_shared_option() -> None:
    flags = [p for _, command in commands() for p in command.params if "--json" in getattr(p, "opts", [])]
    assert len(flags) == len(leaves()) - len(WITHOUT_JSON) + 1  # + the root group's
    assert all(isinstance(p, click.Option) and p.callback is _remember_json and not p.expose_value for p in flags)
