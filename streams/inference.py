"""The Triton client of the workers: one gRPC call per model request, traced, with bounded retries.

Each call carries the current W3C trace context as gRPC metadata, so a Triton server with tracing
on continues the request's trace. Failures after the retries raise ``InferenceUnavailable``; the
caller fails closed (the item goes to review, never to publish).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from opentelemetry.trace import SpanKind, Status, StatusCode
from tritonclient.grpc import MAX_GRPC_MESSAGE_SIZE, InferInput, InferRequestedOutput, KeepAliveOptions
from tritonclient.grpc.aio import InferenceServerClient
from tritonclient.utils import InferenceServerException

from modstream_models.detections import decode_detections
from streams.events import Finding, GeneratorInfo
from streams.telemetry import REQUEST_ID_ATTRIBUTE, headers_with_context, tracer

GENERATOR_MODEL = "generator"
WATERMARK_EMBED_MODEL = "watermark_embed"
WATERMARK_DECODE_MODEL = "watermark_decode"
PROMPT_PII_MODEL = "prompt_pii"
SAFETY_MODELS = {  # Triton model name: the kind of finding it reports
    "face_detector": "face",
    "pii_detector": "pii",
    "nudity_detector": "nudity",
    "protected_match": "protected_match",
    "style_similarity": "style",
}


class InferenceUnavailable(RuntimeError):
    """Triton did not answer, or answered with an error, after every retry."""


class InferenceRejected(ValueError):
    """Triton refused the input itself (for example an image it cannot decode): retrying will not help."""


@dataclass(frozen=True)
class Scan:
    """What the safety models report about one image: every detection, flagged or not."""

    model_versions: dict[str, str]
    detections: list[Finding]


@dataclass(frozen=True)
class GeneratedImage:
    png: bytes
    generator: GeneratorInfo


def _bytes_input(name: str, values: Sequence[bytes]) -> InferInput:
    tensor = np.array([[value] for value in values], dtype=np.object_)
    infer_input = InferInput(name, list(tensor.shape), "BYTES")
    infer_input.set_data_from_numpy(tensor)
    return infer_input


def _int64_input(name: str, values: Sequence[int]) -> InferInput:
    tensor = np.array([[value] for value in values], dtype=np.int64)
    infer_input = InferInput(name, list(tensor.shape), "INT64")
    infer_input.set_data_from_numpy(tensor)
    return infer_input


def channel_arguments(max_reconnect_backoff_s: float) -> list[tuple[str, int]]:
    """tritonclient's own channel options, with reconnection attempts at most ``max_reconnect_backoff_s`` apart.

    gRPC's default backoff grows to two minutes while the server is down, and calls fail at once until
    the next attempt: a restarted Triton would stay unreachable long after it is ready again.
    """
    keepalive = KeepAliveOptions()
    backoff_ms = int(max_reconnect_backoff_s * 1000)
    return [
        ("grpc.max_send_message_length", MAX_GRPC_MESSAGE_SIZE),
        ("grpc.max_receive_message_length", MAX_GRPC_MESSAGE_SIZE),
        ("grpc.keepalive_time_ms", keepalive.keepalive_time_ms),
        ("grpc.keepalive_timeout_ms", keepalive.keepalive_timeout_ms),
        ("grpc.keepalive_permit_without_calls", keepalive.keepalive_permit_without_calls),
        ("grpc.http2.max_pings_without_data", keepalive.http2_max_pings_without_data),
        ("grpc.initial_reconnect_backoff_ms", min(backoff_ms, 1000)),
        ("grpc.max_reconnect_backoff_ms", backoff_ms),
    ]


def _is_input_error(exc: InferenceServerException) -> bool:
    return (exc.status() or "").endswith("INVALID_ARGUMENT")


class TritonClient:
    def __init__(self, url: str, *, timeout_s: float = 60.0, retries: int = 3, backoff_s: float = 0.5) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        # A retry finds a restarted server: the channel has tried to reconnect by the time the retry runs.
        self._client = InferenceServerClient(url, channel_args=channel_arguments(max_reconnect_backoff_s=backoff_s))
        host, _, port = url.rpartition(":")
        self._server: dict[str, str | int] = {"server.address": host, "server.port": int(port)}

    async def close(self) -> None:
        await self._client.close()

    async def ready(self) -> bool:
        try:
            return bool(await self._client.is_server_ready())
        except InferenceServerException:
            return False

    async def infer(self, model: str, inputs: list[InferInput], outputs: list[str], request_id: str | None) -> Any:
        """One ModelInfer call with retries; returns the tritonclient result (no ``outputs``: all of them)."""
        attempt = 0
        while True:
            with tracer().start_as_current_span(
                "inference.GRPCInferenceService/ModelInfer",
                kind=SpanKind.CLIENT,
                attributes={
                    "rpc.system": "grpc",
                    "rpc.service": "inference.GRPCInferenceService",
                    "rpc.method": "ModelInfer",
                    "triton.model.name": model,
                    "triton.attempt": attempt,
                    **self._server,
                    **({REQUEST_ID_ATTRIBUTE: request_id} if request_id else {}),
                },
            ) as span:
                try:
                    result = await self._client.infer(
                        model,
                        inputs,
                        outputs=[InferRequestedOutput(name) for name in outputs] or None,
                        request_id=request_id or "",
                        headers={k: v.decode() for k, v in headers_with_context().items()},
                        client_timeout=self.timeout_s,
                    )
                except InferenceServerException as exc:
                    span.set_status(Status(StatusCode.ERROR, str(exc)))
                    if _is_input_error(exc):
                        raise InferenceRejected(f"{model}: {exc.message()}") from exc
                    error: Exception = exc
                except (TimeoutError, OSError) as exc:
                    span.set_status(Status(StatusCode.ERROR, str(exc)))
                    error = exc
                else:
                    response = result.get_response()
                    span.set_attribute("triton.model.version", response.model_version)
                    return result
            if attempt >= self.retries:
                raise InferenceUnavailable(f"{model} failed after {attempt + 1} attempts: {error}") from error
            await asyncio.sleep(self.backoff_s * 2**attempt)
            attempt += 1

    async def generate(self, prompt: str, seed: int, request_id: str) -> GeneratedImage:
        result = await self.infer(
            GENERATOR_MODEL,
            [_bytes_input("PROMPT", [prompt.encode()]), _int64_input("SEED", [seed])],
            ["IMAGE", "METADATA"],
            request_id,
        )
        metadata = json.loads(result.as_numpy("METADATA")[0][0])
        version = result.get_response().model_version
        return GeneratedImage(
            png=bytes(result.as_numpy("IMAGE")[0][0]),
            generator=GeneratorInfo(
                model=GENERATOR_MODEL,
                version=version,
                weights=metadata["weights"],
                random_weights=metadata["random_weights"],
            ),
        )

    async def watermark_embed(self, image: bytes, payload: bytes, request_id: str | None) -> tuple[str, bytes]:
        """The model version and the image (PNG) with ``payload`` (8 bytes) embedded."""
        result = await self.infer(
            WATERMARK_EMBED_MODEL, [_bytes_input("IMAGE", [image]), _bytes_input("PAYLOAD", [payload])], [], request_id
        )
        return result.as_numpy("MODEL_VERSION")[0][0].decode(), bytes(result.as_numpy("IMAGE")[0][0])

    async def watermark_decode(self, image: bytes, request_id: str | None) -> bytes | None:
        """The payload read from ``image``, or None when no watermark was detected."""
        result = await self.infer(WATERMARK_DECODE_MODEL, [_bytes_input("IMAGE", [image])], [], request_id)
        detected = bool(result.as_numpy("DETECTED")[0][0])
        return bytes(result.as_numpy("PAYLOAD")[0][0]) if detected else None

    async def detect(self, model: str, image: bytes, request_id: str | None) -> tuple[str, list[Finding]]:
        """The version of ``model`` and everything it reports about ``image`` (one encoded image)."""
        return await self._detections(model, SAFETY_MODELS[model], _bytes_input("IMAGE", [image]), request_id)

    async def prompt_pii(self, prompt: str, request_id: str | None) -> tuple[str, list[Finding]]:
        """PII entities in a prompt text, each with the character span it covers."""
        return await self._detections(PROMPT_PII_MODEL, "pii", _bytes_input("TEXT", [prompt.encode()]), request_id)

    async def _detections(
        self, model: str, kind: str, model_input: InferInput, request_id: str | None
    ) -> tuple[str, list[Finding]]:
        result = await self.infer(model, [model_input], [], request_id)
        outputs = {output.name: result.as_numpy(output.name) for output in result.get_response().outputs}
        version, detections = decode_detections(outputs)
        findings = []
        for detection in detections:
            span = detection.extras.get("SPANS")
            findings.append(
                Finding(
                    kind=kind,
                    label=detection.label,
                    score=detection.score,
                    box=detection.box,
                    span=(int(span[0]), int(span[1])) if span is not None else None,
                    model=model,
                    model_version=version,
                    detail={name.lower(): float(value) for name, value in detection.extras.items() if value.ndim == 0},
                )
            )
        return version, findings

    async def scan(self, image: bytes, request_id: str | None, models: Sequence[str] = tuple(SAFETY_MODELS)) -> Scan:
        """The safety ``models`` (all by default) on one image, all requests in flight at once."""
        answers = await asyncio.gather(*(self.detect(model, image, request_id) for model in models))
        return Scan(
            model_versions={model: version for model, (version, _) in zip(models, answers, strict=True)},
            detections=[finding for _, findings in answers for finding in findings],
        )
