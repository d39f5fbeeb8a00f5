"""The periodic layout's turn and scale search: candidate folds, shift-free statistics, the shipped head, training."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from modstream_models.images import jpeg_round_trip
from modstream_models.watermark import periodic, sync
from modstream_models.watermark.data import grace_hopper
from modstream_models.watermark.model import VERSIONS, WORKING_SIZE, Watermarker, to_tensor, version_1_periodic
from tests.images import best_cyclic_match, periodic_pattern


def _pattern_copy(size: int, turn: float, scale: float) -> torch.Tensor:
    """A smooth pattern repeating every ``size`` pixels, turned by Pillow and resized: 1 x 3 x h x w."""
    _, image = periodic_pattern(size, repeats=(6, 7))
    copy = image.rotate(turn, resample=Image.Resampling.BICUBIC)
    copy = copy.resize((round(copy.width * scale), round(copy.height * scale)), Image.Resampling.BICUBIC)
    return torch.from_numpy(np.asarray(copy, dtype=np.float32) / 255).permute(2, 0, 1)[None]


def test_a_candidate_fold_is_the_full_resolution_undo_at_the_working_size_and_only_at_the_right_turn() -> None:
    copy = _pattern_copy(64, 7, 0.8)
    right, wrong = sync.candidate_tiles(copy, 0.8, [7.0, -7.0], tile=64, working=16)
    exact = periodic.shrink(periodic.undo(copy, [7], 0.8, 64), 16)[0]
    assert right.shape == wrong.shape == (3, 16, 16)
    # both lie on a torus, rolled alike up to the rounding of where the resized copy's centre falls
    assert best_cyclic_match(right, exact) > 0.97
    assert best_cyclic_match(wrong, exact) < 0.9


def test_the_statistics_are_the_same_wherever_the_crop_began() -> None:
    watermarker = version_1_periodic(256)
    tile = torch.rand(1, 3, WORKING_SIZE, WORKING_SIZE, generator=torch.Generator().manual_seed(0))
    stride = WORKING_SIZE // watermarker.decoder.map_side  # the decoder's features wrap around on a torus
    rolled = torch.roll(tile, (stride, 2 * stride), dims=(2, 3))
    pooled = sync.statistics(watermarker.decoder.features, torch.cat([tile, rolled]))
    assert pooled.shape == (2, 3 * (32 * 3 + 64 * 2))
    assert torch.allclose(pooled[0], pooled[1], atol=1e-4)


def test_version_2_reads_a_turned_resized_jpeg_copy_blind_with_its_head_and_an_unmarked_one_not() -> None:
    hopper = grace_hopper()
    watermarker = version_1_periodic(256)  # version 2's networks without its head; a photo neither trained on
    payload = bytes(range(8, 16))

    def reposted(image: Image.Image) -> Image.Image:
        turned = image.rotate(-8, resample=Image.Resampling.BILINEAR)
        return jpeg_round_trip(turned.resize((round(image.width * 0.85), round(image.height * 0.85))), 80)

    copy = reposted(watermarker.embed_payload(hopper, payload))
    assert not watermarker.read_payload(copy).detected  # no search: the fold does not line up
    searching = Watermarker.load(VERSIONS[2])
    found = searching.read_payload(copy)
    assert found.payload == payload and found.version == 2
    assert found.geometry is not None and not found.geometry.flipped  # what the search undid, within its tolerance
    assert abs(found.geometry.rotation + 8) <= 1 and abs(found.geometry.scale / 0.85 - 1) <= 0.02
    assert found.to_json()["scale"] == found.geometry.scale
    assert not searching.read_payload(reposted(hopper)).detected


def test_training_examples_label_the_candidates_near_a_marked_copys_turn_and_scale_and_fit_a_head(
    tmp_path: Path,
) -> None:
    watermarker = version_1_periodic(256)
    pooled, labels = sync.examples(watermarker, count=2, seed=5)
    assert pooled.shape == (20, 3 * (32 * 3 + 64 * 2)) and labels.shape == (20,)
    assert set(labels.tolist()) <= {0.0, 1.0}
    # per copy: two candidates near the true turn and scale, which only a marked image makes positives
    assert labels.view(-1, 5)[:, 2:].sum() == 0
    presence = sync.fit(pooled, labels, steps=5)
    torch.save(presence.state_dict(), tmp_path / sync.HEAD)
    sync.export(tmp_path / sync.HEAD, tmp_path / "v9.pt", version=9, tile=256)
    exported = Watermarker.load(tmp_path / "v9.pt")
    assert (exported.version_number, exported.layout, exported.tile) == (9, "periodic", 256)
    assert exported.presence is not None and torch.allclose(exported.presence(pooled), presence(pooled))


def test_a_version_marking_under_the_texture_mask_is_exported_with_a_shipped_versions_head(tmp_path: Path) -> None:
    """As version 3 was written: version 2's head, the texture mask; a shipped version's file is refused."""
    head = ["--head", str(VERSIONS[2]), "--texture-mask"]
    assert sync.main(["--export", str(tmp_path / "v9.pt"), "--version", "9", *head]) == 0
    exported, version_2 = Watermarker.load(tmp_path / "v9.pt"), Watermarker.load(VERSIONS[2])
    assert exported.texture_mask and exported.version_number == 9 and exported.reads_like(version_2)
    before = VERSIONS[3].read_bytes()
    with pytest.raises(SystemExit, match="holds shipped watermark version"):
        sync.main(["--export", str(VERSIONS[3]), "--version", "3", *head])
    assert VERSIONS[3].read_bytes() == before


def test_a_version_in_the_whole_layout_is_exported_without_a_head_for_the_images_too_small_for_the_tiles(
    tmp_path: Path,
) -> None:
    """As version 4 was written: version 1's networks and crop search, the floors giving way; a shipped file refused."""
    assert sync.main(["--export", str(tmp_path / "v9.pt"), "--version", "9", "--layout", "whole"]) == 0
    exported = Watermarker.load(tmp_path / "v9.pt")
    assert (exported.version_number, exported.layout, exported.sides) == (9, "whole", (64, 384))
    assert exported.presence is None
    assert exported.floors_give_way and exported.min_psnr is not None
    assert exported.reads_like(Watermarker.load(VERSIONS[1])) and exported.reads_like(Watermarker.load(VERSIONS[4]))
    with pytest.raises(SystemExit, match="holds shipped watermark version"):
        sync.main(["--export", str(VERSIONS[4]), "--version", "4", "--layout", "whole"])


def test_a_head_is_trained_for_networks_of_their_own_and_exported_with_them_for_smaller_images(
    tmp_path: Path,
) -> None:
    """Networks trained for a smaller tile (train --tile --working): the head is trained for them on images and crops
    sized by their tile, and the version's file carries them, their tile and working size, and the sizes it marks."""
    from modstream_models.watermark import train

    options = ["--batch", "2", "--generated-share", "0", "--layout", "periodic", "--tile", "96", "--working", "32"]
    assert train.main(["--out", str(tmp_path), "--steps", "1", *options]) == 0
    networks = tmp_path / "networks.pt"
    assert train.main(["--out", str(tmp_path), "--export", str(networks), "--version", "9"]) == 0
    run = ["--networks", str(networks), "--out", str(tmp_path / "sync")]
    assert sync.main([*run, "--images", "2"]) == 0
    assert sync.main([*run, "--export", str(tmp_path / "v9.pt"), "--version", "9", "--below", "384"]) == 0
    exported = Watermarker.load(tmp_path / "v9.pt")
    assert (exported.tile, exported.working, exported.sides, exported.layout) == (96, 32, (144, 384), "periodic")
    assert exported.presence is not None and not exported.reads_like(Watermarker.load(VERSIONS[3]))
    trained = torch.load(networks, weights_only=True)
    assert torch.equal(exported.decoder.bits.weight, trained["decoder"]["bits.weight"])


def test_repost_reports_the_turn_and_scale_it_applied() -> None:
    image = Image.new("RGB", (500, 400), "grey")
    rng = random.Random(3)
    for _ in range(10):
        copy, turn, scale = sync.repost(image, rng)
        assert abs(turn) <= 11 and 0.55 <= scale <= 1.35
        assert copy.width <= math.ceil(500 * scale) and copy.height <= math.ceil(400 * scale)


def _blind(watermarker: Watermarker) -> Watermarker:
    """``watermarker`` with an untrained head, which ranks every candidate alike."""
    assert watermarker.presence is not None
    blind = sync.Presence(len(watermarker.presence.mean)).eval()
    torch.nn.init.zeros_(blind.head[-1].weight)
    return replace(watermarker, presence=blind)


def test_a_turn_alone_is_found_by_the_decoders_own_sweep_where_the_head_ranks_it_nowhere() -> None:
    hopper = grace_hopper()
    version_2, payload = Watermarker.load(VERSIONS[2]), bytes(range(16, 24))
    turned = version_2.embed_payload(hopper, payload).rotate(-8, resample=Image.Resampling.BILINEAR)
    found = _blind(version_2).read_payload(jpeg_round_trip(turned, 80))
    assert found.payload == payload and found.geometry is not None
    assert abs(found.geometry.rotation + 8) <= 1 and abs(found.geometry.scale - 1) <= 0.02
    assert (-8.25, 1.0) in sync.around(-9.0, 1.0) and (-9.0, 1.0) in sync.sweeps()


@pytest.mark.parametrize("turn", [-10.0, -4.5, 6.0, 11.0])
def test_the_turn_of_a_copy_turned_within_its_canvas_is_found_from_the_edges_of_its_filled_corners(turn: float) -> None:
    hopper = grace_hopper()
    turned = hopper.rotate(turn, resample=Image.Resampling.BILINEAR)
    copy = jpeg_round_trip(turned.resize((384, 450), Image.Resampling.BICUBIC), 60)
    assert sync.turn_of_edges(to_tensor(copy)) == pytest.approx(turn, abs=sync.EDGE_TURN_STEP)
    assert sync.turned_sweep(turn) == [(turn, scale) for scale in sync.SCALES]


def test_a_candidate_is_refined_closer_along_the_scale_than_the_grid_step_halved() -> None:
    closer = sync.closer(6.0, 0.8)
    step = (sync.SCALES[1] / sync.SCALES[0]) ** (1 / sync.CLOSER_SCALES)
    scales = sorted([0.8, *(scale for turn, scale in closer if turn == 6.0)])
    assert len(scales) == 2 * sync.CLOSER_SCALES + 1 and scales[0] == pytest.approx(
        0.8 * sync.SCALES[0] / sync.SCALES[1]
    )
    assert np.allclose(np.diff(np.log(scales)), math.log(step))
    assert {(turn, scale) for turn, scale in closer if turn != 6.0} == {(5.625, 0.8), (6.375, 0.8)}


TURNED_AND_RESIZED_PAYLOAD = bytes(range(24, 32))


@pytest.fixture(scope="module")
def turned_and_resized() -> tuple[Watermarker, Image.Image]:
    """Version 3 with an untrained head, and Grace Hopper marked by it, turned 7 degrees, resized to 85 %, JPEG 80."""
    version_3 = Watermarker.load(VERSIONS[3])
    marked = version_3.embed_payload(grace_hopper(), TURNED_AND_RESIZED_PAYLOAD)
    turned = marked.rotate(7, resample=Image.Resampling.BILINEAR)
    return _blind(version_3), jpeg_round_trip(turned.resize((435, 510), Image.Resampling.BICUBIC), 80)


def test_a_turn_with_a_resize_is_found_by_the_turn_of_the_copys_edges_where_the_head_ranks_it_nowhere(
    turned_and_resized: tuple[Watermarker, Image.Image],
) -> None:
    """The head's ranking and the sweeps of turns alone and scales alone miss a copy both turned and resized; the
    scales swept at the turn of its filled corners' edges find it."""
    searching, copy = turned_and_resized
    found = searching.read_payload(copy)
    assert found.payload == TURNED_AND_RESIZED_PAYLOAD and found.geometry is not None
    assert abs(found.geometry.rotation - 7) <= 1 and abs(found.geometry.scale - 0.85) <= 0.02


def test_a_turn_with_a_resize_is_found_by_the_thorough_search_where_the_head_ranks_it_nowhere(
    monkeypatch: pytest.MonkeyPatch, turned_and_resized: tuple[Watermarker, Image.Image]
) -> None:
    """Where nothing in a copy tells its turn (a crop inside the filled corners of a photo without straight lines:
    here the edges' turn is put at 0), the default search misses the same copy; the thorough search, the decoder
    ranking every candidate of the grid, finds it."""
    searching, copy = turned_and_resized
    monkeypatch.setattr(sync, "turn_of_edges", lambda _: 0.0)
    assert not searching.read_payload(copy).detected
    found = searching.read_payload(copy, thorough=True)
    assert found.payload == TURNED_AND_RESIZED_PAYLOAD and found.geometry is not None
    assert abs(found.geometry.rotation - 7) <= 1 and abs(found.geometry.scale - 0.85) <= 0.02
    assert len(sync.every_candidate()) == len(sync.TURNS) * len(sync.SCALES) + len(sync.sweeps())
