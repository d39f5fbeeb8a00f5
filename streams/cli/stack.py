"""Running things: the embedded stack (``up``), the Faust worker it starts, and the demo."""

from __future__ import annotations

import signal
import sys
import threading
from typing import TYPE_CHECKING

import click

from streams.cli.output import json_option, progress, wants_json
from streams.config import get_settings

if TYPE_CHECKING:
    from streams.stack import Stack

LOG_LEVELS = click.Choice(["debug", "info", "warning", "error"])
FAUST_LOG_LEVELS = {"warning": "warn"}  # Faust's --loglevel takes crit, error, warn, info, debug


def _stop_on_signals() -> threading.Event:
    """An event that SIGINT (Ctrl-C) and SIGTERM set."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _watch(stack: Stack, stop: threading.Event) -> None:
    """Waits for ``stop``, or for a part of the stack to exit (which also stops it)."""
    while not stop.wait(1.0):
        for name, part in stack.parts.items():
            if not part.alive():
                click.echo(f"{name} exited (code {part.process.returncode}); see {part.log}", err=True)
                stop.set()


@click.command(help="start the embedded stack (broker, Triton, worker, review service, gateway) until Ctrl-C")
def up() -> None:
    from streams.stack import Stack
    from streams.telemetry import setup_tracing

    settings = get_settings()
    setup_tracing("modstream-cli", settings.span_file)
    stack = Stack(settings)
    stop = _stop_on_signals()
    stack.start(progress=progress)
    effective = stack.effective_settings()
    click.echo(
        f"ready: kafka {effective.kafka_bootstrap}, triton {effective.triton_grpc}, "
        f"worker http://127.0.0.1:{settings.worker_web_port}, review console {settings.review_base_url}; "
        f"logs in {stack.log_dir}. Ctrl-C stops."
    )
    click.echo(f"gateway {settings.gateway_base_url}")
    for name, url in stack.metrics_urls().items():
        click.echo(f"metrics {name} {url}")
    try:
        _watch(stack, stop)
    finally:
        click.echo("stopping ...")
        stack.stop()
        click.echo("stopped")


@click.command(help="run the Faust worker (what `up` starts)")
@click.option("--loglevel", default="info", show_default=True, type=LOG_LEVELS, help="the worker's log level")
def worker(loglevel: str) -> None:
    """Runs Faust's own ``worker`` command (the one ``faust -A streams.app worker`` runs) on our app, with
    these arguments rather than ``sys.argv``; its exit status is this command's."""
    from faust.cli.faust import call_command  # importing faust.cli.faust registers faust's commands

    from streams.telemetry import setup_tracing

    settings = get_settings()
    setup_tracing("modstream-worker", settings.span_file)
    import streams.agents  # noqa: F401  (registers the agents on the app)
    from streams.app import app

    status, _, _ = call_command(
        "worker",
        ["--loglevel", FAUST_LOG_LEVELS.get(loglevel, loglevel)],
        stdout=sys.stdout,
        stderr=sys.stderr,
        side_effects=True,
        app=app,
    )
    raise SystemExit(status)


@click.command(help="start the stack, submit a mixed sample set, print where each ended, stop")
@click.option("--timeout", type=float, default=180.0, show_default=True, help="seconds to wait for every end")
@json_option("print the results as JSON")
@click.pass_context
def demo(ctx: click.Context, timeout: float) -> None:
    from streams.demo import run_demo

    ctx.exit(run_demo(get_settings(), as_json=wants_json(), timeout_s=timeout))


COMMANDS = (up, worker, demo)
