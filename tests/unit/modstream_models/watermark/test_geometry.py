"""Undoing turns and mirrors: the geometry the reader tries gives back the watermarked image's layout."""

import numpy as np
import pytest
import torch
from PIL import Image

from modstream_models.watermark.geometry import MAX_ROTATION, Geometry, candidates, undo
from tests.images import SAMPLES

BILINEAR = Image.Resampling.BILINEAR
MIRROR = Image.Transpose.FLIP_LEFT_RIGHT


def tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)[None]


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(SAMPLES / "coffee.jpg").convert("RGB").resize((300, 200))


@pytest.mark.parametrize("rotation", [-10.0, -3.5, 6.0, 12.0])
def test_an_enlarged_canvas_gives_back_the_original_size(photo: Image.Image, rotation: float) -> None:
    turned = photo.rotate(rotation, expand=True)
    width, height = Geometry(rotation, False, True).original_size(*turned.size) or (0, 0)
    assert abs(width - photo.width) < 2 and abs(height - photo.height) < 2


def test_no_turn_of_a_very_wide_copy_comes_from_an_enlarged_canvas() -> None:
    """A 12-degree turn of any image is at least tan(12) as high as it is wide, with the corners kept."""
    assert Geometry(12.0, False, True).original_size(1000, 100) is None
    assert all(not geometry.expanded or abs(geometry.rotation) < 6 for geometry in candidates(1000, 100))


def test_candidates_cover_every_whole_degree_mirrored_or_not_once() -> None:
    found = candidates(512, 512)
    assert len(found) == len(set(found))
    assert {(g.rotation, g.flipped) for g in found} == {
        (float(r), f) for r in range(-MAX_ROTATION, MAX_ROTATION + 1) for f in (False, True)
    }
    assert Geometry(0.0, False, True) not in found


@pytest.mark.parametrize(
    ("geometry", "attack"),
    [
        (Geometry(10.0, False, False), lambda image: image.rotate(10, resample=BILINEAR)),
        (Geometry(-7.0, False, True), lambda image: image.rotate(-7, resample=BILINEAR, expand=True)),
        (Geometry(0.0, True, False), lambda image: image.transpose(MIRROR)),
        (
            Geometry(5.0, True, False),
            lambda image: image.transpose(MIRROR).rotate(5, resample=BILINEAR),
        ),
    ],
)
def test_undoing_the_geometry_gives_back_the_image(photo: Image.Image, geometry: Geometry, attack) -> None:  # type: ignore[no-untyped-def]
    copy = attack(photo)
    restored = undo(tensor(copy), copy.width, copy.height, [geometry], 64)[0]
    expected = torch.nn.functional.interpolate(tensor(photo), size=(64, 64), mode="bilinear", antialias=True)[0]
    centre = (slice(None), slice(12, 52), slice(12, 52))  # the corners of a turned copy are lost
    assert (restored[centre] - expected[centre]).abs().mean() < 0.03
    other = Geometry(geometry.rotation + 4, not geometry.flipped, False)
    wrong = undo(tensor(copy), copy.width, copy.height, [other], 64)
    assert (wrong[0][centre] - expected[centre]).abs().mean() > 0.06
