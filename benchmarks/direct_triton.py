"""The pipeline's models called directly through Triton, with the batch sizes the pipeline gave them: the
throughput the pipeline would reach if Kafka, the worker and its stages cost nothing.

``executions`` reads, from two snapshots of Triton's statistics, how many executions of each batch size
every model ran in between; ``replay`` runs as many again, one request of that batch size at a time per
model (so that the dynamic batcher forms exactly those batches), all models at once, and returns the
seconds it took.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tritonclient.grpc.aio import InferenceServerClient

from modstream_models.catalogue import GENERATOR, PROMPT_PII, TRITON_MODELS, WATERMARK_DECODE, WATERMARK_EMBED
from streams.inference import TritonClient, batch_input

# model -> batch size -> executions
Batches = dict[str, dict[int, int]]


async def statistics(url: str) -> dict[str, Any]:
    """Triton's inference statistics of every model (as JSON: counts are strings)."""
    client = InferenceServerClient(url)
    try:
        return dict(await client.get_inference_statistics(as_json=True))
    finally:
        await client.close()


def _executions(stats: dict[str, Any]) -> Batches:
    return {
        model["name"]: {int(batch["batch_size"]): int(batch["compute_infer"].get("count", 0))
                        for batch in model.get("batch_stats", [])}
        for model in stats.get("model_stats", [])
    }  # fmt: skip


def executions(before: dict[str, Any], after: dict[str, Any]) -> Batches:
    """Per model, the executions of each batch size that Triton ran between the two snapshots."""
    earlier = _executions(before)
    ran: Batches = {}
    for model, sizes in _executions(after).items():
        new = {size: count - earlier.get(model, {}).get(size, 0) for size, count in sorted(sizes.items())}
        if any(count > 0 for count in new.values()):
            ran[model] = {size: count for size, count in new.items() if count > 0}
    return ran


def mean_batch(batches: Batches) -> dict[str, float]:
    """Per model, the mean batch size of its executions."""
    return {
        model: round(sum(size * count for size, count in sizes.items()) / sum(sizes.values()), 2)
        for model, sizes in batches.items()
    }


async def sample_inputs(url: str, image: bytes | None) -> dict[str, tuple[bytes | int | float, ...]]:
    """One request's values for every model: ``image`` (an upload) or else a generated one for the image
    models, that image watermarked for the decoder."""
    triton = TritonClient(url)
    try:
        if image is None:
            image = (await triton.generate("benchmark prompt", 7, "direct-sample", None, 0.0)).png
        _, marked = await triton.watermark_embed(image, bytes(8), None)
    finally:
        await triton.close()
    values: dict[str, tuple[bytes | int | float, ...]] = {name: (image,) for name in TRITON_MODELS}
    values[PROMPT_PII.name] = (b"benchmark prompt 7",)
    values[GENERATOR.name] = (b"benchmark prompt", 7, b"", 0.0)
    values[WATERMARK_EMBED.name] = (image, bytes(8))
    values[WATERMARK_DECODE.name] = (marked,)
    return values


async def replay(url: str, batches: Batches, values: dict[str, tuple[bytes | int | float, ...]]) -> float:
    """Seconds Triton takes to run ``batches`` again, every model at once, each one batch at a time."""
    client = InferenceServerClient(url)

    async def run(name: str, sizes: dict[int, int]) -> None:
        model = TRITON_MODELS[name]
        for size, count in sizes.items():
            inputs = [
                batch_input(tensor, [value] * size) for tensor, value in zip(model.inputs, values[name], strict=True)
            ]
            for _ in range(count):
                await client.infer(name, inputs, client_timeout=600)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(run(name, sizes) for name, sizes in batches.items()))
        return time.perf_counter() - started
    finally:
        await client.close()
