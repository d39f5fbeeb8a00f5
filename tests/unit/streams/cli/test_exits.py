"""Exit statuses: the one table in streams.cli.exits, and every status the argparse CLI gave."""

from __future__ import annotations

import importlib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from streams.cli import main
from streams.cli.exits import EXIT_RULES, CommandFailed, ModstreamGroup, NothingFound, exit_status
from tests.images import SAMPLES

COFFEE = str(SAMPLES / "coffee.jpg")


@pytest.mark.parametrize("name", sorted({name for _, name, _ in EXIT_RULES}))
def test_every_rule_names_an_existing_exception(name: str) -> None:
    module, _, qualname = name.rpartition(".")
    cls = getattr(importlib.import_module(module), qualname)
    assert isinstance(cls, type) and issubclass(cls, BaseException)
    assert f"{cls.__module__}.{cls.__qualname__}" == name  # where it is defined, not a re-export


def test_rules_apply_by_command_and_by_exception_class() -> None:
    from modstream_models.protected import BankError
    from streams.policy import PolicyError

    assert exit_status(BankError("x"), "bank remove") == 1
    assert exit_status(PolicyError("x"), "policy check") == 1
    assert exit_status(ValueError("x"), "bank add") == 1
    assert exit_status(ValueError("x"), "watermark embed") == 2
    assert exit_status(FileNotFoundError(2, "No such file"), "verify") == 2
    assert exit_status(NothingFound(), "audit") == 3
    assert exit_status(CommandFailed(), "scan") == 1
    assert exit_status(ValueError("x"), "review list") is None  # a bug: its traceback
    assert exit_status(ValueError("x"), "banker") is None  # "bank" covers "bank ...", not "banker"


def _toy() -> ModstreamGroup:
    @click.group("toy", cls=ModstreamGroup)
    def toy() -> None:
        pass

    @toy.group(cls=ModstreamGroup)
    def sub() -> None:
        pass

    @sub.command("fail")
    def fail() -> None:
        raise CommandFailed("the reason")

    @toy.command("empty")
    def empty() -> None:
        click.echo("[]")
        raise NothingFound

    @toy.command("bug")
    def bug() -> None:
        raise RuntimeError("not a domain error")

    @toy.command("missing")
    def missing() -> None:
        Path("/nonexistent/file").read_bytes()

    return toy


def test_the_group_maps_failures_and_names_the_command() -> None:
    runner, toy = CliRunner(), _toy()
    failed = runner.invoke(toy, ["sub", "fail"])
    assert (failed.exit_code, failed.stderr) == (1, "toy sub fail: the reason\n")
    empty = runner.invoke(toy, ["empty"])
    assert (empty.exit_code, empty.stdout, empty.stderr) == (3, "[]\n", "")
    bug = runner.invoke(toy, ["bug"])
    assert bug.exit_code == 1 and isinstance(bug.exception, RuntimeError)  # unmapped: not swallowed
    assert runner.invoke(toy, ["missing"]).exit_code == 1  # an OSError outside `verify` is not a usage error


def test_calling_main_returns_the_exit_status_as_the_argparse_main_did(tmp_path: Path) -> None:
    assert main(["--help"]) == 0
    assert main(["policy", "check"]) == 0
    assert main(["no-such-command"]) == 2
    assert main(["audit", "no-such-request"]) == 3
    (tmp_path / "bad.yaml").write_text("rules: [\n")
    assert main(["policy", "check", str(tmp_path / "bad.yaml")]) == 1


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["no-such-command"], 2, "No such command"),
        (["bank"], 2, "Usage: modstream bank"),
        (["submit"], 2, "give --prompt TEXT (to generate) or --image FILE (to moderate)"),
        (["stats", "--window", "soon"], 2, "Invalid value for '--window'"),
        (["users", "add", "rita", "--role", "boss"], 2, "'boss' is not one of"),
        (["watermark", "embed", COFFEE, "out.png", "--payload", "abc"], 2, "--payload"),
        (["watermark", "embed", "/nonexistent.png", "out.png", "--payload", "00112233aabbccdd"], 2,
         "modstream watermark embed: /nonexistent.png: No such file or directory"),
        (["watermark", "decode", "/nonexistent.png"], 2, "modstream watermark decode: /nonexistent.png"),
        (["verify", "/nonexistent.png"], 2, "modstream verify: /nonexistent.png: No such file or directory"),
        (["bank", "add", "/nonexistent.png"], 1, "modstream bank add: /nonexistent.png: No such file"),
        (["bank", "add", __file__], 1, "not an image"),
        (["bank", "remove", "0123456789abcdef"], 1, "modstream bank remove: "),
        (["gallery", "add", "no good", COFFEE], 1, "modstream gallery add: bad gallery name"),
        (["gallery", "remove", "none"], 1, "modstream gallery remove: no gallery 'none'"),
        (["users", "remove", "nobody"], 1, "modstream users remove: no user nobody"),
        (["users", "rotate-token", "nobody"], 1, "modstream users rotate-token: no user nobody"),
        (["users", "add", ""], 1, "modstream users add: a user name has 1 to 128 characters"),
        (["review", "list"], 1, "modstream review list: set MODSTREAM_REVIEW_TOKEN"),
        (["schemas", "--dir", "/nonexistent"], 1, "modstream schemas: out of date in /nonexistent"),
        (["policy", "check", "/nonexistent.yaml"], 1, "modstream policy check: "),
        (["audit", "no-such-request"], 3, ""),
        (["trace", "no-such-request"], 3, ""),
    ],
)  # fmt: skip
def test_exit_statuses(args: list[str], status: int, message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == status, result.output
    assert message in result.stderr
    if not message:
        assert result.stderr == ""
