"""Train the watermark encoder and decoder: ``python -m modstream_models.watermark.train --help``.

Each step embeds random code words into a batch of natural-image crops, attacks the result with one
random attack of the noise layer (or two in a row), and minimises the bit error (binary cross-
entropy) plus the image change (mean squared error with a hinge at the target PSNR). The bits are
learnt on clean images first; attacks and the image term are phased in over the first 3000 steps.
A checkpoint (networks, optimiser, step, random state) is written every ``--checkpoint-every``
steps; a new run with the same ``--out`` resumes from the last one. Runs on the CPU (2 cores:
about 2 steps a second at batch 32) and faster on a GPU.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from modstream_models.watermark import periodic
from modstream_models.watermark.attacks import (
    Attack,
    blur,
    brightness_contrast,
    gaussian_noise,
    jpeg,
    random_attack,
    resize,
)
from modstream_models.watermark.data import generated_images, random_crops, training_photos
from modstream_models.watermark.model import (
    CURRENT_VERSION,
    MIN_PSNR,
    WEIGHTS_DIR,
    WORKING_SIZE,
    Decoder,
    Encoder,
    add_residual,
    refuse_shipped,
    to_working_size,
)
from modstream_models.watermark.payload import CODE_BITS

CHECKPOINT = "checkpoint.pt"
# Shares of each batch that are not photos: the decoder trained on photos alone misread noise images
BLOTCH_SHARE = 0.1  # random colour blotches
GENERATED_SHARE = 0.2  # images of the tiny random generator that the pipeline's tests publish
IMAGE_SIZE = 2 * WORKING_SIZE  # training images; published ones are this size (the test generator's) or larger
ATTACK_RAMP = (300, 1500)  # steps over which attacked batches go from none to all
IMAGE_RAMP = (500, 3000)  # steps over which the image term's weight goes from 0 to 1


def _ramp(step: int, start: int, end: int) -> float:
    return min(1.0, max(0.0, (step - start) / (end - start)))


class Trainer:
    def __init__(
        self, out: Path, batch: int, lr: float, strength: float, target_psnr: float, seed: int,
        steps: int = 20000, decay_from: int | None = None, generated_share: float = GENERATED_SHARE,
        init: Path | None = None, message_tiles: int = 1, colour: str = "luminance", layout: str = "whole",
        tile: int = periodic.TILE, working: int = WORKING_SIZE,
    ) -> None:  # fmt: skip
        self.out, self.batch, self.strength, self.layout = out, batch, strength, layout
        self.tile, self.working = tile, working
        self.lr, self.steps = lr, steps
        self.decay_from = int(0.7 * steps) if decay_from is None else decay_from
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        # colour "luminance": one residual added to each colour alike; "masked": one per colour, its colour part
        # held back on saturated pixels (add_residual)
        self.chroma_mask = colour == "masked"
        residual_channels = 3 if self.chroma_mask else 1
        self.encoder = Encoder(residual_channels=residual_channels, message_tiles=message_tiles).to(self.device)
        self.decoder = Decoder(working_size=working).to(self.device)
        self.decoder.wrap_around(layout == "periodic")  # as Watermarker reads a folded tile
        params = [*self.encoder.parameters(), *self.decoder.parameters()]
        self.optimiser = torch.optim.AdamW(params, lr=lr)
        self.target_mse = 10 ** (-target_psnr / 10)
        self.step = 0
        self.rng = random.Random(seed)
        torch.manual_seed(seed)
        self.photos = training_photos()
        self.generated_share = generated_share
        self.generated = generated_images(out / "generated") if generated_share else []
        if (out / CHECKPOINT).exists():
            self._load(out / CHECKPOINT)
        elif init is not None:
            self._start_from(init)

    def _state(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder.state_dict(),
            "decoder": self.decoder.state_dict(),
            "optimiser": self.optimiser.state_dict(),
            "step": self.step,
            "strength": self.strength,
            "chroma_mask": self.chroma_mask,
            "layout": self.layout,
            "tile": self.tile,
            "working": self.working,
            "rng": self.rng.getstate(),
            "torch_rng": torch.get_rng_state(),
        }

    def _load(self, path: Path) -> None:
        state = torch.load(path, map_location=self.device, weights_only=False)
        layout, masked = state.get("layout", "whole"), bool(state.get("chroma_mask", False))
        tile, working = int(state.get("tile", periodic.TILE)), int(state.get("working", WORKING_SIZE))
        if (layout, masked, tile, working) != (self.layout, self.chroma_mask, self.tile, self.working):
            colour = "masked" if masked else "luminance"
            raise ValueError(
                f"{path} trains the {layout} layout with {colour} colour, {tile} px tiles seen at {working} px: resume "
                f"it with --layout {layout} --colour {colour} --tile {tile} --working {working}, or give --out a new "
                "directory"
            )
        self.encoder.load_state_dict(state["encoder"])
        self.decoder.load_state_dict(state["decoder"])
        self.optimiser.load_state_dict(state["optimiser"])
        self.step, self.strength = state["step"], state["strength"]
        self.rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])

    def _start_from(self, weights: Path) -> None:
        """Networks from exported weights, a fresh optimiser: fine-tuning, counted on from their step."""
        state = torch.load(weights, map_location=self.device, weights_only=True)
        encoder = dict(state["encoder"])
        if encoder["residual.weight"].shape[0] > self.encoder.residual.out_channels:
            # version 1's residual per colour for a luminance residual: start from their mean
            encoder["residual.weight"] = encoder["residual.weight"].mean(0, keepdim=True)
            encoder["residual.bias"] = encoder["residual.bias"].mean(0, keepdim=True)
        self.encoder.load_state_dict(encoder)
        self.decoder.load_state_dict(state["decoder"])
        self.step, self.strength = state["step"], state["strength"]

    def save(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        partial = self.out / f"{CHECKPOINT}.partial"
        torch.save(self._state(), partial)
        partial.replace(self.out / CHECKPOINT)  # a run killed while saving keeps the previous checkpoint

    def learning_rate(self) -> float:
        """Constant, then down linearly to a tenth over the last steps (from ``decay_from`` to ``steps``)."""
        progress = (self.step - self.decay_from) / max(1, self.steps - self.decay_from)
        return self.lr * (1 - 0.9 * min(1.0, max(0.0, progress)))

    def train_step(self) -> dict[str, float]:
        self.encoder.train()
        self.decoder.train()
        for group in self.optimiser.param_groups:
            group["lr"] = self.learning_rate()
        size = IMAGE_SIZE if self.layout == "whole" else 2 * self.tile
        images = random_crops(
            self.photos, self.batch, size, self.rng, BLOTCH_SHARE, self.generated, self.generated_share
        ).to(self.device)
        bits = torch.randint(0, 2, (self.batch, CODE_BITS), device=self.device).float()
        # curriculum: the bits are learnt on clean images first, then attacks and the image term come in
        attacked = self.rng.random() < _ramp(self.step, *ATTACK_RAMP)
        read = self._read_whole if self.layout == "whole" else self._read_periodic
        marked, logits = read(images, bits, attacked)
        bit_loss = F.binary_cross_entropy_with_logits(logits, bits)
        mse = (marked - images).pow(2).mean(dim=(1, 2, 3))
        # a hinge at the target PSNR for each image (not the batch's mean, which lets a few images fall below
        # it): below it the image term dominates, above it only nudges
        image_loss = (F.relu(mse / self.target_mse - 1) + 0.001 * mse / self.target_mse).mean()
        loss = bit_loss + _ramp(self.step, *IMAGE_RAMP) * image_loss
        self.optimiser.zero_grad()
        loss.backward()
        self.optimiser.step()
        self.step += 1
        accuracy = ((logits > 0).float() == bits).float().mean().item()
        psnr = 10 * math.log10(1 / max(mse.mean().item(), 1e-12))
        return {"loss": loss.item(), "bit_accuracy": accuracy, "psnr": psnr}

    def _read_whole(
        self, images: torch.Tensor, bits: torch.Tensor, attacked: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The path of Watermarker.embed and .read: the image at twice the working size, the residual made at the
        working size and upsampled, the (attacked) image read at the working size."""
        marked = add_residual(images, self.encoder(to_working_size(images), bits), self.strength, self.chroma_mask)
        return marked, self.decoder(to_working_size(random_attack(self.rng)[1](marked) if attacked else marked))

    def _read_periodic(
        self, images: torch.Tensor, bits: torch.Tensor, attacked: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The periodic layout's path (periodic.py): the residual made from the folded image and repeated over its
        2 x 2 tiles; a crop of any aspect ratio holding a tile or more, attacked at its own scale (JPEG mostly) and
        folded where it sat, read at the working size."""
        height, width = images.shape[-2:]
        residual = self.encoder(periodic.working_tile(images, self.working, self.tile), bits)
        repeated = periodic.repeat(residual, height, width, self.tile)
        marked = add_residual(images, repeated, self.strength, self.chroma_mask)
        crop_height, crop_width = self.rng.randint(self.tile, height), self.rng.randint(self.tile, width)
        top, left = self.rng.randint(0, height - crop_height), self.rng.randint(0, width - crop_width)
        piece = marked[..., top : top + crop_height, left : left + crop_width]
        if attacked:
            piece = _tile_scale_attack(self.rng)(piece)
        return marked, self.decoder(periodic.working_tile(piece, self.working, self.tile, top, left))


def _tile_scale_attack(rng: random.Random) -> Attack:
    """What a re-posted crop goes through that keeps its scale: JPEG most of the time, sometimes after a resize
    there and back, or noise, blur or a brightness and contrast change."""
    quality, scale = rng.choice([40, 50, 60, 60, 70, 80]), rng.uniform(0.6, 0.95)
    sigma, blur_sigma = rng.uniform(0.005, 0.03), rng.uniform(0.5, 1.2)
    brightness, contrast = rng.uniform(-0.15, 0.15), rng.uniform(0.7, 1.3)
    attacks: list[Attack] = [
        lambda x: x,
        lambda x: jpeg(x, quality),
        lambda x: jpeg(x, quality),
        lambda x: jpeg(resize(x, scale), quality),
        lambda x: jpeg(gaussian_noise(x, sigma), quality),
        lambda x: blur(x, blur_sigma),
        lambda x: jpeg(brightness_contrast(x, brightness, contrast), quality),
    ]
    return rng.choice(attacks)


def export(out: Path, weights: Path, version: int) -> None:
    """The networks of the last checkpoint, without the optimiser: the weights that ship, as watermark ``version``.

    A shipped version's file is never overwritten: images it marked must stay verifiable."""
    refuse_shipped(weights)
    state = torch.load(out / CHECKPOINT, map_location="cpu", weights_only=False)
    exported = {
        "encoder": state["encoder"], "decoder": state["decoder"], "strength": state["strength"], "step": state["step"],
        "version": version, "min_psnr": MIN_PSNR, "chroma_mask": state.get("chroma_mask", False),
        "layout": state.get("layout", "whole"), "tile": state.get("tile", periodic.TILE),
        "working": state.get("working", WORKING_SIZE),
    }  # fmt: skip
    torch.save(exported, weights)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("var/watermark-training"), help="checkpoints and log")
    parser.add_argument("--steps", type=int, default=20000, help="train until this many steps in all")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--generated-share", type=float, default=GENERATED_SHARE,
        help="share of each batch from the tiny generator (its images are made once under OUT/generated)",
    )  # fmt: skip
    parser.add_argument(
        "--decay-from", type=int, metavar="STEP", help="step from which the learning rate falls to a tenth at --steps "
        "(default: 70 %% of --steps)",
    )  # fmt: skip
    parser.add_argument("--strength", type=float, default=0.1, help="largest residual, in [0, 1] intensity")
    parser.add_argument("--target-psnr", type=float, default=42.0)
    parser.add_argument(
        "--init", type=Path, metavar="WEIGHTS", help="fine-tune: a new run starts from these exported networks "
        "(e.g. the shipped weights/v1.pt) and counts steps on from theirs; --steps is then the total",
    )  # fmt: skip
    parser.add_argument(
        "--message-tiles", type=int, choices=(1, 2), default=1,
        help="2: the bits' map repeated 2 x 2 over the image (a crop keeping half of each side holds every bit)",
    )  # fmt: skip
    parser.add_argument(
        "--colour", choices=("luminance", "masked"), default="luminance",
        help="luminance: one residual added to each colour alike; masked: one per colour, the colour part held back "
        "on saturated pixels (fine-tunes version 1's three-colour residual)",
    )  # fmt: skip
    parser.add_argument(
        "--layout", choices=("whole", "periodic"), default="whole",
        help="whole: one residual over the whole image (version 1); periodic: one residual repeated every "
        f"{periodic.TILE} px, read from a folded crop (periodic.py)",
    )  # fmt: skip
    parser.add_argument(
        "--tile", type=int, default=periodic.TILE, help="the periodic layout's tile, pixels (default %(default)s)"
    )
    parser.add_argument(
        "--working", type=int, default=WORKING_SIZE, choices=(32, 64),
        help="the periodic layout's tile as the networks see it, pixels (default %(default)s): 32 for 128 px tiles "
        "keeps 4 image pixels on each working pixel, as version 3's 256 px tiles at 64 do",
    )  # fmt: skip
    parser.add_argument("--checkpoint-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--export", type=Path, nargs="?", const=True, metavar="WEIGHTS",
        help="write the last checkpoint's networks to WEIGHTS (default weights/v<VERSION>.pt in the package) and "
        "stop; a shipped version's file is refused",
    )  # fmt: skip
    parser.add_argument(
        "--version", type=int, default=CURRENT_VERSION + 1, help="with --export: the watermark version the weights "
        f"are (default {CURRENT_VERSION + 1}, the next); add it first in model.VERSIONS to ship it",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.export:
        weights = WEIGHTS_DIR / f"v{args.version}.pt" if args.export is True else args.export
        export(args.out, weights, args.version)
        print(f"wrote {weights}")
        return 0
    try:
        trainer = Trainer(
            args.out, args.batch, args.lr, args.strength, args.target_psnr, args.seed, args.steps, args.decay_from,
            args.generated_share, args.init, args.message_tiles, args.colour, args.layout, args.tile, args.working,
        )  # fmt: skip
    except ValueError as error:
        parser.error(str(error))
    if (args.out / CHECKPOINT).exists():
        print(f"resuming at step {trainer.step} from {args.out / CHECKPOINT}", flush=True)
    elif args.init:
        print(f"fine-tuning {args.init} from its step {trainer.step}", flush=True)
    started, first_step, log = time.monotonic(), trainer.step, args.out / "log.jsonl"
    args.out.mkdir(parents=True, exist_ok=True)
    while trainer.step < args.steps:
        metrics = trainer.train_step()
        if trainer.step % args.checkpoint_every == 0 or trainer.step == args.steps:
            trainer.save()
        if trainer.step % 20 == 0:
            rate = (trainer.step - first_step) / max(time.monotonic() - started, 1e-9)
            line = {"step": trainer.step, **{k: round(v, 4) for k, v in metrics.items()}}
            with log.open("a") as handle:
                handle.write(json.dumps(line) + "\n")
            print(
                f"step {trainer.step}/{args.steps}  loss {metrics['loss']:.4f}  "
                f"bit acc {metrics['bit_accuracy']:.3f}  psnr {metrics['psnr']:.1f} dB  ({rate:.2f} steps/s)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
