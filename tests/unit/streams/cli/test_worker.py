"""`modstream worker` runs Faust's own `worker` command on the app, with arguments rather than sys.argv."""

from __future__ import annotations

import sys
from typing import Any

import click
import faust.cli.faust
import pytest

from streams.cli.stack import FAUST_LOG_LEVELS
from tests.unit.streams.cli.helpers import run


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Faust's call_command, recorded instead of run, with the agents the app had by then."""
    recorded: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def call_command(*args: Any, **kwargs: Any) -> tuple[int, Any, Any]:
        recorded.append((args, {**kwargs, "agents": sorted(kwargs["app"].agents)}))
        return 7, kwargs["stdout"], kwargs["stderr"]

    monkeypatch.setattr(faust.cli.faust, "call_command", call_command)
    monkeypatch.setattr("streams.telemetry.setup_tracing", lambda *args: None)
    return recorded


def test_worker_runs_fausts_worker_command_on_the_app(calls: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> None:
    from streams.app import app

    argv = list(sys.argv)
    result = run("worker", "--loglevel", "debug")
    assert result.exit_code == 7  # the worker's own exit status
    ((args, kwargs),) = calls
    assert args == ("worker", ["--loglevel", "debug"])
    assert kwargs["app"] is app and kwargs["side_effects"] is True
    assert kwargs["agents"]  # registered before the worker starts
    assert sys.argv == argv  # untouched


def test_the_default_log_level_is_info_and_warning_is_fausts_warn(
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]],
) -> None:
    assert run("worker").exit_code == 7
    assert run("worker", "--loglevel", "warning").exit_code == 7
    assert [args for args, _ in calls] == [("worker", ["--loglevel", "info"]), ("worker", ["--loglevel", "warn"])]


@pytest.mark.parametrize("level", ["debug", "info", "warning", "error"])
def test_fausts_worker_command_accepts_every_level_we_offer(level: str) -> None:
    from streams.app import app

    root = faust.cli.faust.cli.make_context("faust", ["worker"], app=app, side_effects=False)
    worker = faust.cli.faust.cli.commands["worker"]
    worker.make_context("worker", ["--loglevel", FAUST_LOG_LEVELS.get(level, level)], parent=root)
    if level == "warning":  # what the argparse CLI passed on, and Faust refused
        with pytest.raises(click.BadParameter):
            worker.make_context("worker", ["--loglevel", level], parent=root)
