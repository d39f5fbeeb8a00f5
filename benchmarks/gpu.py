"""GPU serving: the generator at SD-Turbo's full size in fp16, every safety model and the watermark on the GPU.

    .venv/bin/python -m benchmarks.gpu [--steps 1] [--batches 1,4,16] [--device auto]

The generator is the project's own ``Generator`` (the serving code, IP-Adapter loaded) on a pipeline of
the SD-Turbo architecture (SD 2.1: UNet 320-640-1280-1280 with 1024-wide cross-attention, OpenCLIP-H-sized
text encoder, the SD VAE) with random weights, since real weights cannot be downloaded here: the speed
is that of the real architecture, the images are noise. At 512 px and batch 1, 4 and 16 it reports
images/s and p50/p99 ms per call; then each safety model (on the GPU where it has a GPU path, the device
it ran on is recorded) and the watermark at batch 1, 4 and 16, and the share of moderation in the time
of one generation at batch 1. Results go to benchmarks/results/gpu.json and a Markdown table.

On a machine without a GPU it says so and exits 0. ``--device cpu --size 128 --batches 1`` runs the same
code on the CPU, as a check of this script (its figures are not a result).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.models_speed import _populate, images, load_models
from modstream_models.device import Placement, resolve
from modstream_models.generator import GenerationItem, Generator, save_random_pipeline
from streams.config import Settings
from streams.stack import REPO_ROOT

RESULTS = REPO_ROOT / "benchmarks" / "results" / "gpu.json"
BUDGET_S = 7 * 60  # the script stops measuring new parts after this, to finish within 8 minutes
CALLS = {1: 20, 4: 8, 16: 4}  # timed calls per batch size (after one warm-up call)


def log(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def sd_turbo_parts() -> tuple[Any, Any, Any]:
    """UNet, VAE and text encoder of the SD-Turbo (Stable Diffusion 2.1) architecture, randomly initialised."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    unet = UNet2DConditionModel(
        sample_size=64,
        block_out_channels=(320, 640, 1280, 1280),
        layers_per_block=2,
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        cross_attention_dim=1024,
        attention_head_dim=(5, 10, 20, 20),
        use_linear_projection=True,
    )
    vae = AutoencoderKL(
        block_out_channels=(128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=2,
        latent_channels=4,
        sample_size=768,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=49408,
            hidden_size=1024,
            intermediate_size=4096,
            num_hidden_layers=23,
            num_attention_heads=16,
            max_position_embeddings=77,
            hidden_act="gelu",
            projection_dim=1024,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        )
    )
    return unet.half(), vae.half(), text_encoder.half()


def timed(call: Callable[[], object], calls: int) -> list[float]:
    call()  # warm-up: CUDA kernels, cuDNN autotuning, lazy initialisation
    latencies = []
    for _ in range(calls):
        began = time.perf_counter()
        call()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        latencies.append(time.perf_counter() - began)
    return latencies


def summary(latencies: list[float], batch: int) -> dict[str, float]:
    return {
        "images_per_s": round(batch * len(latencies) / sum(latencies), 2),
        "p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 2),
        "p99_ms": round(float(np.percentile(latencies, 99)) * 1000, 2),
    }


def measure_generator(directory: Path, placement: Placement, steps: int, size: int, batches: list[int]) -> dict:
    log("building a random-weight pipeline of the SD-Turbo architecture (fp16 on disk)")
    torch.manual_seed(0)
    save_random_pipeline(directory, "random-sd-turbo-architecture", *sd_turbo_parts(), seed=0)
    generator = Generator(directory, steps=steps, size=size, placement=placement)
    if placement.gpu:
        torch.cuda.reset_peak_memory_stats()
    results: dict[str, Any] = {"steps": steps, "size": size, "dtype": str(generator.pipeline.unet.dtype)}
    for batch in batches:
        log(f"generator: batch {batch}")
        items = [GenerationItem(f"a lighthouse at dusk, study {n}", n) for n in range(batch)]
        results[f"batch_{batch}"] = summary(timed(partial(generator.generate, items), CALLS.get(batch, 4)), batch)
    if placement.gpu:
        results["peak_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    return results


def device_of(name: str, model: Any) -> str:
    """Where a safety model actually ran: its torch device or onnxruntime provider (CPU-only models say cpu)."""
    if name == "face_detector":
        return str(model.mtcnn.device)
    if name == "nudity_detector":
        return model.session.get_providers()[0]
    if name == "style_similarity":
        return model.embedder.placement.device if hasattr(model.embedder, "placement") else "cpu"
    return "cpu"  # Tesseract OCR with Presidio, PDQ hashing


def measure_models(settings: Settings, placement: Placement, batches: list[int], started: float) -> dict:
    from modstream_models.watermark.model import Watermarker
    from modstream_models.watermark.payload import encode_payload

    photos = images(max(batches))
    _populate(settings, photos)
    models = load_models(settings, placement)
    results: dict[str, Any] = {}
    for name, model in models.items():
        if time.monotonic() - started > BUDGET_S:
            results[name] = {"skipped": "time budget spent"}
            continue
        results[name] = {"device": device_of(name, model)}
        for batch in batches:
            log(f"{name}: batch {batch}")
            results[name][f"batch_{batch}"] = summary(timed(partial(model.detect, photos[:batch]), 3), batch)
    watermarker = Watermarker.load(placement=placement)
    bits = encode_payload(b"gpubench")
    marked = watermarker.embed(photos[0], bits)
    work = {
        "watermark_embed": lambda batch: [watermarker.embed(image, bits) for image in photos[:batch]],
        "watermark_decode": lambda batch: [watermarker.read_payload(marked) for _ in range(batch)],
    }
    for name, run in work.items():
        results[name] = {"device": watermarker.device}
        for batch in batches:
            log(f"{name}: batch {batch} (one image after another, as its Triton adapter runs them)")
            results[name][f"batch_{batch}"] = summary(timed(partial(run, batch), 3), batch)
    return results


def moderation_share(results: dict[str, Any]) -> dict[str, float]:
    """Moderation of one image (every safety model and the watermark, batch 1) against one generation."""
    generation = results["generator"]["batch_1"]["p50_ms"]
    parts = {name: r["batch_1"]["p50_ms"] for name, r in results["models"].items() if "batch_1" in r}
    safety = [ms for name, ms in parts.items() if not name.startswith("watermark")]
    return {
        "generation_ms": generation,
        # the moderate stage calls the safety models all at once; the watermark follows
        "moderation_ms_concurrent": round(max(safety) + parts["watermark_embed"] + parts["watermark_decode"], 2),
        "moderation_ms_sequential": round(sum(parts.values()), 2),
        "share_concurrent": round((max(safety) + parts["watermark_embed"] + parts["watermark_decode"]) / generation, 3),
        "share_sequential": round(sum(parts.values()) / generation, 3),
    }


def markdown(results: dict[str, Any]) -> str:
    batches = [key for key in results["generator"] if key.startswith("batch_")]
    header = " | ".join(f"{b.replace('_', ' ')} img/s (p50/p99 ms)" for b in batches)
    rows = [f"| Part | device | {header} |", "|---|---|" + "---|" * len(batches)]

    def cells(result: dict) -> str:
        return " | ".join(f"{r['images_per_s']} ({r['p50_ms']}/{r['p99_ms']})" for r in (result[b] for b in batches))

    rows.append(
        f"| generator ({results['generator']['steps']} step) | {results['device']} | {cells(results['generator'])} |"
    )
    for name, result in results["models"].items():
        if "batch_1" in result:
            rows.append(f"| {name} | {result['device']} | {cells(result)} |")
    share = results["moderation_share"]
    rows.append(
        f"\nModeration of one image: {share['moderation_ms_concurrent']} ms with the safety models concurrent "
        f"({share['share_concurrent']:.1%} of one generation, {share['generation_ms']} ms), "
        f"{share['moderation_ms_sequential']} ms one after another ({share['share_sequential']:.1%})."
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto", help="auto, cuda:N, or cpu to check the script on a CPU")
    parser.add_argument("--steps", type=int, default=1, help="denoising steps (SD-Turbo: 1 to 4)")
    parser.add_argument("--size", type=int, default=512, help="image side in pixels")
    parser.add_argument("--batches", default="1,4,16", help="batch sizes, comma-separated")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    placement = resolve(args.device)
    if not placement.gpu and args.device == "auto":
        print("benchmarks.gpu: no GPU visible on this machine: nothing measured (run it where `nvidia-smi` lists one)")
        return 0
    batches = [int(batch) for batch in args.batches.split(",")]
    started = time.monotonic()
    results: dict[str, Any] = {"device": placement.device, "gpu": placement.name}
    with tempfile.TemporaryDirectory() as directory:
        results["generator"] = measure_generator(
            Path(directory) / "sd-turbo", placement, args.steps, args.size, batches
        )
        settings = Settings(data_dir=Path(directory) / "data")
        results["models"] = measure_models(settings, placement, batches, started)
    results["moderation_share"] = moderation_share(results)
    results.update(
        date=datetime.now().isoformat(timespec="seconds"),
        machine=platform.machine(),
        torch=torch.__version__,
        wall_s=round(time.monotonic() - started, 1),
        random_weights=True,
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
