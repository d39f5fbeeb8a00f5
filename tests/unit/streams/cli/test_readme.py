"""Every `modstream` command line in README.md parses, and every command the text names exists."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest

from streams.cli import main
from tests.unit.streams.cli.helpers import commands, run

README = Path(__file__).resolve().parents[4] / "README.md"


def _command_lines() -> list[list[str]]:
    """The arguments of each `modstream ...` line in the README's ```bash blocks (comments, continuation
    lines and leading environment assignments taken care of)."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            programs = [i for i, word in enumerate(words) if Path(word).name == "modstream"]
            if programs:
                lines.append(words[programs[0] + 1 :])
    return lines


def _mentions() -> list[list[str]]:
    """The words of each `modstream ...` code span in the README's text, once each; `users add|remove|list`
    stands for three."""
    spans = {tuple(span.split()[:3]) for span in re.findall(r"`modstream ([^`]+)`", README.read_text())}
    found = set()
    for words in spans:
        found |= set(itertools.product(*(word.split("|") for word in words)))
    return sorted(list(words) for words in found)


EXAMPLES = _command_lines()
MENTIONS = _mentions()


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 15 and ["up"] in EXAMPLES
    assert ["watermark", "decode", "out.png", "--json"] in EXAMPLES
    assert len(MENTIONS) >= 10


@pytest.mark.parametrize("args", EXAMPLES, ids=[" ".join(args) for args in EXAMPLES])
def test_every_example_parses(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsed by the real commands (options, choices, required arguments, --window and --payload checks),
    each command's body replaced by a recorder."""
    ran: list[dict[str, Any]] = []
    for _, command in commands():
        if not isinstance(command, click.Group):
            monkeypatch.setattr(command, "callback", lambda **params: ran.append(params))
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert len(ran) == 1


@pytest.mark.parametrize("words", MENTIONS, ids=[" ".join(words) for words in MENTIONS])
def test_every_command_the_text_names_exists(words: list[str]) -> None:
    words = [word for word in words if not word.startswith("-")]  # `modstream --json stats` names stats
    path: list[str] = []
    command: click.Command = main
    while isinstance(command, click.Group) and len(path) < len(words) and words[len(path)] in command.commands:
        command = command.commands[words[len(path)]]
        path.append(words[len(path)])
    if words and not words[0].isupper():  # `modstream COMMAND --help` names none
        assert path, f"no command `modstream {words[0]}`"
    assert run(*path, "--help").exit_code == 0
