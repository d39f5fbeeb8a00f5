"""Protected style galleries on disk: one folder of reference images per gallery.

The style model on Triton re-reads the folder when it changes; this module only manages files, so
it needs no model.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from modstream_models.images import gallery_images

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class GalleryError(ValueError):
    """A gallery operation that cannot be done."""


def _folder(directory: Path, name: str) -> Path:
    if not NAME.match(name):
        raise GalleryError(f"bad gallery name {name!r}: use up to 64 letters, digits, '-' and '_'")
    return directory / name


def add_to_gallery(directory: Path, name: str, images: Sequence[Image.Image]) -> list[Path]:
    """Saves ``images`` as PNG (named by content, so adding twice changes nothing); returns their paths."""
    folder = _folder(directory, name)
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for image in images:
        rgb = image.convert("RGB")
        target = folder / f"{hashlib.sha256(rgb.tobytes()).hexdigest()[:16]}.png"
        if not target.exists():
            temporary = target.with_suffix(".tmp")
            rgb.save(temporary, format="PNG")
            temporary.rename(target)
        saved.append(target)
    return saved


def remove_gallery(directory: Path, name: str) -> None:
    folder = _folder(directory, name)
    if not folder.is_dir():
        raise GalleryError(f"no gallery {name!r} in {directory} (see `modstream gallery list`)")
    shutil.rmtree(folder)


def list_galleries(directory: Path) -> dict[str, int]:
    if not directory.is_dir():
        return {}
    return {folder.name: len(gallery_images(folder)) for folder in sorted(directory.iterdir()) if folder.is_dir()}
