from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from modstream_models.watermark.model import VERSIONS, Decoder, Encoder, Watermarker, add_residual
from modstream_models.watermark.payload import CODE_BITS, encode_payload
from modstream_models.watermark.train import CHECKPOINT, Trainer, main


def test_training_writes_checkpoints_and_resumes_where_it_stopped(tmp_path: Path) -> None:
    options = ["--batch", "2", "--checkpoint-every", "1", "--generated-share", "0"]
    assert main(["--out", str(tmp_path), "--steps", "2", *options]) == 0
    first = torch.load(tmp_path / CHECKPOINT, weights_only=False)
    assert first["step"] == 2
    assert main(["--out", str(tmp_path), "--steps", "3", *options]) == 0
    resumed = torch.load(tmp_path / CHECKPOINT, weights_only=False)
    assert resumed["step"] == 3
    trainer = Trainer(tmp_path, batch=2, lr=1e-3, strength=0.05, target_psnr=42, seed=0, generated_share=0)
    assert trainer.step == 3
    assert all(torch.equal(a, b) for a, b in zip(trainer.encoder.state_dict().values(),
                                                  resumed["encoder"].values(), strict=True))  # fmt: skip


def test_embedding_keeps_any_image_size_and_reads_one_probability_per_bit() -> None:
    torch.manual_seed(0)
    watermarker = Watermarker(Encoder(), Decoder(), strength=0.1)
    image = Image.fromarray(np.random.default_rng(0).integers(40, 210, (301, 517, 3), dtype=np.uint8))
    marked = watermarker.embed(image, encode_payload(bytes(8)))
    assert marked.size == image.size
    difference = np.abs(np.asarray(marked, dtype=np.int16) - np.asarray(image, dtype=np.int16))
    assert 0 < difference.max() <= 26  # the residual is at most strength * 255
    probabilities = watermarker.read(marked)
    assert probabilities.shape == (CODE_BITS,) and ((probabilities >= 0) & (probabilities <= 1)).all()


def test_learning_rate_falls_to_a_tenth_over_the_decay_steps(tmp_path: Path) -> None:
    trainer = Trainer(tmp_path, 2, lr=1e-3, strength=0.1, target_psnr=42, seed=0, steps=100, decay_from=60,
                      generated_share=0)  # fmt: skip
    rates = {}
    for step in (0, 60, 80, 100, 150):
        trainer.step = step
        rates[step] = trainer.learning_rate()
    assert rates[0] == rates[60] == 1e-3 and abs(rates[80] - 5.5e-4) < 1e-9 and abs(rates[100] - 1e-4) < 1e-9
    assert rates[150] == rates[100]


def test_fine_tuning_starts_from_exported_weights_and_counts_on_from_their_step(tmp_path: Path) -> None:
    options = ["--batch", "2", "--checkpoint-every", "1", "--generated-share", "0"]
    assert main(["--out", str(tmp_path / "first"), "--steps", "2", *options]) == 0
    assert main(["--out", str(tmp_path / "first"), "--export", str(tmp_path / "weights.pt")]) == 0
    exported = torch.load(tmp_path / "weights.pt", weights_only=True)
    assert (
        main(["--out", str(tmp_path / "tuned"), "--init", str(tmp_path / "weights.pt"), "--steps", "3", *options]) == 0
    )
    tuned = torch.load(tmp_path / "tuned" / CHECKPOINT, weights_only=False)
    assert tuned["step"] == 3  # one step on from the exported step 2
    assert not all(
        torch.equal(a, b) for a, b in zip(exported["decoder"].values(), tuned["decoder"].values(), strict=True)
    )


def test_fine_tuning_from_version_1_starts_the_luminance_residual_from_its_colour_residuals(tmp_path: Path) -> None:
    version_1 = torch.load(VERSIONS[1], weights_only=True)
    trainer = Trainer(tmp_path, batch=2, lr=1e-3, strength=0.1, target_psnr=42, seed=0, generated_share=0,
                      init=VERSIONS[1])  # fmt: skip
    head = trainer.encoder.residual.weight.detach()
    assert head.shape[0] == 1 and torch.allclose(head[0], version_1["encoder"]["residual.weight"].mean(0))
    assert trainer.step == version_1["step"]


def test_exported_weights_carry_their_version(tmp_path: Path) -> None:
    options = ["--batch", "2", "--checkpoint-every", "1", "--generated-share", "0"]
    assert main(["--out", str(tmp_path), "--steps", "1", *options]) == 0
    assert main(["--out", str(tmp_path), "--export", str(tmp_path / "v9.pt"), "--version", "9"]) == 0
    watermarker = Watermarker.load(tmp_path / "v9.pt")
    assert watermarker.version_number == 9 and watermarker.version.startswith("modstream watermark 9 (")


def test_the_residual_changes_luminance_only_and_keeps_the_psnr_floor() -> None:
    """Version 2's format: one residual added to each colour alike (no cast on saturated areas), scaled down
    where the image would fall below min_psnr; without a floor, the same networks change the image more."""
    torch.manual_seed(0)
    encoder, decoder = Encoder(), Decoder()
    rng = np.random.default_rng(1)
    green = np.clip(np.array([40, 190, 70]) + rng.normal(0, 6, (200, 260, 3)), 0, 255).astype(np.uint8)
    original = np.asarray(green, dtype=np.int16)
    changes = {}
    for floor in (42.3, None):
        watermarker = Watermarker(encoder, decoder, strength=0.1, min_psnr=floor)
        marked = np.asarray(watermarker.embed(Image.fromarray(green), encode_payload(bytes(8))), dtype=np.int16)
        change = marked - original
        changes[floor] = float((change.astype(np.float64) ** 2).mean())
        assert (change.max(axis=2) - change.min(axis=2)).max() <= 1  # the same in each channel, up to rounding
    assert 10 * np.log10(255**2 / changes[42.3]) >= 42.2
    assert changes[None] > changes[42.3]


def test_a_shipped_versions_weights_are_never_overwritten(tmp_path: Path) -> None:
    options = ["--batch", "2", "--checkpoint-every", "1", "--generated-share", "0"]
    assert main(["--out", str(tmp_path), "--steps", "1", *options]) == 0
    before = VERSIONS[1].read_bytes()
    with pytest.raises(SystemExit, match="must stay verifiable"):
        main(["--out", str(tmp_path), "--export", str(VERSIONS[1]), "--version", "1"])
    assert VERSIONS[1].read_bytes() == before


def test_a_masked_colour_fine_tune_keeps_version_1s_colour_residuals_and_exports_the_mask(tmp_path: Path) -> None:
    options = ["--batch", "2", "--checkpoint-every", "1", "--generated-share", "0", "--colour", "masked"]
    assert main(["--out", str(tmp_path), "--init", str(VERSIONS[1]), "--steps", "8801", *options]) == 0
    assert main(["--out", str(tmp_path), "--export", str(tmp_path / "v9.pt"), "--version", "9"]) == 0
    watermarker = Watermarker.load(tmp_path / "v9.pt")
    assert watermarker.chroma_mask and watermarker.encoder.residual.out_channels == 3
    assert not Watermarker.load(VERSIONS[1]).chroma_mask


def test_the_chroma_mask_holds_colour_changes_back_on_saturated_pixels() -> None:
    """On a saturated green, a masked residual changes the three channels almost alike (luminance); on grey it
    keeps its colour part; and the luminance change is the same either way."""
    images = torch.full((1, 3, 40, 40), 0.5)
    images[..., :20, :] = torch.tensor([0.05, 0.8, 0.1]).view(1, 3, 1, 1)
    residual = torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(0)).clamp(-1, 1)
    plain, masked = (add_residual(images, residual, 0.03, mask) - images for mask in (False, True))
    spread = masked.amax(dim=1) - masked.amin(dim=1)
    assert spread[:, :20].max() < 0.2 * (plain.amax(dim=1) - plain.amin(dim=1))[:, :20].max()
    assert torch.allclose(masked[..., 20:, :], plain[..., 20:, :])
    luma = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    assert torch.allclose((masked * luma).sum(1), (plain * luma).sum(1), atol=1e-6)


def test_a_periodic_layout_run_trains_on_folded_crops_and_exports_weights_that_embed_periodically(
    tmp_path: Path,
) -> None:
    options = ["--batch", "2", "--checkpoint-every", "1", "--generated-share", "0", "--layout", "periodic"]
    assert main(["--out", str(tmp_path), "--steps", "2", *options]) == 0
    assert torch.load(tmp_path / CHECKPOINT, weights_only=False)["layout"] == "periodic"
    with pytest.raises(SystemExit) as refused:  # resumed without --layout periodic: would train the other layout
        main(["--out", str(tmp_path), "--steps", "3", *options[:-2]])
    assert refused.value.code == 2
    assert main(["--out", str(tmp_path), "--export", str(tmp_path / "v9.pt"), "--version", "9"]) == 0
    watermarker = Watermarker.load(tmp_path / "v9.pt")
    assert watermarker.layout == "periodic"
    image = Image.fromarray(np.random.default_rng(0).integers(40, 210, (300, 280, 3), dtype=np.uint8))
    change = np.asarray(watermarker.embed(image, encode_payload(bytes(8))), dtype=np.int16) - np.asarray(image)
    assert np.array_equal(change[:128, :128], change[128:256, 128:256])  # up to the image's clipping, none here
    assert Watermarker.load(VERSIONS[1]).layout == "whole"


def test_a_periodic_run_with_its_own_tile_and_working_size_exports_weights_that_read_their_tile(
    tmp_path: Path,
) -> None:
    options = ["--batch", "2", "--checkpoint-every", "1", "--generated-share", "0", "--layout", "periodic"]
    small = ["--tile", "96", "--working", "32"]
    assert main(["--out", str(tmp_path), "--steps", "2", *options, *small]) == 0
    with pytest.raises(SystemExit) as refused:  # resumed at the default tile and working size: other networks
        main(["--out", str(tmp_path), "--steps", "3", *options])
    assert refused.value.code == 2
    assert main(["--out", str(tmp_path), "--export", str(tmp_path / "v9.pt"), "--version", "9"]) == 0
    watermarker = Watermarker.load(tmp_path / "v9.pt")
    assert (watermarker.tile, watermarker.working, watermarker.decoder.map_side) == (96, 32, 2)
    image = Image.fromarray(np.random.default_rng(0).integers(40, 210, (200, 230, 3), dtype=np.uint8))
    change = np.asarray(watermarker.embed(image, encode_payload(bytes(8))), dtype=np.int16) - np.asarray(image)
    assert np.array_equal(change[:96, :96], change[96:192, 96:192])
    assert watermarker.read(image).shape == (CODE_BITS,)
