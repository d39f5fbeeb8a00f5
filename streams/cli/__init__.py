"""The ``modstream`` command: click command groups, one module per domain.

``main`` is the root group and the console script (``sys.exit(main())``): calling it runs the command line
and returns its exit status (see ``streams.cli.exits`` for what each status means).
"""

from __future__ import annotations

import click

from streams.cli import (
    gateway,
    policy,
    protection,
    requests,
    review,
    scan,
    schemas,
    stack,
    stats,
    top,
    topics,
    watermark,
)
from streams.cli.exits import ModstreamGroup
from streams.cli.output import json_option

__all__ = ["main"]


@click.group(
    "modstream",
    cls=ModstreamGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
    help="Streaming moderation for AI image generation (Kafka + Faust + Triton). "
    "Configuration: MODSTREAM_* environment variables, or a TOML file named by MODSTREAM_CONFIG.",
)
@json_option("print JSON, for every command that prints a result (as the command's own --json does)")
def main() -> None:
    pass


for _module in (stack, requests, schemas, topics, gateway, scan, protection, policy, stats, top, review, watermark):
    for _command in _module.COMMANDS:
        main.add_command(_command)
