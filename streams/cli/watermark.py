"""Provenance of images: the invisible watermark (``watermark embed|decode``) and ``verify``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from streams.cli.exits import ModstreamGroup, NothingFound
from streams.cli.output import emit, json_option, open_image
from streams.config import get_settings

if TYPE_CHECKING:
    from modstream_models.watermark.model import Embedder, Reader

IMAGE_FILE = click.Path(dir_okay=False, path_type=Path)
WEIGHTS = click.option(
    "--weights", type=IMAGE_FILE,
    help="a weights file (default: the newest shipped version to embed; every shipped version, newest first, to read)",
)  # fmt: skip
IN = click.argument("image", metavar="IN", type=IMAGE_FILE)
THOROUGH = click.option(
    "--thorough", is_flag=True,
    help="where a turned or resized copy is searched, let the decoder rank every turn and scale combination (finds a "
    "turn combined with a resize where no straight edge in the copy shows the turn; about 7 s more per image on 2 CPU "
    "cores where nothing is found sooner)",
)  # fmt: skip


def _payload(_ctx: click.Context, _param: click.Parameter, value: str) -> bytes:
    if not re.fullmatch(r"[0-9a-fA-F]{16}", value):
        raise click.BadParameter(f"must be 16 hex digits (64 bits), not {value!r}")
    return bytes.fromhex(value)


def _embedder(weights: Path | None) -> Embedder:
    from modstream_models.watermark.model import Embedder, Watermarker

    return Embedder([Watermarker.load(weights)]) if weights else Embedder.load()


def _reader(weights: Path | None, thorough: bool) -> Reader:
    from modstream_models.watermark.model import Reader, Watermarker

    return Reader([Watermarker.load(weights)], thorough) if weights else Reader.load(thorough=thorough)


@click.group(
    cls=ModstreamGroup,
    help="embed or read the invisible watermark (in this process; needs the models extra)",
)
def watermark() -> None:
    pass


@watermark.command(
    short_help="write a watermarked copy of an image",
    help="Write a watermarked copy of IN (PNG, JPEG or WebP) to OUT (format by its extension), with the newest "
    "watermark version that suits its size (version 3 needs 384 px a side; smaller images get version 4).",
)
@IN
@click.argument("out", metavar="OUT", type=IMAGE_FILE)
@click.option("--payload", required=True, metavar="HEX", callback=_payload, help="64 bits as 16 hex digits")
@WEIGHTS
@json_option()
def embed(image: Path, out: Path, payload: bytes, weights: Path | None) -> None:
    source = open_image(image)  # before the weights load: a bad file fails at once
    marked, watermarker = _embedder(weights).embed_payload(source, payload)
    marked.save(out)
    number = watermarker.version_number
    emit({"out": str(out), "payload": payload.hex(), "version": number}, f"wrote {out} (watermark version {number})")


@watermark.command(
    short_help="read the payload (exit code 3: none found)",
    help="Read the payload of IN (PNG, JPEG or WebP); exit code 3: none found.",
)
@IN
@WEIGHTS
@THOROUGH
@json_option()
def decode(image: Path, weights: Path | None, thorough: bool) -> None:
    from streams.verify import describe_watermark

    source = open_image(image)
    mark = _reader(weights, thorough).read_payload(source).to_json()
    emit(mark, describe_watermark(mark))
    if not mark["detected"]:
        raise NothingFound


@click.command(
    short_help="the watermark, C2PA credentials and audit record of an image (exit code 3: not published here)",
    help="Read the invisible watermark (works on copies whose metadata was stripped), check the C2PA Content "
    "Credentials if still attached, and look the request up in the audit store (MODSTREAM_DATABASE_URL). "
    "IMG: an image file (PNG, JPEG or WebP). Exit code 3: not published here (no record, or a record whose "
    "published image differs from this one: its watermark was copied onto it).",
)
@click.argument("image", metavar="IMG", type=IMAGE_FILE)
@THOROUGH
@json_option()
def verify(image: Path, thorough: bool) -> None:
    from streams.verify import format_verification, verify_image

    result = verify_image(get_settings(), image.read_bytes(), thorough)
    emit(result, format_verification(result))
    if not result["record"] or result["record"]["content"] == "differs":
        raise NothingFound


COMMANDS = (watermark, verify)
