"""``modstream top``: a live view of the running stack from its metrics."""

from __future__ import annotations

import json
import time

import click

from streams.cli.exits import CommandFailed
from streams.cli.output import emit, json_option, wants_json
from streams.config import get_settings

CLEAR = "\x1b[H\x1b[2J"


@click.command(
    help="a live view of the running stack from its /metrics: ends per second, p50/p99 per stage "
    "and Triton model, consumer lag, review queue; refreshes every --interval seconds (Ctrl-C stops)"
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="seconds between two scrapes (the rates are over this interval)",
)
@click.option("--once", is_flag=True, help="scrape twice, --interval apart, print once and exit (for scripts)")
@click.option(
    "--worker-url",
    "worker_urls",
    multiple=True,
    metavar="URL",
    help="a worker's metrics URL (repeat for several workers; default: the local worker)",
)
@click.option("--review-url", metavar="URL", help="the review service's metrics URL (default: the local one)")
@json_option()
def top(interval: float, once: bool, worker_urls: tuple[str, ...], review_url: str | None) -> None:  # fmt: skip
    from streams.top import ScrapeFailed, format_summary, scrape, summarise

    settings = get_settings()
    urls = [*(worker_urls or [f"http://127.0.0.1:{settings.worker_web_port}/metrics"]),
            review_url or f"{settings.review_base_url}/metrics"]  # fmt: skip
    try:
        before, started = scrape(urls), time.monotonic()
        while True:
            time.sleep(interval)
            after, now = scrape(urls), time.monotonic()
            summary = summarise(before, after, now - started)
            if once:
                emit(summary, format_summary(summary))
                return
            # a live view redraws the screen; with --json it writes one object per line instead
            click.echo(json.dumps(summary) if wants_json() else CLEAR + format_summary(summary))
            before, started = after, now
    except ScrapeFailed as exc:
        raise CommandFailed(str(exc)) from None
    except KeyboardInterrupt:
        pass


COMMANDS = (top,)
