"""The generator with reference images, through the real Triton server and the whole pipeline."""

from __future__ import annotations

import io
import json
import urllib.request

import numpy as np
import pytest
from PIL import Image

from modstream_models.device import driver_gpus
from streams.blobs import open_blob_store
from streams.client import ModstreamClient, wait_for_ends
from streams.config import Settings
from streams.events import BlobRef
from streams.inference import GeneratedImage, InferenceRejected, TritonClient
from tests.images import SAMPLES
from tests.integration.conftest import run

pytestmark = pytest.mark.integration

PROMPT = "a harbour at dawn, watercolour"


def psnr(first: Image.Image, second: Image.Image) -> float:
    error = np.mean((np.asarray(first, float) - np.asarray(second, float)) ** 2)
    return float("inf") if error == 0 else float(10 * np.log10(255**2 / error))


def generate(settings: Settings, reference: bytes | None, scale: float, seed: int = 5) -> GeneratedImage:
    async def go() -> GeneratedImage:
        client = TritonClient(settings.triton_grpc, retries=0)
        try:
            return await client.generate(PROMPT, seed, "generation-test", reference, scale)
        finally:
            await client.close()

    return run(go())


def test_the_same_prompt_seed_and_reference_give_the_same_image_through_the_pipeline(settings: Settings) -> None:
    coffee, chelsea = (SAMPLES / "coffee.jpg").read_bytes(), (SAMPLES / "chelsea.jpg").read_bytes()

    async def submit() -> list[str]:
        async with ModstreamClient(settings) as client:
            return [
                await client.submit_prompt(PROMPT, user_id="painter", seed=21, reference_image=reference)
                for reference in (coffee, coffee, chelsea, None)
            ]

    request_ids = run(submit())
    ends = run(wait_for_ends(settings, request_ids, timeout_s=180))
    outcomes = [ends[request_id][0].value for request_id in request_ids]
    assert [ends[request_id][0].end for request_id in request_ids] == ["published"] * 4, outcomes
    assert [o["generator"].get("reference_scale") for o in outcomes] == [0.6, 0.6, 0.6, None]
    blobs = open_blob_store(settings.blob_location)
    same, again, other, none = (Image.open(io.BytesIO(blobs.get(BlobRef(**o["image"])))) for o in outcomes)
    assert psnr(same, again) >= 30  # only the watermarks differ (each carries its own request's payload)
    assert psnr(same, other) < 22 and psnr(same, none) < 22


def test_an_image_conditioned_on_a_reference_says_with_what_scale(settings: Settings) -> None:
    generated = generate(settings, (SAMPLES / "coffee.jpg").read_bytes(), 0.6)
    assert generated.generator.reference_scale == 0.6 and generated.generator.random_weights
    assert Image.open(io.BytesIO(generated.png)).size == (settings.generator_size, settings.generator_size)


@pytest.mark.parametrize(
    ("reference", "scale", "message"),
    [(b"not an image", 0.5, "not an image"), ((SAMPLES / "coffee.jpg").read_bytes(), 1.5, "outside 0 to 1")],
)
def test_a_reference_the_generator_cannot_use_is_refused(
    settings: Settings, reference: bytes, scale: float, message: str
) -> None:
    with pytest.raises(InferenceRejected, match=message):
        generate(settings, reference, scale)


def test_triton_loaded_the_generator_with_all_four_inputs(settings: Settings) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{settings.triton_http_port}/v2/models/generator/config") as answer:
        config = json.loads(answer.read())
    assert [i["name"] for i in config["input"]] == ["PROMPT", "SEED", "REFERENCE", "REFERENCE_SCALE"]
    assert config["dynamic_batching"]["preferred_batch_size"] == [4, 8]
    # The stack serves the checked-in repository on a machine without GPUs, and its GPU variant on one with.
    assert config["instance_group"][0]["kind"] == ("KIND_GPU" if driver_gpus() else "KIND_CPU")
