"""``modstream stats``: moderation rates from the audit store."""

from __future__ import annotations

from datetime import timedelta

import click

from streams.cli.output import emit, json_option
from streams.config import get_settings


def _window(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    from streams.stats import parse_window

    try:
        return parse_window(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.command(help="moderation rates over a time window, from the audit store (MODSTREAM_DATABASE_URL)")
@click.option("--window", default="24h", callback=_window, help="how far back: 90s, 15m, 24h, 7d (default 24h)")
@json_option()
def stats(window: timedelta) -> None:
    from streams.stats import audit_rates, format_rates

    result = audit_rates(get_settings(), window)
    emit(result, format_rates(result))


COMMANDS = (stats,)
