"""``modstream scan``: every safety model on image files, through Triton."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import click

from streams.cli.exits import CommandFailed
from streams.cli.output import emit, json_option, progress
from streams.config import get_settings


@click.command(
    short_help="run every safety model on image files through Triton and print the findings",
    help="Faces, PII text, nudity, protected-image matches and style similarity for each image, "
    "with scores, boxes and model versions. Uses MODSTREAM_TRITON_URL, else the running embedded server, "
    "else starts the embedded server for the scan. Exit code 1 if any image could not be scanned.",
)
@click.argument("images", nargs=-1, required=True, metavar="IMG...", type=click.Path(path_type=Path))
@click.option(
    "--redact",
    metavar="OUT_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="write copies with faces blurred and PII text filled",
)
@json_option("print JSON (every detection, with `counts`)")
def scan(images: tuple[Path, ...], redact: Path | None) -> None:
    from streams.scan import format_report, scan_files, triton_server

    settings = get_settings()
    with triton_server(settings, progress=partial(progress, err=True)) as url:
        reports = asyncio.run(scan_files(list(images), settings, url, redact))
    emit(reports, "\n".join(format_report(report) for report in reports))
    if any("error" in report for report in reports):
        raise CommandFailed  # each such report says why


COMMANDS = (scan,)
