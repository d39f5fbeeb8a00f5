"""Requests through the pipeline: ``submit`` one, see where it ended (``outcome``) and how (``trace``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from streams.cli.exits import NothingFound
from streams.cli.output import emit, json_option
from streams.config import Settings, get_settings

IMAGE = click.Path(dir_okay=False, path_type=Path)


async def _submit(
    settings: Settings, *, prompt: str | None, image: Path | None, reference: Path | None, consent: bool,
    user: str, tenant: str, seed: int | None, reference_scale: float | None,
) -> str:  # fmt: skip
    from streams.client import ModstreamClient

    async with ModstreamClient(settings) as client:
        if image:
            return await client.submit_image(image.read_bytes(), user_id=user, tenant=tenant, prompt=prompt)
        return await client.submit_prompt(
            prompt or "",
            user_id=user,
            tenant=tenant,
            reference_image=reference.read_bytes() if reference else None,
            subject_consent=consent,
            seed=seed,
            reference_scale=reference_scale,
        )


@click.command(help="submit a prompt (to generate) or an image (to moderate)")
@click.option("--prompt", help="the text prompt")
@click.option("--reference", metavar="IMG", type=IMAGE, help="a reference (style) image for the prompt")
@click.option(
    "--reference-scale",
    type=click.FloatRange(0, 1),
    help="how strongly the reference conditions the image (0 to 1; default: the policy's)",
)
@click.option("--consent", is_flag=True, help="the people shown in the reference image consented to its use")
@click.option("--image", metavar="IMG", type=IMAGE, help="an image generated elsewhere: moderation only")
@click.option("--user", default="cli-user", show_default=True, help="the user id (pseudonymised at ingress)")
@click.option("--tenant", default="default", show_default=True, help="the tenant (whose policy overrides apply)")
@click.option("--seed", type=int, help="the generator's seed")
@json_option()
def submit(**options: Any) -> None:
    from streams.telemetry import setup_tracing, shutdown_tracing

    if not options["prompt"] and not options["image"]:
        raise click.UsageError("give --prompt TEXT (to generate) or --image FILE (to moderate)")
    settings = get_settings()
    setup_tracing("modstream-cli", settings.span_file)
    request_id = asyncio.run(_submit(settings, **options))
    shutdown_tracing()
    emit({"request_id": request_id}, request_id)


@click.command(help="where a request ended: outcome, review or dead-letter")
@click.argument("request_id")
@click.option("--wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for an end")
@json_option()
def outcome(request_id: str, wait: float) -> None:
    from streams.client import wait_for_ends

    ends = asyncio.run(wait_for_ends(get_settings(), [request_id], timeout_s=wait))[request_id]
    if not ends:
        emit({"request_id": request_id, "end": None}, f"{request_id}: no end yet")
        raise NothingFound
    records = [{"end": record.end, "topic": record.topic, "event": record.value} for record in ends]
    text = "\n".join(f"{request_id}: {record.end} ({record.value.get('reason', '')})" for record in ends)
    emit(records if len(records) > 1 else records[0], text)


@click.command(help="print a request's trace as a tree with span durations")
@click.argument("request_id")
@json_option("print the spans as JSON")
def trace(request_id: str) -> None:
    from streams.telemetry import format_trace_tree, read_spans, spans_of_request

    spans = spans_of_request(read_spans(get_settings().span_file), request_id)
    emit(spans, format_trace_tree(spans))
    if not spans:
        raise NothingFound


COMMANDS = (submit, outcome, trace)
