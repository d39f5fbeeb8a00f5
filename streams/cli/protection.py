"""What the moderation protects: images in the protected bank (``bank``), styles in galleries (``gallery``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from streams.cli.exits import ModstreamGroup
from streams.cli.output import emit, json_option, open_image
from streams.config import get_settings

if TYPE_CHECKING:
    from modstream_models.protected import ProtectedBank

IMAGES = click.argument("images", nargs=-1, required=True, metavar="IMG...", type=click.Path(path_type=Path))


def _bank() -> ProtectedBank:
    from modstream_models.protected import ProtectedBank

    return ProtectedBank(get_settings().protected_bank_file)


@click.group(cls=ModstreamGroup, help="manage the protected-image bank (PDQ hashes)")
def bank() -> None:
    pass


@bank.command("add", help="add protected images")
@IMAGES
@click.option("--label", help="a label for the entries (default: the file name)")
@json_option()
def bank_add(images: tuple[Path, ...], label: str | None) -> None:
    protected = _bank()
    added = []
    for path in images:
        entry = protected.add(open_image(path), label=label or path.stem, source=str(path))
        added.append({"id": entry.id, "label": entry.label, "quality": entry.quality, "source": entry.source})
    emit(added, "\n".join(f"added {a['id']} {a['label']} (PDQ quality {a['quality']})" for a in added))


@bank.command("remove", help="remove an entry by id")
@click.argument("entry_id", metavar="ID")
@json_option()
def bank_remove(entry_id: str) -> None:
    entry = _bank().remove(entry_id)
    emit({"removed": entry.id}, f"removed {entry.id} {entry.label}")


@bank.command("list", help="list the entries")
@json_option()
def bank_list() -> None:
    protected = _bank()
    rows = [
        {"id": e.id, "label": e.label, "source": e.source, "added_at": e.added_at, "quality": e.quality}
        for e in protected.entries.values()
    ]
    text = "\n".join(f"{r['id']}  {r['label']}  {r['added_at']}  {r['source']}" for r in rows)
    emit(rows, text or f"the protected bank ({protected.path}) is empty")


@click.group(cls=ModstreamGroup, help="manage protected style galleries (reference images per style)")
def gallery() -> None:
    pass


@gallery.command(
    "add",
    short_help="add reference images to a gallery (created if new)",
    help="Add reference images to a gallery (created if new). NAME: letters, digits, '-' and '_'.",
)
@click.argument("name")
@IMAGES
@json_option()
def gallery_add(name: str, images: tuple[Path, ...]) -> None:
    from streams.galleries import add_to_gallery

    saved = add_to_gallery(get_settings().style_galleries_dir, name, [open_image(path) for path in images])
    emit([str(path) for path in saved], f"gallery {name}: {len(saved)} image(s) added")


@gallery.command("remove", help="remove a gallery")
@click.argument("name")
@json_option()
def gallery_remove(name: str) -> None:
    from streams.galleries import remove_gallery

    remove_gallery(get_settings().style_galleries_dir, name)
    emit({"removed": name}, f"removed gallery {name}")


@gallery.command("list", help="list galleries and their sizes")
@json_option()
def gallery_list() -> None:
    from streams.galleries import list_galleries

    directory = get_settings().style_galleries_dir
    galleries = list_galleries(directory)
    text = "\n".join(f"{name}  {count} image(s)" for name, count in galleries.items())
    emit(galleries, text or f"no style galleries in {directory}")


COMMANDS = (bank, gallery)
