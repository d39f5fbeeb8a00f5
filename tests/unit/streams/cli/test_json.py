"""One --json switch: before the command (`modstream --json stats`) or after it (`modstream stats --json`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.images import SAMPLES
from tests.unit.streams.cli.helpers import run


@pytest.mark.parametrize(
    "args",
    [["--json", "policy", "check"], ["policy", "check", "--json"], ["--json", "policy", "check", "--json"]],
)
def test_json_anywhere_prints_the_same_json(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rules"] > 0 and Path(summary["file"]).name == "default.yaml"


def test_without_json_the_text_is_printed() -> None:
    result = run("policy", "check")
    assert result.exit_code == 0 and "is valid" in result.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


def test_global_and_per_command_json_on_a_nested_command() -> None:
    added = run("--json", "bank", "add", str(SAMPLES / "coffee.jpg"), "--label", "cup")
    assert added.exit_code == 0, added.output
    assert [entry["label"] for entry in json.loads(added.stdout)] == ["cup"]
    assert json.loads(run("bank", "list", "--json").stdout) == json.loads(run("--json", "bank", "list").stdout)
    assert "cup" in run("bank", "list").stdout


def test_json_of_a_command_that_finds_nothing_still_prints() -> None:
    result = run("--json", "audit", "no-such-request")
    assert result.exit_code == 3
    assert json.loads(result.stdout) == []
