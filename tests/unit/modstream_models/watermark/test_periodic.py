"""The periodic layout: folding a copy onto one tile, repeating a residual, and the blind reader on version 1's
networks."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from modstream_models.watermark import periodic
from modstream_models.watermark.model import VERSIONS, Watermarker, version_1_periodic
from streams.stack import REPO_ROOT
from tests.images import best_cyclic_match, periodic_pattern


def test_a_crop_of_a_periodic_image_folds_onto_its_tile_rolled_to_where_the_crop_began() -> None:
    tile = torch.rand(1, 3, 40, 40, generator=torch.Generator().manual_seed(0))
    image = tile.repeat(1, 1, 3, 3)
    top, left = 13, 29
    folded = periodic.fold(image[..., top : top + 50, left : left + 70], 40, top, left)
    assert torch.allclose(folded, tile, atol=1e-6)


def test_places_no_pixel_fell_on_are_grey() -> None:
    red = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1).expand(1, 3, 10, 30)  # 10 rows of a 20-row period
    folded = periodic.fold(red, 20)
    assert torch.all(folded[..., :10, :] == red[..., :1, :1]) and torch.all(folded[..., 10:, :] == 0.5)


def test_a_repeated_residual_is_exactly_periodic_and_keeps_the_working_size_pattern() -> None:
    residual = torch.rand(1, 1, 64, 64, generator=torch.Generator().manual_seed(1)) * 2 - 1
    spread = periodic.repeat(residual, 300, 260)
    assert spread.shape == (1, 1, 300, 260)
    assert torch.equal(spread[..., :128, :128], spread[..., 128:256, 128:256])
    assert torch.equal(spread[..., :44, :4], spread[..., 256:300, 256:260])
    back = torch.nn.functional.avg_pool2d(spread[..., :128, :128], 2)
    assert torch.corrcoef(torch.stack([back.flatten(), residual.flatten()]))[0, 1] > 0.9


def test_a_mirrored_crop_of_another_aspect_ratio_is_found_blind_and_an_unmarked_copy_is_not() -> None:
    watermarker = version_1_periodic()
    image = Image.open(REPO_ROOT / "samples" / "coffee.jpg").convert("RGB").resize((320, 256))
    payload = bytes(range(8))
    marked = watermarker.embed_payload(image, payload)
    assert watermarker.read_payload(marked).payload == payload  # as it is: the tile at the origin
    box = (37, 70, 300, 200)  # most of the width, half of the height, at no multiple of anything
    mirrored = marked.crop(box).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    found = watermarker.read_payload(mirrored)
    assert found.payload == payload and found.geometry is not None and found.geometry.flipped
    assert not watermarker.read_payload(image.crop(box)).detected
    psnr = 10 * np.log10(255**2 / np.mean((np.asarray(marked, float) - np.asarray(image, float)) ** 2))
    assert psnr >= 42.0


def test_reading_every_shift_at_once_reads_as_decoding_each_rolled_tile() -> None:
    watermarker = Watermarker.load(VERSIONS[1])
    watermarker.use_layout("periodic")
    tile = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    every = watermarker.read_every_shift(torch.cat([tile, tile.flip(-1)]))
    assert every.shape == (2, 64 * 64, 120)
    assert np.allclose(every[1, 0], watermarker.read_working_size(tile.flip(-1))[0], atol=1e-4)
    for down, right in [(0, 0), (5, 60), (33, 16), (63, 1), (17, 2)]:
        direct = watermarker.read_working_size(torch.roll(tile, (down, right), dims=(2, 3)))[0]
        assert np.allclose(every[0, down * 64 + right], direct, atol=1e-4)
    for step in (2, 4):  # every step-th roll each way, the first strided convolutions kept strided
        rows = watermarker.read_every_shift(tile, step)[0]
        assert rows.shape == ((64 // step) ** 2, 120)
        assert np.allclose(rows, every[0].reshape(64, 64, 120)[::step, ::step].reshape(-1, 120), atol=1e-5)


def test_shrinking_a_tile_treats_it_as_a_torus() -> None:
    tile = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(3))
    rolled_then_shrunk = periodic.shrink(torch.roll(tile, (10, 22), dims=(2, 3)), 64)
    assert torch.allclose(rolled_then_shrunk, torch.roll(periodic.shrink(tile, 64), (5, 11), dims=(2, 3)), atol=1e-5)


def test_undoing_a_turn_and_a_resize_folds_the_copy_onto_its_tile_and_a_wrong_turn_does_not() -> None:
    size = 32
    pattern, image = periodic_pattern(size, repeats=(7, 6))
    tile = torch.from_numpy(pattern)
    copy = image.rotate(7, resample=Image.Resampling.BICUBIC)
    copy = copy.resize((round(copy.width * 0.8), round(copy.height * 0.8)), Image.Resampling.BICUBIC)
    tensor = torch.from_numpy(np.asarray(copy, dtype=np.float32) / 255).permute(2, 0, 1)[None]
    undone = periodic.undo(tensor, [7], 0.8, size)
    assert undone.shape == (1, 3, size, size)
    assert best_cyclic_match(undone[0, 0], tile) > 0.99
    assert abs(float(undone.mean()) - float(tile.mean())) < 0.01  # the black corners the turn filled are not read
    assert best_cyclic_match(periodic.undo(tensor, [-7], 0.8, size)[0, 0], tile) < 0.8
    assert best_cyclic_match(periodic.undo(tensor, [7], 0.88, size)[0, 0], tile) < 0.9


def test_a_turned_and_resized_copy_reads_once_its_turn_and_scale_are_known_and_not_blind() -> None:
    watermarker = version_1_periodic()
    image = Image.open(REPO_ROOT / "samples" / "coffee.jpg").convert("RGB").resize((512, 384))
    payload = bytes(range(8))
    copy = watermarker.embed_payload(image, payload).rotate(8, resample=Image.Resampling.BILINEAR)
    copy = copy.resize((round(copy.width * 0.8), round(copy.height * 0.8)), Image.Resampling.BICUBIC)
    found = watermarker.read_undone(copy, 8, 0.8)
    assert found.payload == payload and found.version == watermarker.version_number
    assert not watermarker.read_payload(copy).detected  # the gap a search over turns and scales has to close
    assert not watermarker.read_undone(image, 8, 0.8).detected
