"""What a command prints: its text, or with ``--json`` its data as JSON; and the files it reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from pydantic import BaseModel

if TYPE_CHECKING:
    from PIL import Image

F = TypeVar("F", bound=Callable[..., Any])

# Set in ``Context.meta``, which the root context shares with every subcommand's context.
JSON_KEY = "modstream.json"


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[JSON_KEY] = True


def json_option(help_text: str = "print JSON") -> Callable[[F], F]:
    """The ``--json`` flag: one switch, given to the root group (``modstream --json stats``) or to a
    command (``modstream stats --json``); either way ``emit`` prints JSON."""
    return click.option("--json", is_flag=True, expose_value=False, callback=_remember_json, help=help_text)


def wants_json() -> bool:
    """Whether ``--json`` was given, before the command or after it."""
    return bool(click.get_current_context().meta.get(JSON_KEY, False))


def _jsonable(value: Any) -> Any:
    """What ``json`` cannot write itself: typed rows (pydantic models) as their fields, times in ISO 8601
    (``2026-11-22T09:00:00+00:00``, as the review API writes them), anything else as its text."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def emit(data: Any, text: str) -> None:
    """Prints ``data`` as JSON under ``--json``, else ``text``."""
    click.echo(json.dumps(data, indent=2, default=_jsonable) if wants_json() else text)


def progress(step: str, *, err: bool = False) -> None:
    """A ``... step`` line while something slow starts (on standard error with ``err``)."""
    click.echo(f"... {step}", err=err)


def open_image(path: str | Path) -> Image.Image:
    """The decoded image in ``path``; a ``ValueError`` naming the file if it cannot be read or decoded."""
    from modstream_models.images import decode_image

    try:
        return decode_image(Path(path).read_bytes())
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
