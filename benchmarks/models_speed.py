"""Speed of each safety model in process and through Triton (gRPC), and of the full set.

    .venv/bin/python -m benchmarks.models_speed [--images 24]

In process (default torch threads): the model's ``detect`` at batch 1 and 8. Through Triton: one request per image,
sequential (batch 1 latency) and 8 in flight (the dynamic batcher forms the batches). The full set
runs all five models per image: in process one after another, through Triton all at once (as the
moderate agent does). Writes benchmarks/results/models_speed.json and a Markdown table.

Shared memory is not used: the input is one encoded image of tens of kB per request and the outputs
are a few detections, so there is little to save over gRPC; the ratio below says what it costs.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import platform
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from benchmarks.datasets import PHOTOS, photo
from benchmarks.pii_development import development_set
from modstream_models.detections import ImageModel
from modstream_models.device import CPU, Placement
from streams.config import Settings
from streams.inference import SAFETY_MODELS, TritonClient
from streams.stack import REPO_ROOT, start_triton

RESULTS = REPO_ROOT / "benchmarks" / "results" / "models_speed.json"
BEST_BATCH = 8


def log(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def images(count: int) -> list[Image.Image]:
    """512 px photographs and rendered text, half and half: what generated images look like to the models."""
    photos = [photo(name).resize((512, 512)) for name in PHOTOS]
    texts = [sample.image.resize((512, 512)) for sample in development_set(count // 2, seed=9)]
    return [(photos if i % 2 else texts)[(i // 2) % len(photos if i % 2 else texts)] for i in range(count)]


PII_SIZE = (640, 400)  # issue 16's target: the PII model's p50 through Triton at this size


def pii_images(count: int) -> list[Image.Image]:
    """Rendered text of the development set at ``PII_SIZE``."""
    return [sample.image.resize(PII_SIZE) for sample in development_set(count, seed=10)]


def encoded(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def summary(latencies: list[float], count: int, seconds: float) -> dict[str, float]:
    return {
        "images_per_s": round(count / seconds, 2),
        "p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 1),
        "p99_ms": round(float(np.percentile(latencies, 99)) * 1000, 1),
    }


def in_process(model: ImageModel | FullSet, batch: list[Image.Image], size: int) -> dict[str, float]:
    model.detect(batch[:1])  # warm-up
    latencies, started = [], time.perf_counter()
    for start in range(0, len(batch), size):
        began = time.perf_counter()
        model.detect(batch[start : start + size])
        latencies.append(time.perf_counter() - began)
    return summary(latencies, len(batch), time.perf_counter() - started)


async def through_triton(client: TritonClient, model: str | None, payloads: list[bytes], in_flight: int) -> dict:
    async def call(payload: bytes) -> float:
        began = time.perf_counter()
        if model is None:
            await client.scan(payload, None)
        else:
            await client.detect(model, payload, None)
        return time.perf_counter() - began

    await call(payloads[0])  # warm-up
    gate = asyncio.Semaphore(in_flight)

    async def gated(payload: bytes) -> float:
        async with gate:
            return await call(payload)

    started = time.perf_counter()
    latencies = await asyncio.gather(*(gated(p) for p in payloads))
    return summary(list(latencies), len(payloads), time.perf_counter() - started)


class FullSet:
    """Every model, one after another, on the same images: the in-process counterpart of ``TritonClient.scan``."""

    def __init__(self, models: dict[str, ImageModel]) -> None:
        self.models = models

    def detect(self, images: list[Image.Image]) -> None:
        for model in self.models.values():
            model.detect(images)


def load_models(settings: Settings, placement: Placement = CPU) -> dict[str, ImageModel]:
    from modstream_models.faces import FaceDetector
    from modstream_models.nudity import NudityDetector
    from modstream_models.pii import PiiDetector
    from modstream_models.protected import ProtectedMatcher
    from modstream_models.style import StyleMatcher, load_style_embedder

    return {
        "face_detector": FaceDetector(placement=placement),
        "pii_detector": PiiDetector(spacy_model=settings.pii_spacy_model or None),
        "nudity_detector": NudityDetector(placement=placement),
        "protected_match": ProtectedMatcher(settings.protected_bank_file),
        "style_similarity": StyleMatcher(
            settings.style_galleries_dir,
            load_style_embedder(settings.style_embedder, placement),
            cache_dir=settings.models_dir,
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=24, help="images per measurement")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)
    batch = images(args.images)
    payloads = [encoded(image) for image in batch]
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory), triton_http_port=38000, triton_grpc_port=38001,
                            triton_metrics_port=38002)  # fmt: skip
        _populate(settings, batch)
        log("loading the models in process")
        models = load_models(settings)
        results: dict[str, Any] = {"in_process": {}, "triton": {}}
        for name, model in models.items():
            log(f"in process: {name}")
            results["in_process"][name] = {
                "batch_1": in_process(model, batch, 1),
                f"batch_{BEST_BATCH}": in_process(model, batch, BEST_BATCH),
            }
        log("in process: full set")
        results["in_process"]["full_set"] = {
            "batch_1": in_process(FullSet(models), batch, 1),
            f"batch_{BEST_BATCH}": in_process(FullSet(models), batch, BEST_BATCH),
        }
        del models
        log("starting Triton")
        triton = start_triton(settings, settings.data_dir / "logs")
        try:
            pii_payloads = [encoded(image) for image in pii_images(args.images)]
            results["triton"] = asyncio.run(_measure_triton(settings, payloads, pii_payloads))
        finally:
            triton.stop()
    full_in_process = max(run["images_per_s"] for run in results["in_process"]["full_set"].values())
    full_triton = results["triton"]["full_set"][f"in_flight_{BEST_BATCH}"]["images_per_s"]
    results["full_set_ratio_triton_to_in_process"] = round(full_triton / full_in_process, 2)
    results.update(date=datetime.now().isoformat(timespec="seconds"), machine=platform.machine(), images=len(batch))
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    return 0


def _populate(settings: Settings, batch: list[Image.Image]) -> None:
    """A bank of 10 protected images and two style galleries, so that matching does real work."""
    from benchmarks.datasets import STYLES
    from modstream_models.protected import ProtectedBank
    from streams.galleries import add_to_gallery

    bank = ProtectedBank(settings.protected_bank_file)
    for name in PHOTOS[:10]:
        bank.add(photo(name), name)
    for style in ("sketch", "oil"):
        add_to_gallery(settings.style_galleries_dir, style, [STYLES[style](image) for image in batch[:6]])


async def _measure_triton(settings: Settings, payloads: list[bytes], pii_payloads: list[bytes]) -> dict[str, Any]:
    client = TritonClient(settings.triton_grpc, retries=0)
    try:
        results: dict[str, Any] = {}
        for name in [*SAFETY_MODELS, None]:
            log(f"through Triton: {name or 'full set'}")
            results[name or "full_set"] = {
                "in_flight_1": await through_triton(client, name, payloads, 1),
                f"in_flight_{BEST_BATCH}": await through_triton(client, name, payloads, BEST_BATCH),
            }
        log("through Triton: pii_detector on rendered text at 640x400")
        results["pii_detector_640x400"] = {"in_flight_1": await through_triton(client, "pii_detector", pii_payloads, 1)}
        return results
    finally:
        await client.close()


def markdown(results: dict[str, Any]) -> str:
    rows = [
        "| Model | in process b1 img/s (p50/p99 ms) | in process b8 img/s | Triton 1 in flight img/s (p50/p99 ms) "
        "| Triton 8 in flight img/s | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for name in [*SAFETY_MODELS, "full_set"]:
        local, remote = results["in_process"][name], results["triton"][name]
        one, best = local["batch_1"], local.get(f"batch_{BEST_BATCH}", local["batch_1"])
        remote_one, remote_best = remote["in_flight_1"], remote[f"in_flight_{BEST_BATCH}"]
        ratio = remote_best["images_per_s"] / max(one["images_per_s"], best["images_per_s"])
        rows.append(
            f"| {name} | {one['images_per_s']} ({one['p50_ms']}/{one['p99_ms']}) | {best['images_per_s']} | "
            f"{remote_one['images_per_s']} ({remote_one['p50_ms']}/{remote_one['p99_ms']}) | "
            f"{remote_best['images_per_s']} | {ratio:.2f} |"
        )
    pii = results["triton"].get("pii_detector_640x400")
    if pii:
        one = pii["in_flight_1"]
        rows += ["", f"pii_detector through Triton on rendered text at 640x400, one in flight: p50 {one['p50_ms']} ms, "
                 f"p99 {one['p99_ms']} ms ({one['images_per_s']} images/s)"]  # fmt: skip
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
