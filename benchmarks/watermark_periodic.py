"""The periodic layout (modstream_models/watermark/periodic.py), read blind: crops of any aspect ratio, and JPEG.

    .venv/bin/python -m benchmarks.watermark_periodic                               # version 1's networks, 12 crops
    .venv/bin/python -m benchmarks.watermark_periodic --checkpoint var/watermark-periodic   # and a training run's
    .venv/bin/python -m benchmarks.watermark_periodic --images 2                    # quick

One residual, made by the encoder from the folded original, repeated over every 128 x 128 pixels of the image, at
42 dB or more. Each held-out crop is watermarked, cut as issue 20 asks (and as it is), sometimes JPEG-compressed, and
read the way ``verify`` reads it: the copy as it is, then every cyclic shift of the folded copy, mirrored and not,
each counted only with at most SHIFT_MAX_ERRORS corrections. Nothing about the crop is given to the reader.
Reported per network and attack: PSNR and SSIM, bit accuracy at the true shift (what the networks can give), the
payloads the blind reader finds, and wrong payloads; and whether the reader finds anything in the unwatermarked
copies. A resized copy changes the period, which this reader does not search, so no resize is among the attacks.
Results: benchmarks/results/watermark-periodic.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from benchmarks.watermark import load_watermarker
from benchmarks.watermark_tiles import AFTER_CROP, CROPS, HELD_OUT_CROPS, held_out_crops, pixel_box, summary
from modstream_models.watermark import periodic
from modstream_models.watermark.model import MIN_PSNR, WORKING_SIZE, Watermarker
from modstream_models.watermark.payload import encode_payload
from streams.stack import REPO_ROOT

RESULTS = REPO_ROOT / "benchmarks" / "results" / "watermark-periodic.json"
ATTACKS = {name: AFTER_CROP[name] for name in ("", "+jpeg60")}


def bits_at_true_shift(watermarker: Watermarker, piece: Image.Image, top: int, left: int) -> np.ndarray:
    """The bits read from a copy folded where it was cut from the original: what a perfect search would give."""
    pixels = torch.from_numpy(np.asarray(piece.convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)[None]
    folded = periodic.shrink(periodic.fold(pixels, top=top, left=left), WORKING_SIZE)
    return (watermarker.read_working_size(folded)[0] > 0.5).astype(np.uint8)


def measure(watermarker: Watermarker, images: list[Image.Image], name: str) -> dict[str, Any]:
    rows: dict[str, list[float]] = {}
    for index, image in enumerate(images):
        payload = bytes(random.Random(index).randrange(256) for _ in range(8))
        bits = encode_payload(payload)
        marked = watermarker.embed(image, bits)
        rows.setdefault("psnr", []).append(float(peak_signal_noise_ratio(np.asarray(image), np.asarray(marked))))
        rows.setdefault("ssim", []).append(
            float(structural_similarity(np.asarray(image), np.asarray(marked), channel_axis=2))
        )
        for crop_name, crop in CROPS.items():
            left, top, right, bottom = pixel_box(crop, *marked.size)
            for attack_name, attack in ATTACKS.items():
                piece = attack(marked.crop((left, top, right, bottom)))
                found = watermarker.read_payload(piece).payload
                attack_row = crop_name + attack_name
                at_true_shift = bits_at_true_shift(watermarker, piece, top, left)
                rows.setdefault(f"{attack_row} bits", []).append(float((at_true_shift == bits).mean()))
                rows.setdefault(f"{attack_row} payload", []).append(found == payload)
                rows.setdefault(f"{attack_row} wrong", []).append(found is not None and found != payload)
        for attack_name, attack in ATTACKS.items():
            rows.setdefault(f"unwatermarked{attack_name} detected", []).append(
                watermarker.read_payload(attack(image)).detected
            )
        print(f"... {name}: {index + 1}/{len(images)}", file=sys.stderr, flush=True)
    return summary(rows)


def markdown(results: dict[str, Any]) -> str:
    networks = results["networks"]
    rows = ["| attack, read blind | " + " | ".join(f"{name}: bits / payload" for name in networks) + " |"]
    rows.append("|---|" + "---|" * len(networks))
    for quality in ("psnr", "ssim"):
        cells = [f"{found[quality]['mean']} (worst {found[quality]['min']})" for found in networks.values()]
        rows.append(f"| {quality.upper()} | " + " | ".join(cells) + " |")
    for crop_name in CROPS:
        for attack_name in ATTACKS:
            attack_row = crop_name + attack_name
            cells = [
                f"{found[f'{attack_row} bits']['mean']:.3f} / {found[f'{attack_row} payload']['mean']:.2f}"
                for found in networks.values()
            ]
            rows.append(f"| {attack_row} | " + " | ".join(cells) + " |")
    wrong = [
        str(sum(row["mean"] > 0 for key, row in found.items() if key.endswith(("wrong", "detected"))))
        for found in networks.values()
    ]
    rows.append("| attacks with a wrong or false payload | " + " | ".join(wrong) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=12, help="held-out crops (256-512 px)")
    parser.add_argument("--checkpoint", type=Path, help="also a training run's last checkpoint (--layout periodic)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    version_1 = Watermarker.load()  # the shipped networks, in the periodic layout, with version 2's PSNR floor
    version_1.use_layout("periodic")
    version_1.min_psnr = MIN_PSNR
    candidates = {"version 1 networks": version_1}
    if args.checkpoint:
        candidates[f"trained periodic ({args.checkpoint.name})"] = load_watermarker(args.checkpoint)
    images = held_out_crops(args.images)
    results = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "images": HELD_OUT_CROPS.format(count=args.images),
        "tile": periodic.TILE,
        "networks": {name: measure(watermarker, images, name) for name, watermarker in candidates.items()},
        "weights": {name: watermarker.version for name, watermarker in candidates.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
