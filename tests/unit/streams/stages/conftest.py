"""Stage tests run each handler as a plain async function on in-memory services (no broker, Triton or model)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Coroutine
from typing import Any

import numpy as np
from PIL import Image

from streams.events import Candidate, GenerationRequest, ImageSubmission, Screened, Source
from streams.stages.memory import MemoryBlobStore, RecordingSender, ScriptedInference, png
from streams.stages.services import StageServices


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


def inference(services: StageServices) -> ScriptedInference:
    assert isinstance(services.inference, ScriptedInference)
    return services.inference


def sender(services: StageServices) -> RecordingSender:
    assert isinstance(services.sender, RecordingSender)
    return services.sender


def blobs(services: StageServices) -> MemoryBlobStore:
    assert isinstance(services.blobs, MemoryBlobStore)
    return services.blobs


def request(prompt: str = "a lighthouse at dusk", **fields: Any) -> GenerationRequest:
    return GenerationRequest(request_id="r1", user_id="alice@example.com", prompt=prompt, **fields)


def submission(services: StageServices, image: bytes | None = None, **fields: Any) -> ImageSubmission:
    ref = services.blobs.put(png() if image is None else image, "image/png")
    return ImageSubmission(request_id="s1", user_id="bob", image=ref, **fields)


def screened(**fields: Any) -> Screened:
    defaults = {
        "request_id": "r1", "tenant": "default", "user": "u_1", "submitted_at": "2026-12-01T00:00:00Z",
        "prompt": "a lighthouse", "generator_prompt": "a lighthouse", "policy_version": "p1",
    }  # fmt: skip
    return Screened(**(defaults | fields))


def photo() -> bytes:
    """A noisy picture, so that redacting any part of it changes it."""
    pixels = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def candidate(services: StageServices, **fields: Any) -> Candidate:
    return Candidate(
        request_id="c1", tenant="default", user="u_1", submitted_at="2026-12-01T00:00:00Z",
        source=Source.SUBMITTED, image=services.blobs.put(photo(), "image/png"), **fields,
    )  # fmt: skip
